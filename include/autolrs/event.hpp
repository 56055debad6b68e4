#pragma once
// What the controller reports about its decisions: one event per decision, with its reason.

#include "autolrs/forecast/concept.hpp"

#include <cstdint>
#include <limits>
#include <string_view>

namespace autolrs {

/// The kinds of decision a controller reports.
enum class event_kind : std::uint8_t {
    warmup_start,          ///< warmup begins (length = warmup steps, learning_rate = its target)
    stage_start,           ///< a stage begins (length = its horizon tau, candidate = most candidates,
                           ///< loss = its starting training loss when known)
    candidate_start,       ///< a candidate LR is tried (learning_rate, length = tau')
    candidate_end,         ///< a candidate's forecast (forecast, stddev, status; loss = last loss)
    candidate_diverged,    ///< a candidate's loss was non-finite or exploded: it is infeasible
    search_stopped_early,  ///< the search's expected gain was small (loss = gain, forecast = scale)
    stage_lr_chosen,       ///< the stage's LR (forecast, stddev, status of the chosen candidate)
    warning_lr_at_bound,   ///< the chosen LR sits on lr_min or lr_max: widen the interval
    stage_diverged,        ///< the stage's real training diverged: restore, lower the LR ceiling
    fallback,              ///< no usable candidate (or no room left): an LR chosen without search
    search_skipped,        ///< no search: it could not pay back before the cooldown
    cooldown_start,        ///< the final anneal begins (learning_rate = its start, length)
    done,                  ///< the budget is spent (or training cannot go on)
};

[[nodiscard]] constexpr std::string_view to_string(event_kind k) noexcept {
    switch (k) {
        case event_kind::warmup_start: return "warmup_start";
        case event_kind::stage_start: return "stage_start";
        case event_kind::candidate_start: return "candidate_start";
        case event_kind::candidate_end: return "candidate_end";
        case event_kind::candidate_diverged: return "candidate_diverged";
        case event_kind::search_stopped_early: return "search_stopped_early";
        case event_kind::stage_lr_chosen: return "stage_lr_chosen";
        case event_kind::warning_lr_at_bound: return "warning_lr_at_bound";
        case event_kind::stage_diverged: return "stage_diverged";
        case event_kind::fallback: return "fallback";
        case event_kind::search_skipped: return "search_skipped";
        case event_kind::cooldown_start: return "cooldown_start";
        case event_kind::done: return "done";
    }
    return "unknown";
}

/// One decision. Fields that do not apply to a kind are NaN (doubles) or 0 (integers);
/// `status` means something only where `forecast` is finite.
struct event {
    static constexpr double none = std::numeric_limits<double>::quiet_NaN();

    event_kind kind = event_kind::done;
    std::uint64_t step = 0;         ///< optimizer steps taken so far (search included)
    std::uint32_t stage = 0;        ///< stage index (0-based; warmup and cooldown carry the next/last)
    std::uint32_t candidate = 0;    ///< candidate index inside the stage (0-based)
    double learning_rate = none;    ///< the LR concerned
    double loss = none;             ///< the loss concerned (see each kind)
    double forecast = none;         ///< forecast loss at the stage's horizon
    double stddev = none;           ///< the forecast's standard deviation
    forecast_status status = forecast_status::fitted;
    std::uint64_t length = 0;       ///< steps concerned (stage horizon, tau', cooldown length, ...)
    std::string_view message;       ///< the reason, in words (static text)
};

}  // namespace autolrs
