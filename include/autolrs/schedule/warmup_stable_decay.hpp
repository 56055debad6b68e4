#pragma once
// Warmup-stable-decay ("trapezoidal"): warm up, hold the peak, then decay in a final tail.

#include "autolrs/schedule/shape.hpp"

#include <cmath>
#include <cstdint>

namespace autolrs::schedule {

struct warmup_stable_decay_settings {
    double lr;                           ///< the plateau LR; > 0
    std::uint64_t total_steps;           ///< warmup + stable + decay; >= 1
    std::uint64_t decay_steps;           ///< length of the final tail; <= total_steps - warmup_steps
    std::uint64_t warmup_steps = 0;      ///< length of the warmup
    double warmup_start_factor = 0.01;   ///< lr(0) = warmup_start_factor * lr when warmup_steps > 0; in [0, 1]
    double lr_end = 0.0;                 ///< reached at step total_steps; >= 0, <= lr
    shape warmup_shape = shape::linear;
    shape decay_shape = shape::linear;   ///< shape::sqrt to lr_end = 0 is the "1 - sqrt" cooldown
};

/// With W = warmup_steps, D = decay_steps, N = total_steps:
///   step < W:          from warmup_start_factor * lr up to lr (warmup_shape)
///   W <= step < N - D: lr
///   N - D <= step < N: from lr down to lr_end, reached at step N (decay_shape)
///   step >= N:         lr_end (0 is returned as the smallest positive double).
/// Non-decreasing up to step W, non-increasing after.
class warmup_stable_decay {
public:
    explicit warmup_stable_decay(const warmup_stable_decay_settings& settings) : settings_(settings) {
        detail::require_positive_lr(settings.lr, "lr");
        detail::require_setting(settings.total_steps >= 1, "total_steps", "must be >= 1");
        detail::require_setting(settings.warmup_steps <= settings.total_steps, "warmup_steps",
                                "must be <= total_steps");
        detail::require_setting(settings.decay_steps <= settings.total_steps - settings.warmup_steps, "decay_steps",
                                "must be <= total_steps - warmup_steps");
        detail::require_setting(std::isfinite(settings.warmup_start_factor) && settings.warmup_start_factor >= 0.0 &&
                                    settings.warmup_start_factor <= 1.0,
                                "warmup_start_factor", "must be in [0, 1]");
        detail::require_nonnegative_lr(settings.lr_end, "lr_end");
        detail::require_setting(settings.lr_end <= settings.lr, "lr_end", "must be <= lr");
        detail::require_shape(settings.warmup_shape, "warmup_shape");
        detail::require_shape(settings.decay_shape, "decay_shape");
        detail::require_shape_ends(settings.warmup_shape, settings.warmup_start_factor, 1.0, "warmup_shape");
        detail::require_shape_ends(settings.decay_shape, settings.lr, settings.lr_end, "decay_shape");
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        const auto& s = settings_;
        if (step < s.warmup_steps) {
            const double u = static_cast<double>(step) / static_cast<double>(s.warmup_steps);
            return detail::positive_learning_rate(interpolate(s.warmup_shape, s.warmup_start_factor * s.lr, s.lr, u));
        }
        if (step >= s.total_steps) return detail::positive_learning_rate(s.lr_end);
        const std::uint64_t decay_start = s.total_steps - s.decay_steps;
        if (step < decay_start) return s.lr;
        const double u = static_cast<double>(step - decay_start) / static_cast<double>(s.decay_steps);
        return detail::positive_learning_rate(interpolate(s.decay_shape, s.lr, s.lr_end, u));
    }
    [[nodiscard]] const warmup_stable_decay_settings& settings() const noexcept { return settings_; }

private:
    warmup_stable_decay_settings settings_;
};

}  // namespace autolrs::schedule
