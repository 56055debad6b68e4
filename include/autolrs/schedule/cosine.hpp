#pragma once
// Cosine annealing to a floor, optionally with warm restarts (SGDR, Loshchilov & Hutter 2017).

#include "autolrs/schedule/shape.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

namespace autolrs::schedule {

struct cosine_settings {
    double lr_max;                      ///< LR at the start of each cycle; > 0
    std::uint64_t period;               ///< steps of the (first) cycle; >= 1
    double lr_min = 0.0;                ///< floor, reached at the end of a cycle; >= 0, <= lr_max
    bool restarts = false;              ///< false: stay at lr_min after `period` steps
    double period_multiplier = 1.0;     ///< with restarts: each cycle is this many times longer; >= 1
};

/// Within a cycle of length T that started at step s0:
///   lr(step) = lr_min + (lr_max - lr_min) * (1 + cos(pi * (step - s0) / T)) / 2.
/// Without restarts there is one cycle and lr = lr_min from step `period` on (non-increasing).
/// With restarts, cycle i has length period * period_multiplier^i (a real number: cycle
/// boundaries fall on the first whole step at or after the real start).
/// An lr_min of 0 is returned as the smallest positive double.
class cosine {
public:
    explicit cosine(const cosine_settings& settings) : settings_(settings) {
        detail::require_positive_lr(settings.lr_max, "lr_max");
        detail::require_setting(settings.period >= 1, "period", "must be >= 1");
        detail::require_nonnegative_lr(settings.lr_min, "lr_min");
        detail::require_setting(settings.lr_min <= settings.lr_max, "lr_min", "must be <= lr_max");
        detail::require_setting(std::isfinite(settings.period_multiplier) && settings.period_multiplier >= 1.0,
                                "period_multiplier", "must be finite and >= 1");
        log_multiplier_ = std::log(settings.period_multiplier);
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        const double first = static_cast<double>(settings_.period);
        double into_cycle = 0.0;  // steps since the current cycle began
        double cycle = first;     // length of the current cycle
        if (!settings_.restarts) {
            if (step >= settings_.period) return detail::positive_learning_rate(settings_.lr_min);
            into_cycle = static_cast<double>(step);
        } else if (log_multiplier_ == 0.0) {
            into_cycle = static_cast<double>(step % settings_.period);
        } else {
            // Cycle i starts at first * (m^i - 1) / (m - 1); invert, then fix rounding by one.
            const double m = settings_.period_multiplier;
            const double s = static_cast<double>(step);
            // For a huge m (up to 1e308) s * (m - 1) overflows: then log1p(x) is log(x), taken
            // as a sum of logs; a cycle start that overflows is past every step.
            const auto start_of = [&](double i) {
                if (i <= 1.0) return i <= 0.0 ? 0.0 : first;  // exact: the first restart is at `period`
                double start = first * std::expm1(i * log_multiplier_) / (m - 1.0);
                if (!std::isfinite(start)) start = first * (std::expm1(i * log_multiplier_) / (m - 1.0));
                return std::isnan(start) ? std::numeric_limits<double>::infinity() : start;
            };
            const double x = s * (m - 1.0) / first;
            const double log_x1 = std::isfinite(x) ? std::log1p(x) : std::log(s / first) + std::log(m - 1.0);
            double i = std::floor(log_x1 / log_multiplier_);
            if (start_of(i) > s) i -= 1.0;
            else if (start_of(i + 1.0) <= s) i += 1.0;
            into_cycle = s - start_of(i);
            cycle = first * std::exp(i * log_multiplier_);  // may be inf: the cycle just began
        }
        const double lr = settings_.lr_min + (settings_.lr_max - settings_.lr_min) * 0.5 *
                                                 (1.0 + std::cos(std::numbers::pi * (into_cycle / cycle)));
        return detail::positive_learning_rate(lr);
    }
    [[nodiscard]] const cosine_settings& settings() const noexcept { return settings_; }

private:
    cosine_settings settings_;
    double log_multiplier_ = 0.0;
};

}  // namespace autolrs::schedule
