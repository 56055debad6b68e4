#pragma once
// Multi-step decay: the LR is multiplied by gamma at each milestone (PyTorch's MultiStepLR).

#include "autolrs/schedule/shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace autolrs::schedule {

struct multi_step_settings {
    double lr;                                ///< LR before the first milestone; > 0
    std::vector<std::uint64_t> milestones;    ///< steps where a decay takes effect; strictly increasing
    double gamma = 0.1;                       ///< factor per milestone, in (0, 1]
};

/// lr(step) = lr * gamma^(number of milestones <= step). Non-increasing.
/// The milestones are copied once; a call is a binary search, with no allocation.
class multi_step {
public:
    explicit multi_step(multi_step_settings settings) : settings_(std::move(settings)) {
        detail::require_positive_lr(settings_.lr, "lr");
        detail::require_setting(std::isfinite(settings_.gamma) && settings_.gamma > 0.0 && settings_.gamma <= 1.0,
                                "gamma", "must be in (0, 1]");
        for (std::size_t i = 1; i < settings_.milestones.size(); ++i) {
            detail::require_setting(settings_.milestones[i - 1] < settings_.milestones[i],
                                    "milestones[" + std::to_string(i) + "]",
                                    "milestones must be strictly increasing");
        }
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        const auto& m = settings_.milestones;
        const auto passed = static_cast<double>(std::upper_bound(m.begin(), m.end(), step) - m.begin());
        return detail::positive_learning_rate(settings_.lr * std::pow(settings_.gamma, passed));
    }
    [[nodiscard]] const multi_step_settings& settings() const noexcept { return settings_; }
    [[nodiscard]] std::span<const std::uint64_t> milestones() const noexcept { return settings_.milestones; }

private:
    multi_step_settings settings_;
};

}  // namespace autolrs::schedule
