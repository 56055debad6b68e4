#pragma once
// Step decay: the LR is multiplied by gamma every `step_size` steps (PyTorch's StepLR).

#include "autolrs/schedule/shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace autolrs::schedule {

struct step_decay_settings {
    double lr;                   ///< LR of steps [0, step_size); > 0
    std::uint64_t step_size;     ///< steps between two decays; >= 1
    double gamma = 0.1;          ///< factor per decay, in (0, 1]
    double lr_min = 0.0;         ///< floor; >= 0
};

/// lr(step) = max(lr * gamma^floor(step / step_size), lr_min). Non-increasing.
class step_decay {
public:
    explicit step_decay(const step_decay_settings& settings) : settings_(settings) {
        detail::require_positive_lr(settings.lr, "lr");
        detail::require_setting(settings.step_size >= 1, "step_size", "must be >= 1");
        detail::require_setting(std::isfinite(settings.gamma) && settings.gamma > 0.0 && settings.gamma <= 1.0, "gamma",
                        "must be in (0, 1]");
        detail::require_nonnegative_lr(settings.lr_min, "lr_min");
        detail::require_setting(settings.lr_min <= settings.lr, "lr_min", "must be <= lr");
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        const auto decays = static_cast<double>(step / settings_.step_size);
        return detail::positive_learning_rate(std::max(settings_.lr * std::pow(settings_.gamma, decays), settings_.lr_min));
    }
    [[nodiscard]] const step_decay_settings& settings() const noexcept { return settings_; }

private:
    step_decay_settings settings_;
};

}  // namespace autolrs::schedule
