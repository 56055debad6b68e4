#pragma once
// A straight line from one LR to another over a number of steps, then flat.

#include "autolrs/schedule/shape.hpp"

#include <cstdint>

namespace autolrs::schedule {

struct linear_settings {
    double lr_start;        ///< LR of step 0; >= 0
    double lr_end;          ///< LR from step `steps` on; >= 0
    std::uint64_t steps;    ///< >= 1
};

/// lr(step) = lr_start + (lr_end - lr_start) * step / steps for step < steps, lr_end after
/// (an LR of 0 is returned as the smallest positive double). Monotone: non-increasing when
/// lr_end <= lr_start, non-decreasing otherwise.
class linear {
public:
    explicit linear(const linear_settings& settings) : settings_(settings) {
        detail::require_nonnegative_lr(settings.lr_start, "lr_start");
        detail::require_nonnegative_lr(settings.lr_end, "lr_end");
        detail::require_setting(settings.steps >= 1, "steps", "must be >= 1");
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        if (step >= settings_.steps) return detail::positive_learning_rate(settings_.lr_end);
        const double u = static_cast<double>(step) / static_cast<double>(settings_.steps);
        return detail::positive_learning_rate(interpolate(shape::linear, settings_.lr_start, settings_.lr_end, u));
    }
    [[nodiscard]] const linear_settings& settings() const noexcept { return settings_; }

private:
    linear_settings settings_;
};

}  // namespace autolrs::schedule
