#pragma once
// The naive forecaster: the plain mean of the last part of the window, no extrapolation.
// A baseline every model must beat, and a safe drop-in policy.

#include "autolrs/errors.hpp"
#include "autolrs/forecast/concept.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace autolrs {

struct tail_mean_forecaster_settings {
    double tail_fraction = 0.2;  ///< the mean is over this last part of the window

    void validate() const {
        detail::require_setting(tail_fraction > 0.0 && tail_fraction <= 1.0, "tail_fraction", "must be in (0, 1]");
    }
};

/// Forecast = mean of the finite losses in the last tail_fraction of the window (at least
/// one); stddev = the standard error of that mean. Status fitted when it had >= 2 points,
/// fallback_too_short with one, invalid_input with none.
class tail_mean_forecaster {
public:
    using settings_type = tail_mean_forecaster_settings;

    tail_mean_forecaster() = default;
    explicit tail_mean_forecaster(const settings_type& settings) : settings_(settings) { settings_.validate(); }

    [[nodiscard]] forecast predict(std::span<const double> losses, double /*horizon*/) const {
        std::size_t finite = 0;
        for (double y : losses) finite += std::isfinite(y) ? 1 : 0;
        forecast out{0.0, 0.0, forecast_status::invalid_input, losses.size() - finite};
        if (finite == 0) return out;
        const auto want = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::ceil(settings_.tail_fraction * static_cast<double>(finite))));
        // Welford over the last `want` finite values, scaled so huge losses cannot overflow.
        double max_abs = 0.0;
        for (double y : losses)
            if (std::isfinite(y)) max_abs = std::max(max_abs, std::abs(y));
        const double scale = max_abs > 0.0 ? max_abs : 1.0;
        double mean = 0.0, m2 = 0.0;
        std::size_t k = 0;
        for (std::size_t i = losses.size(); i-- > 0 && k < want;) {
            if (!std::isfinite(losses[i])) continue;
            const double y = losses[i] / scale;
            ++k;
            const double d = y - mean;
            mean += d / static_cast<double>(k);
            m2 += d * (y - mean);
        }
        out.value = mean * scale;
        out.stddev = k > 1 ? std::sqrt(m2 / static_cast<double>(k - 1) / static_cast<double>(k)) * scale : 0.0;
        out.status = k > 1 ? forecast_status::fitted : forecast_status::fallback_too_short;
        return out;
    }

private:
    settings_type settings_{};
};

static_assert(loss_forecaster<tail_mean_forecaster>);

}  // namespace autolrs
