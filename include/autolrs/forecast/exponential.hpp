#pragma once
// The default loss forecaster: L(t) = a*exp(b*t) + c with b < 0, fitted robustly,
// bounded, with a fallback and a predictive standard deviation.

#include "autolrs/forecast/detail/profile_fit.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/forecast/concept.hpp"

#include <cmath>
#include <cstddef>
#include <span>

namespace autolrs {

/// Settings of exponential_forecaster. Rates are in e-folds per window length, so the
/// settings do not depend on the window's size or time unit.
struct exponential_forecaster_settings {
    std::size_t min_points = 8;     ///< fewer finite losses: fallback_too_short
    double tail_fraction = 0.2;     ///< fallbacks use the robust mean of this last part
    double min_rate = 0.5;          ///< slowest decay searched: caps the extrapolated drop
    double max_rate = 50.0;         ///< fastest decay searched
    double max_drop_ratio = 1.0;    ///< forecast >= end level - this * drop seen in the window
                                    ///< (positive levels: >= end * (end / start)^this)
    double huber_k = 1.5;           ///< Huber cut, in robust residual scales
    int robust_passes = 2;          ///< Huber reweighting passes after the plain fit
    double flat_f = 0.0;            ///< F statistic (model against constant) below which: flat
                                    ///< (0: near-flat windows are handled by the shrinkage)
    double model_sd_fraction = 0.25;  ///< extra stddev: this * max(drop in window, extrapolated drop)
    int brent_bits = 20;            ///< Brent precision in bits on log(rate)
    bool shrink = true;             ///< shrink the extrapolated drop by its signal-to-noise ratio
    bool tail_anchor = true;        ///< move the forecast by the mean residual of the window's tail
                                    ///< (the last tail_fraction): the level where the curve ends

    void validate() const {
        using detail::require_setting;
        require_setting(min_points >= 4, "min_points", "must be >= 4 (three parameters and a residual)");
        require_setting(tail_fraction > 0.0 && tail_fraction <= 1.0, "tail_fraction", "must be in (0, 1]");
        require_setting(min_rate > 0.0 && std::isfinite(min_rate), "min_rate", "must be > 0 and finite");
        require_setting(max_rate > min_rate && std::isfinite(max_rate), "max_rate", "must be > min_rate and finite");
        require_setting(max_drop_ratio >= 0.0 && std::isfinite(max_drop_ratio), "max_drop_ratio", "must be >= 0 and finite");
        require_setting(huber_k > 0.0, "huber_k", "must be > 0");
        require_setting(robust_passes >= 0 && robust_passes <= 20, "robust_passes", "must be in [0, 20]");
        require_setting(flat_f >= 0.0, "flat_f", "must be >= 0");
        require_setting(model_sd_fraction >= 0.0, "model_sd_fraction", "must be >= 0");
        require_setting(brent_bits >= 4 && brent_bits <= 40, "brent_bits", "must be in [4, 40]");
    }
};

/// The fitted curve L(t) = a*exp(b*t) + c (t in the window's unit, t = i + 1 for losses[i]).
struct exponential_fit {
    double a = 0.0, b = 0.0, c = 0.0;
    forecast prediction{0.0, 0.0, forecast_status::invalid_input};
};

namespace detail {
/// phi[i] = exp(-k * (i + 1) / n): four interleaved product chains (one exp each) keep
/// the loop short on long windows.
inline void fill_exponential_basis(double k, std::size_t n, double* phi) noexcept {
    const double r = std::exp(-k / static_cast<double>(n));
    const double r4 = (r * r) * (r * r);
    double p0 = r, p1 = r * r, p2 = p1 * r, p3 = p2 * r;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        phi[i] = p0;
        phi[i + 1] = p1;
        phi[i + 2] = p2;
        phi[i + 3] = p3;
        p0 *= r4;
        p1 *= r4;
        p2 *= r4;
        p3 *= r4;
    }
    const double tail[3] = {p0, p1, p2};
    for (std::size_t j = 0; i < n; ++i, ++j) phi[i] = tail[j];
}

/// phi(s) = exp(-k s), theta = log k.
struct exponential_basis {
    double theta_lo, theta_hi;
    void fill(double theta, std::size_t n, double* phi) const { fill_exponential_basis(std::exp(theta), n, phi); }
    [[nodiscard]] double at(double theta, double s) const { return std::exp(-std::exp(theta) * s); }
    [[nodiscard]] double dtheta(double theta, double s, double phi) const { return -std::exp(theta) * s * phi; }
};
static_assert(explain_profile_basis<exponential_basis>());
#ifdef AUTOLRS_COMPILED_LIB
// The default forecaster's fit comes compiled (numeric/compiled_lib.hpp).
extern template profile_outcome profile_forecast<exponential_basis>(const exponential_basis&, const profile_options&,
                                                                    std::span<const double>, double);
#endif
}  // namespace detail

/// The default forecaster. predict() fits L(t) = a*exp(b*t) + c (b < 0) to the finite
/// losses: a Brent search over log(-b) with (a, c) by weighted least squares, then Huber
/// reweighting passes (outliers lose weight instead of being trimmed). The extrapolated drop
/// (forecast - fitted end level) is shrunk by its signal-to-noise ratio d^2 / (d^2 + var d),
/// var d from the delta method: a drop the window cannot resolve is noise, and noise
/// scrambles the ranking of LRs (measured on real curves: bench/README.md). The forecast is
/// clamped to [end level - max_drop_ratio * drop in window, end level], then (tail_anchor)
/// moved by the mean residual of the window's tail, so the level it starts from is where
/// the data end, not where a one-rate model puts them. It falls back to the
/// robust (Huber) mean of the window's tail when the window is too short, exactly flat (or
/// F < flat_f), rising, or numerically degenerate. The stddev is the delta-method (Laplace)
/// error of the forecast (and of the tail's mean residual) plus
/// model_sd_fraction * max(drop in window, extrapolated drop).
/// Deterministic; allocation-free once a thread has seen its largest window.
class exponential_forecaster {
public:
    using settings_type = exponential_forecaster_settings;

    exponential_forecaster() = default;
    explicit exponential_forecaster(const settings_type& settings) : settings_(settings) { settings_.validate(); }

    [[nodiscard]] forecast predict(std::span<const double> losses, double horizon) const {
        return fit(losses, horizon).prediction;
    }

    /// The forecast and the fitted parameters (zeros unless the status is fitted*).
    [[nodiscard]] exponential_fit fit(std::span<const double> losses, double horizon) const {
        const detail::exponential_basis basis{std::log(settings_.min_rate), std::log(settings_.max_rate)};
        const detail::profile_outcome o = detail::profile_forecast(basis, options(), losses, horizon);
        exponential_fit r;
        r.prediction = o.result;
        if (is_fitted(o.result.status)) {
            r.a = o.fit.a * o.scale;
            r.b = -std::exp(o.fit.theta) / static_cast<double>(o.n);
            r.c = o.fit.c * o.scale;
        }
        return r;
    }

    [[nodiscard]] const settings_type& settings() const noexcept { return settings_; }

private:
    [[nodiscard]] detail::profile_options options() const {
        return {settings_.min_points, settings_.tail_fraction, settings_.max_drop_ratio, settings_.huber_k,
                settings_.robust_passes, settings_.flat_f, settings_.model_sd_fraction, settings_.brent_bits, settings_.shrink,
                settings_.tail_anchor};
    }
    settings_type settings_{};
};

static_assert(loss_forecaster<exponential_forecaster>);

}  // namespace autolrs
