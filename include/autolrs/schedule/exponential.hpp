#pragma once
// Exponential decay: the LR shrinks by gamma every `decay_steps` steps, continuously.

#include "autolrs/schedule/shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace autolrs::schedule {

struct exponential_settings {
    double lr;                        ///< LR of step 0; > 0
    double gamma;                     ///< factor per `decay_steps` steps, in (0, 1]
    std::uint64_t decay_steps = 1;    ///< >= 1; 1 is PyTorch's ExponentialLR
    double lr_min = 0.0;              ///< floor; >= 0, <= lr
};

/// lr(step) = max(lr * gamma^(step / decay_steps), lr_min), with a real exponent.
/// Non-increasing.
class exponential {
public:
    explicit exponential(const exponential_settings& settings) : settings_(settings) {
        detail::require_positive_lr(settings.lr, "lr");
        detail::require_setting(std::isfinite(settings.gamma) && settings.gamma > 0.0 && settings.gamma <= 1.0,
                                "gamma", "must be in (0, 1]");
        detail::require_setting(settings.decay_steps >= 1, "decay_steps", "must be >= 1");
        detail::require_nonnegative_lr(settings.lr_min, "lr_min");
        detail::require_setting(settings.lr_min <= settings.lr, "lr_min", "must be <= lr");
        log_gamma_per_step_ = std::log(settings.gamma) / static_cast<double>(settings.decay_steps);
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        const double lr = settings_.lr * std::exp(log_gamma_per_step_ * static_cast<double>(step));
        return detail::positive_learning_rate(std::max(lr, settings_.lr_min));
    }
    [[nodiscard]] const exponential_settings& settings() const noexcept { return settings_; }

private:
    exponential_settings settings_;
    double log_gamma_per_step_ = 0.0;
};

}  // namespace autolrs::schedule
