#pragma once
// The anneal probe: after its tau' steps a candidate trains a few more at a fraction of its
// LR, and is judged by its forecast less the loss that short anneal removed. Over a few dozen
// steps a small LR otherwise wins by settling into the current valley (noise the final
// cooldown removes anyway), not by progress, and the schedule decays far too early.
// Pure functions of the settings and the candidate's window.

#include "autolrs/forecast/concept.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace autolrs::detail {

/// The probe's length after a candidate of `candidate_steps` (0: no probe).
[[nodiscard]] inline std::uint64_t anneal_probe_steps(std::uint64_t candidate_steps, double anneal_probe) noexcept {
    if (anneal_probe <= 0.0) return 0;
    return std::max<std::uint64_t>(
        2, static_cast<std::uint64_t>(std::llround(anneal_probe * static_cast<double>(candidate_steps))));
}

/// The probe's LR: `ratio` times the candidate's, not below lr_min.
[[nodiscard]] inline double anneal_probe_lr(double candidate_lr, double ratio, double lr_min) noexcept {
    return std::max(lr_min, candidate_lr * ratio);
}

/// The probe's LR at its step `step` (0-based) of `length`: `ratio` times the candidate's LR,
/// or (`decay`) falling linearly from the candidate's LR to `ratio` times it at the last step,
/// like the final cooldown; not below lr_min.
[[nodiscard]] inline double anneal_probe_lr_at(double candidate_lr, double ratio, double lr_min, bool decay,
                                               std::uint64_t step, std::uint64_t length) noexcept {
    if (!decay) return anneal_probe_lr(candidate_lr, ratio, lr_min);
    const double fraction = static_cast<double>(step + 1) / static_cast<double>(std::max<std::uint64_t>(length, 1));
    return std::max(lr_min, candidate_lr * (1.0 - (1.0 - ratio) * fraction));
}

/// The candidate's forecast `f` (from its first `candidate_points` losses) less the loss its
/// anneal probe removed: the drop from the mean of the candidate's last fifth to the mean of
/// the probe's second half (`losses` holds the candidate's points, then the probe's
/// `probe_steps`). Its variance adds the noise of both means (the per-step noise estimated
/// from the candidate's last fifth) to the forecast's. For a positive loss the result is at
/// least f times after / before (the drop in proportion): near the edge of stability a
/// candidate's window is far from its noise level, the forecast extrapolates a fall, and the
/// two drops added would promise a loss below zero (seen on the noisy quadratic model).
[[nodiscard]] inline forecast less_anneal_gain(const forecast& f, std::span<const double> losses,
                                               std::size_t candidate_points, std::uint64_t probe_steps) {
    const std::size_t n = candidate_points;
    const std::size_t tail = std::max<std::size_t>(2, n / 5);
    const std::size_t probe_tail = std::max<std::size_t>(1, static_cast<std::size_t>(probe_steps / 2));
    if (n < tail || !std::isfinite(f.value) || losses.size() < n + probe_tail) return f;
    const auto mean = [&](std::size_t first, std::size_t count) {
        double sum = 0.0;
        for (std::size_t i = first; i < first + count; ++i) sum += losses[i];
        return sum / static_cast<double>(count);
    };
    const double before = mean(n - tail, tail);
    const double after = mean(losses.size() - probe_tail, probe_tail);
    double spread = 0.0;
    for (std::size_t i = n - tail; i < n; ++i) spread += (losses[i] - before) * (losses[i] - before);
    const double step_var = spread / static_cast<double>(tail - 1);
    const double gain = before - after;
    if (!std::isfinite(gain) || !std::isfinite(step_var) || gain <= 0.0) return f;
    double value = f.value - gain;
    if (before > 0.0 && after > 0.0 && f.value > 0.0) value = std::max(value, f.value * (after / before));
    const double gain_var = step_var * (1.0 / static_cast<double>(tail) + 1.0 / static_cast<double>(probe_tail));
    return {value, std::sqrt(f.stddev * f.stddev + gain_var), f.status, f.non_finite};
}

}  // namespace autolrs::detail
