#pragma once
// The reference implementation's forecaster, reproduced as a baseline and for the
// reference preset. Its defects (no bounds, wild extrapolation of near-linear windows,
// 1-step-off horizon) are kept on purpose; only crashes and NaN become statuses.

#include "autolrs/forecast/detail/window.hpp"
#include "autolrs/forecast/concept.hpp"

#include "autolrs/numeric/compiled_lib.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

namespace autolrs {

/// Settings of reference_exponential_forecaster.
struct reference_exponential_forecaster_settings {
    /// true: per-step training losses (10 trimming passes of the 3% largest residuals);
    /// false: validation losses (1 pass dropping the single largest residual).
    bool training_losses = true;
};

namespace detail {

/// Least-squares quadratic through (x, y), evaluated at `at`. Stands in for the reference's
/// scipy UnivariateSpline(k=2, s=len): with the default smoothing s = len and losses whose
/// residuals are below 1 in size, that spline has no interior knots, i.e. it IS this quadratic.
/// Defined in reference_inl.hpp (its 3x3 LDLT is compiled once in autolrs::compiled).
AUTOLRS_INLINE bool quadratic_smooth(const std::vector<double>& x, const std::vector<double>& y, std::span<const double> at,
                                     std::vector<double>& out);

/// numpy.linalg.lstsq of y on [exp(b x), 1]: {a, c, residual sum of squares}; false when
/// numpy would call the matrix rank-deficient (the reference then crashes).
struct reference_lstsq {
    double a = 0.0, c = 0.0, sse = 0.0;
    bool ok = false;
};

inline reference_lstsq reference_exp_lstsq(double b, std::span<const double> x, std::span<const double> y) {
    const std::size_t n = x.size();
    double sp = 0.0, sy = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        sp += std::exp(b * x[i]);
        sy += y[i];
    }
    const double pm = sp / n, ym = sy / n;
    double spp = 0.0, spy = 0.0, syy = 0.0, sq = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double p = std::exp(b * x[i]);
        spp += (p - pm) * (p - pm);
        spy += (p - pm) * (y[i] - ym);
        syy += (y[i] - ym) * (y[i] - ym);
        sq += p * p;
    }
    reference_lstsq r;
    // Singular values of [phi, 1]: eigenvalues of [[sq, sp], [sp, n]], det = n * spp.
    const double trace = sq + static_cast<double>(n);
    const double disc = std::sqrt(std::max(0.0, trace * trace - 4.0 * n * spp));
    const double l_max = 0.5 * (trace + disc);
    const double l_min = l_max > 0.0 ? n * spp / l_max : 0.0;
    if (!(std::sqrt(std::max(0.0, l_min) / l_max) > DBL_EPSILON * static_cast<double>(n))) return r;
    r.a = spy / spp;
    r.c = ym - r.a * pm;
    r.sse = std::max(0.0, syy - spy * r.a);
    r.ok = std::isfinite(r.a) && std::isfinite(r.c);
    return r;
}

/// scipy.optimize.fmin (Nelder-Mead) in one dimension, as scipy runs it: start x0, initial
/// step 0.00025 (x0 == 0) or 5%, xatol = fatol = tol, at most 200 iterations and calls.
/// Returns {x, ok}; ok is false when f failed (the reference crashes there).
template <class F>
std::pair<double, bool> nelder_mead_1d(F f, double x0, double tol) {
    double sim[2] = {x0, x0 != 0.0 ? 1.05 * x0 : 0.00025};
    double fs[2];
    int calls = 0;
    bool ok = true;
    auto eval = [&](double x) {
        ++calls;
        const auto [v, good] = f(x);
        ok = ok && good;
        return v;
    };
    fs[0] = eval(sim[0]);
    fs[1] = eval(sim[1]);
    if (!ok) return {sim[0], false};
    if (fs[1] < fs[0]) {
        std::swap(sim[0], sim[1]);
        std::swap(fs[0], fs[1]);
    }
    for (int it = 1; calls < 200 && it < 200; ++it) {
        if (std::abs(sim[1] - sim[0]) <= tol && std::abs(fs[0] - fs[1]) <= tol) break;
        const double xbar = sim[0];
        const double xr = 2.0 * xbar - sim[1];
        const double fxr = eval(xr);
        if (fxr < fs[0]) {
            const double xe = 3.0 * xbar - 2.0 * sim[1];
            const double fxe = eval(xe);
            if (fxe < fxr) {
                sim[1] = xe;
                fs[1] = fxe;
            } else {
                sim[1] = xr;
                fs[1] = fxr;
            }
        } else {
            bool shrink = false;
            if (fxr < fs[1]) {
                const double xc = 1.5 * xbar - 0.5 * sim[1];
                const double fxc = eval(xc);
                if (fxc <= fxr) {
                    sim[1] = xc;
                    fs[1] = fxc;
                } else {
                    shrink = true;
                }
            } else {
                const double xcc = 0.5 * xbar + 0.5 * sim[1];
                const double fxcc = eval(xcc);
                if (fxcc < fs[1]) {
                    sim[1] = xcc;
                    fs[1] = fxcc;
                } else {
                    shrink = true;
                }
            }
            if (shrink) {
                sim[1] = sim[0] + 0.5 * (sim[1] - sim[0]);
                fs[1] = eval(sim[1]);
            }
        }
        if (!ok) return {sim[0], false};
        if (fs[1] < fs[0]) {
            std::swap(sim[0], sim[1]);
            std::swap(fs[0], fs[1]);
        }
    }
    return {sim[0], ok};
}

}  // namespace detail

/// The reference's procedure: x = 0..n-1; up to 10 passes drop the 3% largest residuals of a
/// quadratic smoothing fit, only among the first half of the window; the exponential
/// a*exp(b*x) + c (b = -exp(beta)) is fitted to the smoothed curve by Nelder-Mead over beta
/// from 0 with (a, c) by least squares; the forecast a*exp(b*horizon) + c is NOT bounded.
/// Like the reference, it evaluates at x = horizon, one step past t = horizon.
/// Where the reference would crash or return NaN (rank-deficient fit, too few points,
/// non-finite result), this returns the mean of the last 10 finite losses with status
/// fallback_degenerate (or fallback_too_short). Non-finite losses are dropped (the reference
/// sends 1e6 to its BO instead). stddev is 0: the reference has no uncertainty.
class reference_exponential_forecaster {
public:
    using settings_type = reference_exponential_forecaster_settings;

    reference_exponential_forecaster() = default;
    explicit reference_exponential_forecaster(const settings_type& settings) : settings_(settings) {}

    [[nodiscard]] forecast predict(std::span<const double> losses, double horizon) const {
        std::vector<double> xs, ys;
        for (std::size_t i = 0; i < losses.size(); ++i) {
            if (std::isfinite(losses[i])) {
                xs.push_back(static_cast<double>(i));
                ys.push_back(losses[i]);
            }
        }
        forecast out{0.0, 0.0, forecast_status::invalid_input, losses.size() - xs.size()};
        if (xs.empty()) return out;
        const auto fallback = [&](forecast_status status) {
            const std::size_t k = std::min<std::size_t>(10, ys.size());
            double s = 0.0;
            for (std::size_t i = ys.size() - k; i < ys.size(); ++i) s += ys[i];
            out.value = detail::finite_or(s / static_cast<double>(k), 0.0);
            out.status = status;
            return out;
        };
        if (xs.size() < 4) return fallback(forecast_status::fallback_too_short);

        // spline_iter: trim the largest residuals of the smoothing fit, first half only.
        const std::vector<double> all_x = xs;
        const double bound = xs[static_cast<std::size_t>((xs.size() - 1) * 0.5)];
        const int passes = settings_.training_losses ? 10 : 1;
        std::vector<double> smooth, dys;
        std::vector<std::size_t> order;
        for (int pass = 0; pass < passes; ++pass) {
            if (!detail::quadratic_smooth(xs, ys, xs, smooth)) return fallback(forecast_status::fallback_degenerate);
            const std::size_t n = xs.size();
            dys.resize(n);
            for (std::size_t i = 0; i < n; ++i) dys[i] = std::abs(ys[i] - smooth[i]);
            order.resize(n);
            std::iota(order.begin(), order.end(), std::size_t{0});
            std::stable_sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) { return dys[l] < dys[r]; });
            // Python: sorted(...)[int(round(-n * 0.03)):]; a 0 there keeps EVERY index (n < 17).
            std::size_t count = 1;
            if (settings_.training_losses) {
                count = static_cast<std::size_t>(-std::nearbyint(-static_cast<double>(n) * 0.03));
                if (count == 0) count = n;
            }
            std::vector<bool> drop(n, false);
            for (std::size_t j = n - std::min(count, n); j < n; ++j)
                if (static_cast<double>(order[j]) < bound) drop[order[j]] = true;  // index against an x: as the reference
            std::vector<double> x2, y2;
            for (std::size_t i = 0; i < n; ++i)
                if (!drop[i]) {
                    x2.push_back(xs[i]);
                    y2.push_back(ys[i]);
                }
            xs.swap(x2);
            ys.swap(y2);
        }
        if (!detail::quadratic_smooth(xs, ys, all_x, smooth)) return fallback(forecast_status::fallback_degenerate);

        const auto objective = [&](double beta) {
            const detail::reference_lstsq r = detail::reference_exp_lstsq(-std::exp(beta), all_x, smooth);
            return std::pair<double, bool>{r.sse, r.ok};
        };
        const auto [beta, ok] = detail::nelder_mead_1d(objective, 0.0, 1e-5);
        if (!ok) return fallback(forecast_status::fallback_degenerate);
        const double b = -std::exp(beta);
        const detail::reference_lstsq fit = detail::reference_exp_lstsq(b, all_x, smooth);
        const double value = fit.a * std::exp(b * horizon) + fit.c;
        if (!fit.ok || !std::isfinite(value)) return fallback(forecast_status::fallback_degenerate);
        out.value = value;
        out.status = forecast_status::fitted;
        return out;
    }

private:
    settings_type settings_{};
};

static_assert(loss_forecaster<reference_exponential_forecaster>);

}  // namespace autolrs

// the definitions, where this TU holds them
#include "autolrs/forecast/detail/reference_inl.hpp"
