#pragma once
// The warmup's and the cooldown's LR ramps, step by step. Pure.

#include "autolrs/controller_settings.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace autolrs::detail {

[[nodiscard]] inline double ramp(ramp_shape shape, double fraction) noexcept {
    return shape == ramp_shape::linear ? fraction : 0.5 * (1.0 - std::cos(std::numbers::pi * fraction));
}

/// The warmup's LR at `step` (0-based) of `length`: from lr_min up to `target`, reached at the last step.
[[nodiscard]] inline double warmup_lr_at(const controller_settings& s, double target, std::uint64_t step,
                                         std::uint64_t length) noexcept {
    const double fraction = static_cast<double>(step + 1) / static_cast<double>(length);
    return s.lr_min + (target - s.lr_min) * ramp(s.warmup_shape, fraction);
}

/// The cooldown's LR at `step` (0-based) of `length`: from `start` down to
/// start * cooldown_final_ratio.
[[nodiscard]] inline double cooldown_lr_at(const controller_settings& s, double start, std::uint64_t step,
                                           std::uint64_t length) noexcept {
    const double fraction = static_cast<double>(step) / static_cast<double>(std::max<std::uint64_t>(length, 1));
    const double r = s.cooldown_final_ratio;
    return start * (r + (1.0 - r) * (1.0 - ramp(s.cooldown_shape, fraction)));
}

}  // namespace autolrs::detail
