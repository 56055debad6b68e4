#pragma once
// An alternative loss forecaster: L(t) = a*(t + t0)^(-p) + c, a drop-in for
// exponential_forecaster with the same robust fit, fallbacks, bounds and stddev.

#include "autolrs/forecast/detail/profile_fit.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/forecast/concept.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <span>

namespace autolrs {

/// Settings of power_law_forecaster; t0 is chosen per window from a few offsets given
/// in window lengths (a window that starts mid-training has its origin far behind it).
struct power_law_forecaster_settings {
    std::size_t min_points = 8;
    double tail_fraction = 0.2;
    double min_exponent = 0.05;     ///< slowest power searched
    double max_exponent = 4.0;      ///< fastest power searched
    std::array<double, 4> offsets{0.02, 0.1, 0.5, 2.0};  ///< t0 / window length tried
    double max_drop_ratio = 1.0;
    double huber_k = 1.5;
    int robust_passes = 2;
    double flat_f = 0.0;
    double model_sd_fraction = 0.25;
    int brent_bits = 20;
    bool shrink = true;             ///< shrink the extrapolated drop by its signal-to-noise ratio
    bool tail_anchor = false;       ///< as in exponential_forecaster; off: its flexible shape already
                                    ///< follows the curve's end, and anchoring it ranked worse

    void validate() const {
        using detail::require_setting;
        require_setting(min_points >= 4, "min_points", "must be >= 4 (three parameters and a residual)");
        require_setting(tail_fraction > 0.0 && tail_fraction <= 1.0, "tail_fraction", "must be in (0, 1]");
        require_setting(min_exponent > 0.0 && std::isfinite(min_exponent), "min_exponent", "must be > 0 and finite");
        require_setting(max_exponent > min_exponent && std::isfinite(max_exponent), "max_exponent",
                        "must be > min_exponent and finite");
        for (double o : offsets) require_setting(o > 0.0 && std::isfinite(o), "offsets", "each must be > 0 and finite");
        require_setting(max_drop_ratio >= 0.0 && std::isfinite(max_drop_ratio), "max_drop_ratio", "must be >= 0 and finite");
        require_setting(huber_k > 0.0, "huber_k", "must be > 0");
        require_setting(robust_passes >= 0 && robust_passes <= 20, "robust_passes", "must be in [0, 20]");
        require_setting(flat_f >= 0.0, "flat_f", "must be >= 0");
        require_setting(model_sd_fraction >= 0.0, "model_sd_fraction", "must be >= 0");
        require_setting(brent_bits >= 4 && brent_bits <= 40, "brent_bits", "must be in [4, 40]");
    }
};

namespace detail {
/// phi(s) = (s + s0)^(-p), theta = log p; log(s_i + s0) precomputed in `logs`.
struct power_basis {
    double theta_lo, theta_hi, s0;
    const double* logs;
    void fill(double theta, std::size_t n, double* phi) const {
        const double p = std::exp(theta);
        for (std::size_t i = 0; i < n; ++i) phi[i] = std::exp(-p * logs[i]);
    }
    [[nodiscard]] double at(double theta, double s) const { return std::exp(-std::exp(theta) * std::log(s + s0)); }
    [[nodiscard]] double dtheta(double theta, double s, double phi) const {
        return -std::exp(theta) * std::log(s + s0) * phi;
    }
};
static_assert(explain_profile_basis<power_basis>());
#ifdef AUTOLRS_COMPILED_LIB
// Its fit comes compiled (numeric/compiled_lib.hpp): the umbrella header includes this
// forecaster, and the fit would otherwise be instantiated in every translation unit.
extern template profile_outcome profile_forecast<power_basis>(const power_basis&, const profile_options&,
                                                              std::span<const double>, double);
#endif
}  // namespace detail

/// Robust power-law forecaster (see exponential_forecaster for the procedure); of the
/// offsets tried, the fitted one whose fit leaves the smallest residual scale wins; when
/// no offset gives a fit, the first offset's fallback is returned.
class power_law_forecaster {
public:
    using settings_type = power_law_forecaster_settings;

    power_law_forecaster() = default;
    explicit power_law_forecaster(const settings_type& settings) : settings_(settings) { settings_.validate(); }

    [[nodiscard]] forecast predict(std::span<const double> losses, double horizon) const {
        const detail::profile_options opt{settings_.min_points, settings_.tail_fraction, settings_.max_drop_ratio,
                                          settings_.huber_k,    settings_.robust_passes, settings_.flat_f,
                                          settings_.model_sd_fraction, settings_.brent_bits, settings_.shrink,
                                          settings_.tail_anchor};
        detail::forecast_workspace& ws = detail::thread_workspace();
        const std::size_t n = losses.size();
        detail::profile_outcome best;
        forecast first_fallback{0.0, 0.0, forecast_status::invalid_input};
        bool have = false, have_fallback = false;
        for (double s0 : settings_.offsets) {
            ws.resize(n);
            for (std::size_t i = 0; i < n; ++i) ws.aux[i] = std::log(static_cast<double>(i + 1) / n + s0);
            const detail::power_basis basis{std::log(settings_.min_exponent), std::log(settings_.max_exponent), s0,
                                            ws.aux.data()};
            detail::profile_outcome o = detail::profile_forecast(basis, opt, losses, horizon);
            if (!is_fitted(o.result.status)) {
                if (!have_fallback) first_fallback = o.result;
                have_fallback = true;
                continue;
            }
            if (!have || o.fit.sigma < best.fit.sigma) {
                best = o;
                have = true;
            }
        }
        return have ? best.result : first_fallback;
    }

    [[nodiscard]] const settings_type& settings() const noexcept { return settings_; }

private:
    settings_type settings_{};
};

static_assert(loss_forecaster<power_law_forecaster>);

}  // namespace autolrs
