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
#include <string_view>
#include <algorithm>
#include <cmath>

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

/// An objective may say in one line what it judges by (the candidate_end event's message);
/// without it the controller describes the default's judgement.
template <class O>
concept described_objective = requires {
    { O::judged_by } -> std::convertible_to<std::string_view>;
};

/// What `O` says it judges by (empty when it does not say).
template <class O>
[[nodiscard]] constexpr std::string_view judged_by() noexcept {
    if constexpr (described_objective<O>) {
        return O::judged_by;
    } else {
        return {};
    }
}

/// The forecast of the candidate's loss at the stage's horizon, less the loss its anneal probe
/// removed (autolrs/controller/anneal_probe.hpp says why): the reference's judgement with the
/// probe added; horizon_stages_controller's and the default until annealed_loss_objective won
/// on bench_suite.
struct horizon_forecast_objective {
    template <class F>
    [[nodiscard]] forecast judge(const F& forecaster, const candidate_window& w) const {
        const forecast f = forecaster.predict(w.losses.first(w.candidate_points), w.horizon);
        if (w.probe_steps == 0) return f;
        return detail::less_anneal_gain(f, w.losses, w.candidate_points, w.probe_steps);
    }
};

/// Where annealed_loss_objective takes its stddev's noise from.
enum class annealed_noise : std::uint8_t {
    candidate_tail,  ///< the candidate's own last fifth, before its probe (at the candidate's LR)
    probe_tail,      ///< the probe's last points, where the value is measured (second
                     ///< differences: a steady fall does not count as noise). A smaller stddev
                     ///< near the stability edge, so a later stage leaves a noisy incumbent more
                     ///< readily: better on the harness's plain-SGD noisy quadratics, worse on
                     ///< bench_suite's development half (MLP SGD 4000), so not the default
};

/// The default: the loss a candidate reaches once annealed, measured, not extrapolated: the mean of the last
/// fifth of its anneal probe (with controller_settings::anneal_probe_decay the probe is a short
/// cooldown from the candidate's LR). What a stage is for is the loss at the END of the budget,
/// after the final cooldown; a candidate's loss at the stage's horizon rewards the small LR that
/// settles into the current valley (noise the cooldown removes anyway), while its loss after a
/// cooldown of its own does not (bench/tools/nqm_schedule_lab --what proxies measures both
/// against the best LR for the end, exactly, on the noisy quadratic). Without a probe: the mean
/// of the window's last fifth. Its stddev: the per-step noise (from `noise`) over the square root
/// of the points averaged.
struct annealed_loss_objective {
    static constexpr std::string_view judged_by = "the mean loss at the end of its anneal probe, told to the search";

    annealed_noise noise = annealed_noise::candidate_tail;

    template <class F>
    [[nodiscard]] forecast judge(const F& forecaster, const candidate_window& w) const {
        const std::size_t n = w.candidate_points;
        if (n < 2 || w.losses.size() < n) return forecaster.predict(w.losses.first(n), w.horizon);
        const std::size_t probe = w.losses.size() - n;
        const std::size_t averaged = probe > 0 ? std::max<std::size_t>(1, probe / 5) : std::max<std::size_t>(2, n / 5);
        double sum = 0.0;
        for (std::size_t i = w.losses.size() - averaged; i < w.losses.size(); ++i) sum += w.losses[i];
        const double value = sum / static_cast<double>(averaged);
        const double variance = noise == annealed_noise::probe_tail && probe >= 3
                                    ? second_difference_variance(w.losses.last(std::max<std::size_t>(3, averaged)))
                                    : tail_variance(w.losses.first(n));
        const double stddev = std::sqrt(variance / static_cast<double>(averaged));
        if (!std::isfinite(value) || !std::isfinite(stddev)) {
            return {0.0, 0.0, forecast_status::invalid_input, 0};
        }
        return {value, stddev, forecast_status::fallback_flat, 0};
    }

private:
    /// The sample variance of the last fifth of `own` (at least 2 points).
    [[nodiscard]] static double tail_variance(std::span<const double> own) noexcept {
        const std::span<const double> tail = own.last(std::max<std::size_t>(2, own.size() / 5));
        double level = 0.0;
        for (const double v : tail) level += v;
        level /= static_cast<double>(tail.size());
        double spread = 0.0;
        for (const double v : tail) spread += (v - level) * (v - level);
        return spread / static_cast<double>(tail.size() - 1);
    }
    /// The noise's variance from second differences (at least 3 points): x[i+1] - 2 x[i] + x[i-1]
    /// has variance 6 sigma^2 for white noise and is 0 on a straight line, so a steady fall
    /// does not count as noise.
    [[nodiscard]] static double second_difference_variance(std::span<const double> points) noexcept {
        double sum = 0.0;
        for (std::size_t i = 1; i + 1 < points.size(); ++i) {
            const double d = points[i + 1] - 2.0 * points[i] + points[i - 1];
            sum += d * d;
        }
        return sum / (6.0 * static_cast<double>(points.size() - 2));
    }
};

}  // namespace autolrs
