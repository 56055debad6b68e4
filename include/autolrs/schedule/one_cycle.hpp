#pragma once
// The one-cycle policy (Smith & Topin 2019; PyTorch's OneCycleLR, two phases): warm up to a
// peak, then anneal far below the starting LR.

#include "autolrs/schedule/shape.hpp"

#include <cmath>
#include <cstdint>

namespace autolrs::schedule {

struct one_cycle_settings {
    double lr_max;                   ///< the peak; > 0
    std::uint64_t total_steps;       ///< length of the cycle; >= 1
    double warmup_fraction = 0.3;    ///< share of total_steps spent rising; in [0, 1)
    double div_factor = 25.0;        ///< lr(0) = lr_max / div_factor; >= 1
    double final_div_factor = 1e4;   ///< final LR = lr(0) / final_div_factor; >= 1
    shape path = shape::cosine;      ///< shape of both phases (cosine or linear, as in PyTorch)
};

/// With w = round(warmup_fraction * total_steps), lr0 = lr_max / div_factor and
/// lr_final = lr0 / final_div_factor:
///   step <= w:               from lr0 (step 0) up to lr_max (step w)
///   w < step < total_steps:  from lr_max down to lr_final (reached at step total_steps)
///   step >= total_steps:     lr_final.
/// Non-decreasing up to step w, non-increasing after.
class one_cycle {
public:
    explicit one_cycle(const one_cycle_settings& settings) : settings_(settings) {
        detail::require_positive_lr(settings.lr_max, "lr_max");
        detail::require_setting(settings.total_steps >= 1, "total_steps", "must be >= 1");
        detail::require_setting(std::isfinite(settings.warmup_fraction) && settings.warmup_fraction >= 0.0 &&
                                    settings.warmup_fraction < 1.0,
                                "warmup_fraction", "must be in [0, 1)");
        detail::require_setting(std::isfinite(settings.div_factor) && settings.div_factor >= 1.0, "div_factor",
                                "must be finite and >= 1");
        detail::require_setting(std::isfinite(settings.final_div_factor) && settings.final_div_factor >= 1.0,
                                "final_div_factor", "must be finite and >= 1");
        detail::require_shape(settings.path, "path");
        lr_start_ = settings.lr_max / settings.div_factor;
        lr_final_ = detail::positive_learning_rate(lr_start_ / settings.final_div_factor);
        warmup_steps_ = static_cast<std::uint64_t>(
            std::llround(settings.warmup_fraction * static_cast<double>(settings.total_steps)));
        if (warmup_steps_ >= settings.total_steps) warmup_steps_ = settings.total_steps - 1;
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        if (step >= settings_.total_steps) return lr_final_;
        if (step < warmup_steps_) {
            const double u = static_cast<double>(step) / static_cast<double>(warmup_steps_);
            return detail::positive_learning_rate(interpolate(settings_.path, lr_start_, settings_.lr_max, u));
        }
        const double u = static_cast<double>(step - warmup_steps_) /
                         static_cast<double>(settings_.total_steps - warmup_steps_);
        return detail::positive_learning_rate(interpolate(settings_.path, settings_.lr_max, lr_final_, u));
    }
    [[nodiscard]] const one_cycle_settings& settings() const noexcept { return settings_; }
    /// The step at which the peak is reached.
    [[nodiscard]] std::uint64_t warmup_steps() const noexcept { return warmup_steps_; }

private:
    one_cycle_settings settings_;
    double lr_start_ = 0.0;
    double lr_final_ = 0.0;
    std::uint64_t warmup_steps_ = 0;
};

}  // namespace autolrs::schedule
