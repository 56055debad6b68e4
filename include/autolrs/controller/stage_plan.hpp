#pragma once
// The stage plan: how long the stages, their candidates and the cooldown are, and what a
// searched stage costs. One cost model (searched_stage_cost) serves every decision. Pure
// functions of the settings and the budget left.

#include "autolrs/controller/anneal_probe.hpp"
#include "autolrs/controller_settings.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

namespace autolrs::detail {

/// The lengths the settings resolve to (0 = automatic in the settings).
struct stage_lengths {
    std::uint64_t first = 0;           ///< tau0: the first stage's horizon
    std::uint64_t longest = 0;         ///< tau_max
    bool budget_aware = false;         ///< stages and the cooldown are planned around total_steps
    std::uint64_t cooldown_steps = 0;  ///< the final anneal's steps
    std::uint64_t cooldown_start = 0;  ///< the step (of all steps) where the cooldown starts
};

[[nodiscard]] inline stage_lengths resolve_stage_lengths(const controller_settings& s) noexcept {
    const std::uint64_t budget = s.total_steps;
    stage_lengths l;
    // An automatic tau_max is capped so that a candidate's window fits max_window: the memory
    // allocated at construction does not grow with the budget (only budgets above ~10^8 steps
    // at the default candidate_fraction and anneal_probe reach the cap).
    const std::uint64_t automatic =
        std::min(budget != 0 ? std::max<std::uint64_t>(budget / 4, 1) : std::uint64_t{8000},
                 std::max<std::uint64_t>(longest_stage_for_window(s.candidate_fraction, s.anneal_probe), 1));
    l.longest = s.tau_max != 0 ? s.tau_max : automatic;
    const std::uint64_t share =
        s.tau0_fraction > 0.0 ? static_cast<std::uint64_t>(s.tau0_fraction * static_cast<double>(budget)) : budget / 16;
    l.first = s.tau0 != 0 ? s.tau0 : std::min(l.longest, budget != 0 ? std::max<std::uint64_t>(share, 1) : 1000);
    l.longest = std::max(l.longest, l.first);
    l.budget_aware = s.budget_aware && budget != 0;
    if (l.budget_aware) {
        l.cooldown_steps = static_cast<std::uint64_t>(std::llround(s.cooldown_fraction * static_cast<double>(budget)));
        l.cooldown_steps = std::min(l.cooldown_steps, budget - s.warmup_steps);
    }
    l.cooldown_start = budget - l.cooldown_steps;
    return l;
}

/// The next stage's horizon after a searched stage of planned horizon `planned`: planned *
/// growth, rounded, at least 1, saturating at `longest` (a growth of 1e20 is no overflow).
[[nodiscard]] inline std::uint64_t grown_horizon(std::uint64_t planned, double growth, std::uint64_t longest) noexcept {
    const double grown = std::round(static_cast<double>(planned) * growth);
    if (!(grown < static_cast<double>(longest))) return longest;
    return std::min<std::uint64_t>(longest, static_cast<std::uint64_t>(std::max(grown, 1.0)));
}

/// tau': a candidate's steps for a stage of horizon `tau` (at least 1, at most tau).
[[nodiscard]] inline std::uint64_t candidate_steps(std::uint64_t tau, double candidate_fraction) noexcept {
    const auto tp = static_cast<std::uint64_t>(std::llround(static_cast<double>(tau) * candidate_fraction));
    return std::clamp<std::uint64_t>(tp, 1, std::max<std::uint64_t>(tau, 1));
}

/// The most steps a searched stage of horizon `tau` spends: every candidate with its anneal
/// probe, then the stage (a kept winner's steps count towards it).
[[nodiscard]] inline std::uint64_t searched_stage_cost(const controller_settings& s, std::uint64_t tau) noexcept {
    const std::uint64_t tp = candidate_steps(tau, s.candidate_fraction);
    const std::uint64_t per_candidate = tp + anneal_probe_steps(tp, s.anneal_probe);
    return s.candidates * per_candidate + std::max(tau, per_candidate) - (s.keep_winner_state ? per_candidate : 0);
}

/// The fewest steps a searched stage of horizon `tau` spends when its search stops at
/// min_candidates (the stop rule's earliest; without divergences).
[[nodiscard]] inline std::uint64_t least_searched_stage_cost(const controller_settings& s, std::uint64_t tau) noexcept {
    controller_settings least = s;
    least.candidates = s.min_candidates;
    return searched_stage_cost(least, tau);
}

/// The shortest stage worth a search: half the first.
[[nodiscard]] inline std::uint64_t shortest_searched_stage(const stage_lengths& l) noexcept {
    return std::max<std::uint64_t>(l.first / 2, 1);
}

/// The next stage's shape.
struct stage_plan {
    bool searched = false;             ///< false: the stage trains at one LR with no search
    std::uint64_t horizon = 0;         ///< tau: the stage's steps (the forecasts' target)
    std::uint64_t planned_horizon = 0;  ///< before any leftover was added (tau grows from it)
    std::uint64_t candidate_steps = 0;  ///< tau'
    std::uint64_t probe_steps = 0;      ///< each candidate's anneal probe (0: none)
    bool validation_signal = false;     ///< candidates are judged on the validation loss
    std::uint64_t validation_interval = 1;  ///< steps between validation losses
    std::string_view skip_reason;      ///< why not searched
};

/// The next stage: the growth sequence's `tau`, shortened to fit the `room` left before the
/// cooldown (when budget-aware); not searched when `searchable` is false (the LR ceiling is
/// lr_min) or when a search would not pay back and an LR to go on with exists.
[[nodiscard]] inline stage_plan plan_stage(const controller_settings& s, const stage_lengths& l, std::uint64_t tau,
                                           std::uint64_t room, bool searchable, bool has_stage_lr) noexcept {
    stage_plan p;
    p.searched = searchable;
    std::uint64_t horizon = tau;
    if (!p.searched) {
        p.skip_reason = "the LR ceiling left by divergences is lr_min: nothing to search";
    } else if (l.budget_aware && searched_stage_cost(s, horizon) > room) {
        // The largest horizon whose search still fits (the cost grows with the horizon).
        std::uint64_t fits = 0;
        for (std::uint64_t lo = 1, hi = horizon - 1; lo <= hi;) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            if (searched_stage_cost(s, mid) <= room) {
                fits = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        horizon = fits;
        if (horizon == 0 || (horizon < shortest_searched_stage(l) && has_stage_lr)) {
            p.searched = false;
            p.skip_reason = "a search would not pay back before the cooldown: the last LR goes on";
        }
    }
    if (!p.searched) {
        p.horizon = l.budget_aware ? room : tau;
        return p;
    }
    p.candidate_steps = candidate_steps(horizon, s.candidate_fraction);
    p.planned_horizon = horizon;
    if (l.budget_aware) {
        // Too little would be left for another searched stage: this one takes it. With
        // plan_with_least_search, "too little" even if both searches stopped at their least
        // (against the worst case, the defaults' first stage and the shortest second one cost
        // exactly the room, and rounding decides: 4000 steps search twice, 4001 once); when
        // this search then costs more, the next stage's plan finds no room and the LR goes on.
        const std::uint64_t leftover = room - searched_stage_cost(s, horizon);
        const bool takes = s.plan_with_least_search
                               ? room - least_searched_stage_cost(s, horizon) <
                                     least_searched_stage_cost(s, shortest_searched_stage(l))
                               : leftover < searched_stage_cost(s, shortest_searched_stage(l));
        if (takes) horizon += leftover;
    }
    p.horizon = horizon;
    p.validation_signal = s.signal == loss_signal::validation ||
                          (s.signal == loss_signal::reference_switch && p.planned_horizon >= l.longest);
    p.validation_interval = s.validation_interval != 0 ? std::min(s.validation_interval, p.candidate_steps)
                                                       : std::max<std::uint64_t>(p.candidate_steps / 16, 1);
    p.probe_steps = anneal_probe_steps(p.candidate_steps, s.anneal_probe);
    return p;
}

/// x = log LR moved inside [lr_min, upper] (a search may ask outside; NaN goes to lr_min), and its LR.
[[nodiscard]] inline std::pair<double, double> inside_interval(double x, double lr_min, double upper) noexcept {
    const double lr = std::exp(x);
    if (lr >= lr_min && lr <= upper) return {x, lr};
    const double clamped = std::clamp(std::isnan(lr) ? lr_min : lr, lr_min, upper);
    return {std::log(clamped), clamped};
}

/// -1 when `lr` sits within bound_tolerance (of the log interval) of lr_min, +1 of lr_max, else 0.
[[nodiscard]] inline int bound_side(const controller_settings& s, double lr) noexcept {
    if (s.bound_tolerance <= 0.0) return 0;
    const double lo = std::log(s.lr_min);
    const double hi = std::log(s.lr_max);
    const double tolerance = s.bound_tolerance * (hi - lo);
    const double x = std::log(lr);
    if (x - lo <= tolerance) return -1;
    return hi - x <= tolerance ? 1 : 0;
}

}  // namespace autolrs::detail
