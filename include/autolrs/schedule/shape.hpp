#pragma once
// The path a schedule takes between two learning rates (warmups, anneals, decay
// tails), and the checks and clamp that every fixed schedule shares.

#include "autolrs/errors.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>

namespace autolrs::schedule {

/// How the LR moves from `start` to `end` as the progress u goes from 0 to 1.
enum class shape {
    linear,     ///< start + (end - start) * u
    cosine,     ///< half a cosine: slow at both ends, fastest in the middle
    sqrt,       ///< start + (end - start) * sqrt(u): fast at first; decaying to 0 this is
                ///< the "1 - sqrt" cooldown of warmup-stable-decay (Hagele et al., 2024)
    geometric,  ///< start * (end / start)^u: uniform in log(LR); both ends must be > 0
};

/// The LR at progress u in [0, 1] (clamped) on the way from `start` to `end`.
[[nodiscard]] inline double interpolate(shape path, double start, double end, double u) noexcept {
    u = u < 0.0 ? 0.0 : (u > 1.0 ? 1.0 : u);
    switch (path) {
        case shape::cosine: return start + (end - start) * 0.5 * (1.0 - std::cos(std::numbers::pi * u));
        case shape::sqrt: return start + (end - start) * std::sqrt(u);
        case shape::geometric: return start * std::pow(end / start, u);
        case shape::linear: break;
    }
    return start + (end - start) * u;
}

}  // namespace autolrs::schedule

namespace autolrs::detail {

/// The smallest LR a schedule returns. Schedules that decay "to 0" stop here, so that
/// every lr(step) is > 0 and log(lr) (the controller's search variable) stays finite.
inline constexpr double smallest_learning_rate = std::numeric_limits<double>::min();

[[nodiscard]] inline double positive_learning_rate(double lr) noexcept {
    return lr >= smallest_learning_rate ? lr : smallest_learning_rate;  // also maps NaN, never reached
}

inline void require_positive_lr(double lr, std::string_view field) {
    require_setting(std::isfinite(lr) && lr > 0.0, field, "must be a finite learning rate > 0");
}

inline void require_nonnegative_lr(double lr, std::string_view field) {
    require_setting(std::isfinite(lr) && lr >= 0.0, field,
                    "must be a finite learning rate >= 0 (0 means the smallest positive double)");
}

inline void require_shape(schedule::shape path, std::string_view field) {
    require_setting(path == schedule::shape::linear || path == schedule::shape::cosine ||
                        path == schedule::shape::sqrt || path == schedule::shape::geometric,
                    field, "must be one of shape::linear, cosine, sqrt, geometric");
}

/// The geometric path needs both ends > 0 (0 has no logarithm).
inline void require_shape_ends(schedule::shape path, double start, double end, std::string_view field) {
    require_setting(path != schedule::shape::geometric || (start > 0.0 && end > 0.0), field,
                    "shape::geometric needs both end learning rates > 0");
}

}  // namespace autolrs::detail
