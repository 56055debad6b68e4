#pragma once
// A forecaster that believes an extrapolated drop only when it is significant: the level where
// the window ends (its tail mean) plus the inner model's extrapolated drop, shrunk by how many
// of its own standard deviations that drop is. A drop the window cannot resolve is noise, and
// noise in forecasts reorders the LRs: measured on the recorded curves, the exponential model
// alone ranks LRs worse than the tail mean on 6 of 18 hold-out cases; this judge on none
// (bench/bench_forecast_accuracy, bench/README.md).

#include "autolrs/errors.hpp"
#include "autolrs/forecast/concept.hpp"
#include "autolrs/forecast/exponential.hpp"
#include "autolrs/forecast/tail_mean.hpp"

#include <cmath>
#include <span>

namespace autolrs {

struct significant_drop_settings {
    double sigmas = 2.0;         ///< the drop's weight is d^2 / (d^2 + (sigmas * stddev)^2)
    double tail_fraction = 0.2;  ///< the level is the mean of this last part of the window

    void validate() const {
        detail::require_setting(sigmas >= 0.0 && std::isfinite(sigmas), "sigmas", "must be >= 0 and finite");
        detail::require_setting(tail_fraction > 0.0 && tail_fraction <= 1.0, "tail_fraction", "must be in (0, 1]");
    }
};

/// value = tail + w d, d = inner forecast - tail, w = d^2 / (d^2 + (sigmas * inner stddev)^2);
/// stddev = sqrt(tail stddev^2 + (w * inner stddev)^2). With sigmas = 0 it is the inner model
/// (less its own tail level); as sigmas grows it becomes the tail mean. The status is the inner
/// forecaster's; a window with no finite loss is invalid_input, as for every forecaster.
template <loss_forecaster Inner = exponential_forecaster>
class significant_drop_forecaster {
public:
    using settings_type = significant_drop_settings;

    significant_drop_forecaster() = default;
    explicit significant_drop_forecaster(const settings_type& settings, const Inner& inner = Inner{})
        : settings_(settings), inner_(inner), tail_({.tail_fraction = settings.tail_fraction}) {
        settings_.validate();
    }

    [[nodiscard]] forecast predict(std::span<const double> losses, double horizon) const {
        const forecast level = tail_.predict(losses, horizon);
        const forecast model = inner_.predict(losses, horizon);
        if (level.status == forecast_status::invalid_input || model.status == forecast_status::invalid_input) {
            return {0.0, 0.0, forecast_status::invalid_input, level.non_finite};
        }
        const double d = model.value - level.value;
        const double doubt = settings_.sigmas * model.stddev;
        const double w = d * d > 0.0 ? d * d / (d * d + doubt * doubt) : 0.0;
        const double value = level.value + w * d;
        const double sd = std::sqrt(level.stddev * level.stddev + w * w * model.stddev * model.stddev);
        if (!std::isfinite(value) || !std::isfinite(sd)) return level;
        return {value, sd, model.status, model.non_finite};
    }

private:
    settings_type settings_{};
    Inner inner_{};
    tail_mean_forecaster tail_{};
};

static_assert(loss_forecaster<significant_drop_forecaster<>>);

}  // namespace autolrs
