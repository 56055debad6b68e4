#pragma once
// Ramps from start_factor * lr to lr over a number of steps, then flat at lr: warmups,
// and (with start_factor > 1) cooldowns from the current LR down to a target.

#include "autolrs/schedule/shape.hpp"

#include <cmath>
#include <cstdint>

namespace autolrs::schedule {

struct warmup_settings {
    double lr;                   ///< target LR, reached at step `steps` and kept after; > 0
    std::uint64_t steps;         ///< length of the ramp; >= 1
    double start_factor = 0.01;  ///< lr(0) = start_factor * lr; >= 0, finite. The default is not 0
                                 ///< so that the first step is not wasted; > 1 makes a cooldown.
};

}  // namespace autolrs::schedule

namespace autolrs::detail {
inline void validate_warmup(const schedule::warmup_settings& settings) {
    require_positive_lr(settings.lr, "lr");
    require_setting(settings.steps >= 1, "steps", "must be >= 1");
    require_setting(std::isfinite(settings.start_factor) && settings.start_factor >= 0.0 &&
                                std::isfinite(settings.start_factor * settings.lr),
                            "start_factor", "must be finite and >= 0 (and start_factor * lr finite)");
}

inline double warmup_ramp(const schedule::warmup_settings& settings, schedule::shape path, std::uint64_t step) noexcept {
    if (step >= settings.steps) return settings.lr;
    const double u = static_cast<double>(step) / static_cast<double>(settings.steps);
    return positive_learning_rate(schedule::interpolate(path, settings.start_factor * settings.lr, settings.lr, u));
}
}  // namespace autolrs::detail

namespace autolrs::schedule {

/// lr(step) = lr * (start_factor + (1 - start_factor) * step / steps) for step < steps, lr after.
/// Monotone towards lr.
class linear_warmup {
public:
    explicit linear_warmup(const warmup_settings& settings) : settings_(settings) { detail::validate_warmup(settings); }
    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        return detail::warmup_ramp(settings_, shape::linear, step);
    }
    [[nodiscard]] const warmup_settings& settings() const noexcept { return settings_; }

private:
    warmup_settings settings_;
};

/// lr(step) = lr * (start_factor + (1 - start_factor) * (1 - cos(pi * step / steps)) / 2) for
/// step < steps, lr after: starts and ends gently. Monotone towards lr.
class cosine_warmup {
public:
    explicit cosine_warmup(const warmup_settings& settings) : settings_(settings) { detail::validate_warmup(settings); }
    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        return detail::warmup_ramp(settings_, shape::cosine, step);
    }
    [[nodiscard]] const warmup_settings& settings() const noexcept { return settings_; }

private:
    warmup_settings settings_;
};

}  // namespace autolrs::schedule
