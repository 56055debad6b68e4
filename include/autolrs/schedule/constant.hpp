#pragma once
// A constant learning rate.

#include "autolrs/schedule/shape.hpp"

#include <cstdint>

namespace autolrs::schedule {

struct constant_settings {
    double lr;  ///< > 0, finite
};

/// lr(step) = lr for every step.
class constant {
public:
    explicit constant(const constant_settings& settings) : settings_(settings) {
        detail::require_positive_lr(settings.lr, "lr");
    }

    [[nodiscard]] double operator()(std::uint64_t /*step*/) const noexcept { return settings_.lr; }
    [[nodiscard]] const constant_settings& settings() const noexcept { return settings_; }

private:
    constant_settings settings_;
};

}  // namespace autolrs::schedule
