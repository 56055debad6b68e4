#pragma once
// What a stage judges a candidate by: the stage objective policy family. It sees the
// candidate's losses (its tau' steps, then its anneal probe's, if any) and the stage's
// forecaster, and returns the value the search minimises (with a stddev: the search's noise).

#include "autolrs/controller/anneal_probe.hpp"
#include "autolrs/forecast/concept.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace autolrs {

/// One candidate's losses, as the stage objective sees them.
struct candidate_window {
    std::span<const double> losses;    ///< the candidate's points, then its probe's
    std::size_t candidate_points = 0;  ///< how many of `losses` are the candidate's own
    std::uint64_t probe_steps = 0;     ///< the probe's length (0: no probe, or not run yet)
    double horizon = 0.0;              ///< the stage's horizon, in window points
};

template <class O, class Forecaster>
concept stage_objective = std::copyable<O> && loss_forecaster<Forecaster> &&
    requires(const O& o, const Forecaster& f, const candidate_window& w) {
        { o.judge(f, w) } -> std::same_as<forecast>;
    };

/// Call as `static_assert(autolrs::explain_stage_objective<O, F>())`: names what it lacks.
template <class O, class Forecaster>
consteval bool explain_stage_objective() {
    static_assert(std::copyable<O>, "autolrs stage_objective: the objective must be copyable");
    static_assert(requires(const O& o, const Forecaster& f, const candidate_window& w) {
        { o.judge(f, w) } -> std::same_as<forecast>;
    }, "autolrs stage_objective: add `template <class F> autolrs::forecast judge(const F& forecaster, const "
       "autolrs::candidate_window&) const`: the value a candidate is judged by (lower is better)");
    return stage_objective<O, Forecaster>;
}

/// The default: the forecast of the candidate's loss at the stage's horizon, less the loss
/// its anneal probe removed (autolrs/controller/anneal_probe.hpp says why).
struct horizon_forecast_objective {
    template <class F>
    [[nodiscard]] forecast judge(const F& forecaster, const candidate_window& w) const {
        const forecast f = forecaster.predict(w.losses.first(w.candidate_points), w.horizon);
        if (w.probe_steps == 0) return f;
        return detail::less_anneal_gain(f, w.losses, w.candidate_points, w.probe_steps);
    }
};

}  // namespace autolrs
