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
    stage_start,           ///< a stage begins, searched or not (length = its horizon tau; candidates = the
                           ///< most LRs its search tries, 0 when it has no search and search_skipped
                           ///< follows; loss = its starting training loss when known)
    candidate_start,       ///< a candidate LR is tried (candidate, learning_rate, length = tau')
    candidate_end,         ///< a candidate's forecast (candidate, learning_rate, forecast, stddev, status;
                           ///< loss = its last loss; length = the steps it ran)
    candidate_diverged,    ///< a candidate's loss was non-finite or exploded: it is infeasible (candidate,
                           ///< learning_rate, loss = the loss that gave it away, length = the steps it ran)
    search_stopped_early,  ///< the search's expected gain was small (candidates = how many were tried,
                           ///< expected_gain against loss_scale, as the stop rule's verdict gave them)
    stage_lr_chosen,       ///< the stage's LR (candidate, forecast, stddev, status of the chosen one;
                           ///< length = the stage's horizon)
    warning_lr_at_bound,   ///< the chosen LR sits on lr_min or lr_max: widen the interval
    stage_diverged,        ///< the stage's real training diverged: restore, lower the LR ceiling
                           ///< (learning_rate = the LR it diverged at, loss = the loss that gave it away)
    fallback,              ///< no usable candidate (or no room left): an LR chosen without search
    search_skipped,        ///< no search: it could not pay back before the cooldown (learning_rate = the
                           ///< stage's LR, length = its horizon); always right after its stage_start
    cooldown_start,        ///< the final anneal begins (learning_rate = its start, length)
    done,                  ///< the budget is spent, or training cannot go on (learning_rate = the last
                           ///< stage's LR, NaN when no stage chose one; loss = the last step's;
                           ///< length = every step taken). A budget spent inside a
                           ///< search (not budget_aware) first restores the stage's start: the
                           ///< message says so, and loss is still the last (candidate's) step's
    range_test_start,      ///< the zero-setting mode's LR range test begins (learning_rate = its first LR,
                           ///< length = its planned steps); the model is restored after it
    range_test_end,        ///< the test's interval is chosen (learning_rate = lr_max, the LR where the
                           ///< smoothed loss was lowest; loss = that lowest smoothed loss; length = the
                           ///< test's applied steps; lr_min is two decades below; the message says
                           ///< how sure it is)
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
        case event_kind::range_test_start: return "range_test_start";
        case event_kind::range_test_end: return "range_test_end";
    }
    return "unknown";
}

/// One decision. Each field means what its name says, for every kind that sets it (see each
/// kind above); fields that do not apply to a kind are NaN (doubles) or 0 (integers), and
/// `status` means something only where `forecast` is finite.
struct event {
    static constexpr double none = std::numeric_limits<double>::quiet_NaN();

    event_kind kind = event_kind::done;
    std::uint64_t step = 0;         ///< optimizer steps taken so far (search included)
    std::uint32_t stage = 0;        ///< stage index (0-based; warmup carries the first stage's, the
                                    ///< cooldown the index a stage after the last would have had)
    std::uint32_t candidate = 0;    ///< candidate index inside the stage (0-based)
    std::uint32_t candidates = 0;   ///< a number of candidates: the most a stage tries (stage_start),
                                    ///< how many were tried (search_stopped_early)
    double learning_rate = none;    ///< the LR concerned
    double loss = none;             ///< a loss the training gave (see each kind)
    double forecast = none;         ///< forecast loss at the stage's horizon
    double stddev = none;           ///< the forecast's standard deviation
    double expected_gain = none;    ///< search_stopped_early: what the search expects one more candidate to gain
    double loss_scale = none;       ///< search_stopped_early: the scale the stop rule measured the gain against
    forecast_status status = forecast_status::fitted;
    std::uint64_t length = 0;       ///< steps concerned (stage horizon, tau', cooldown length, ...)
    std::string_view message;       ///< the reason, in words (static text)
};

}  // namespace autolrs
