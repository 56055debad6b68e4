#pragma once
// The robust profile fit shared by the model forecasters: z = a*phi_theta(s) + c with
// s = t / n, one nonlinear parameter theta searched by Brent (numeric/brent.hpp), (a, c) by
// weighted least squares for each trial, Huber reweighting (IRLS) against outliers,
// a significance test for flat and rising windows, bounds on the extrapolation, and a
// Laplace (delta-method) predictive standard deviation. The curve's shape phi_theta is a
// Basis: a type that satisfies profile_basis (profile_basis.hpp).

#include "autolrs/forecast/concept.hpp"
#include "autolrs/forecast/detail/profile_basis.hpp"
#include "autolrs/forecast/detail/window.hpp"
#include "autolrs/numeric/brent.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

namespace autolrs::detail {

/// The knobs every profile forecaster shares (the public settings copy them in).
struct profile_options {
    std::size_t min_points;
    double tail_fraction;
    double max_drop_ratio;
    double huber_k;
    int robust_passes;
    double flat_f;
    double model_sd_fraction;
    int brent_bits;
    bool shrink;
    bool tail_anchor;
};

/// The fitted model in the rescaled units (z = loss / scale, s = t / n).
struct profile_fit_result {
    double theta = 0.0, a = 0.0, c = 0.0;
    double sigma = 0.0;        // robust residual scale
    double f_statistic = 0.0;  // model against the constant
    bool ok = false;
};

/// Brent search of theta for the current weights ws.w.
template <class Basis>
profile_fit_result fit_profile(const Basis& basis, forecast_workspace& ws, std::size_t n, double lo, double hi,
                               int bits) {
    static_assert(explain_profile_basis<Basis>());
    auto objective = [&](double theta) {
        basis.fill(theta, n, ws.phi.data());
        const affine_fit f = fit_affine(ws.phi.data(), ws.z.data(), ws.w.data(), n);
        return f.ok ? f.sse : std::numeric_limits<double>::max();
    };
    std::uintmax_t max_iter = 60;
    const brent_minimum best = brent_minimise(objective, lo, hi, bits, max_iter);
    profile_fit_result r;
    r.theta = best.x;
    basis.fill(r.theta, n, ws.phi.data());
    const affine_fit f = fit_affine(ws.phi.data(), ws.z.data(), ws.w.data(), n);
    r.a = f.a;
    r.c = f.c;
    r.ok = f.ok;
    return r;
}

/// Robust scale of the residuals (MAD / 0.6745) of the current fit (ws.phi filled for it).
inline double residual_scale(const profile_fit_result& p, forecast_workspace& ws, std::size_t n, const double* mask) {
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (mask[i] > 0.0) ws.extra[m++] = std::abs(ws.z[i] - (p.a * ws.phi[i] + p.c));
    if (m == 0) return 0.0;
    std::nth_element(ws.extra.begin(), ws.extra.begin() + static_cast<std::ptrdiff_t>(m / 2),
                     ws.extra.begin() + static_cast<std::ptrdiff_t>(m));
    return ws.extra[m / 2] / 0.6744897501960817;
}

/// Everything a forecaster reports, in loss units, plus the fitted parameters.
struct profile_outcome {
    forecast result{0.0, 0.0, forecast_status::invalid_input};
    profile_fit_result fit;     // rescaled units; meaningful when is_fitted(result.status)
    double scale = 1.0;         // loss = scale * z
    std::size_t n = 0;          // window length
};

/// The robust level of the tail, used by every fallback (and by the naive baseline).
inline forecast fallback_level(forecast_status status, const double* z, const double* w, std::size_t n,
                               std::size_t finite, double sigma, double tail_fraction, double extra_sd,
                               double scale) {
    // Tail = the last tail_fraction of the window, at least 3 finite points when there are.
    std::size_t first = n;
    std::size_t want = std::max<std::size_t>(3, static_cast<std::size_t>(std::ceil(tail_fraction * n)));
    want = std::min(want, finite);
    std::size_t got = 0;
    while (first > 0 && got < want) {
        --first;
        if (w[first] > 0.0) ++got;
    }
    const level_estimate lvl = huber_level(z, w, first, n, sigma);
    double sd = lvl.count > 0.0 ? sigma / std::sqrt(lvl.count) : 0.0;
    sd = std::sqrt(sd * sd + extra_sd * extra_sd);
    return {finite_or(scale * lvl.level, 0.0), finite_or(scale * sd, 0.0), status};
}

template <class Basis>
profile_outcome profile_forecast(const Basis& basis, const profile_options& opt, std::span<const double> losses,
                                 double horizon) {
    static_assert(explain_profile_basis<Basis>());
    profile_outcome out;
    const window_scan scan = scan_window(losses);
    const std::size_t n = scan.n;
    out.n = n;
    out.scale = scan.scale;
    out.result.non_finite = n - scan.finite;
    if (scan.finite == 0) return out;  // invalid_input, value 0

    forecast_workspace& ws = thread_workspace();
    load_window(losses, scan, ws);
    const double noise = difference_noise_scale(ws.z.data(), ws.w.data(), n, ws.extra.data(), n);

    if (scan.finite < std::max<std::size_t>(opt.min_points, 4)) {
        // Too short to fit: the robust level of what there is; its stddev is the spread
        // of the points (at least 10% of the level: one point tells little).
        const level_estimate lvl = huber_level(ws.z.data(), ws.w.data(), 0, n, noise);
        double spread = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            if (ws.w[i] > 0.0) spread = std::max(spread, std::abs(ws.z[i] - lvl.level));
        const double sd = std::max(spread, 0.1 * std::abs(lvl.level));
        out.result.value = finite_or(scan.scale * lvl.level, 0.0);
        out.result.stddev = finite_or(scan.scale * sd, 0.0);
        out.result.status = forecast_status::fallback_too_short;
        return out;
    }
    const double horizon_s = std::isfinite(horizon) ? std::max(horizon, static_cast<double>(n)) / n : 1.0;
    const auto fallback = [&](forecast_status status, double extra_sd) {
        forecast f = fallback_level(status, ws.z.data(), ws.w.data(), n, scan.finite, noise, opt.tail_fraction,
                                    extra_sd, scan.scale);
        f.non_finite = out.result.non_finite;
        out.result = f;
        return out;
    };
    if (!(noise > 0.0)) {
        // No noise at all: either exactly flat or a smooth curve; a flat one needs no fit.
        double lo = std::numeric_limits<double>::max(), hi = -lo;
        for (std::size_t i = 0; i < n; ++i)
            if (ws.w[i] > 0.0) {
                lo = std::min(lo, ws.z[i]);
                hi = std::max(hi, ws.z[i]);
            }
        if (hi - lo <= 1e-14 * std::max(std::abs(lo), std::abs(hi))) return fallback(forecast_status::fallback_flat, 0.0);
    }

    // Plain fit, then Huber reweighting against outliers (spikes from hard batches).
    profile_fit_result fit = fit_profile(basis, ws, n, basis.theta_lo, basis.theta_hi, opt.brent_bits);
    if (!fit.ok) return fallback(forecast_status::fallback_degenerate, 0.0);
    double sigma = residual_scale(fit, ws, n, ws.w.data());
    for (int pass = 0; pass < opt.robust_passes && sigma > 0.0; ++pass) {
        const double cut = opt.huber_k * sigma;
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(losses[i])) continue;
            const double r = std::abs(ws.z[i] - (fit.a * ws.phi[i] + fit.c));
            ws.w[i] = r <= cut ? 1.0 : cut / r;
        }
        const profile_fit_result next = fit_profile(basis, ws, n, basis.theta_lo, basis.theta_hi, opt.brent_bits);
        if (!next.ok) break;
        fit = next;
    }
    basis.fill(fit.theta, n, ws.phi.data());

    // Goodness against the constant model (weighted): F with 2 and m-3 degrees of freedom.
    const affine_fit full = fit_affine(ws.phi.data(), ws.z.data(), ws.w.data(), n);
    if (!full.ok) return fallback(forecast_status::fallback_degenerate, 0.0);
    double sz = 0.0;
    for (std::size_t i = 0; i < n; ++i) sz += ws.w[i] * ws.z[i];
    const double zm = sz / full.sw;
    double sse0 = 0.0;
    for (std::size_t i = 0; i < n; ++i) sse0 += ws.w[i] * (ws.z[i] - zm) * (ws.z[i] - zm);
    const double dof = std::max(1.0, full.sw - 3.0);
    const double resid_var = full.sse / dof;
    fit.f_statistic = resid_var > 0.0 ? ((sse0 - full.sse) / 2.0) / resid_var : std::numeric_limits<double>::max();
    fit.sigma = std::sqrt(resid_var);
    out.fit = fit;

    const double z_end = fit.a * basis.at(fit.theta, 1.0) + fit.c;
    const double z_start = fit.a * basis.at(fit.theta, 1.0 / n) + fit.c;
    if (!(fit.f_statistic >= opt.flat_f)) return fallback(forecast_status::fallback_flat, 0.0);
    if (z_end > z_start) return fallback(forecast_status::fallback_rising, std::abs(z_end - z_start));

    const double phi_h = basis.at(fit.theta, horizon_s);
    double value = fit.a * phi_h + fit.c;

    // Sane range: never above the window's end level, and never further below it than
    // max_drop_ratio times the drop seen inside the window (as a factor for positive levels).
    const std::size_t head_n = std::max<std::size_t>(3, static_cast<std::size_t>(std::ceil(opt.tail_fraction * n)));
    const level_estimate head = huber_level(ws.z.data(), ws.w.data(), 0, std::min(n, head_n), noise);
    const level_estimate tail =
        huber_level(ws.z.data(), ws.w.data(), n - std::min(n, head_n), n, noise);
    const double upper = std::max(tail.level, z_end);
    const double drop = std::max(0.0, std::max(head.level, z_start) - std::min(tail.level, z_end));
    const double end_level = std::min(tail.level, z_end);
    const double start_level = std::max(head.level, z_start);
    // A window whose levels are positive (a loss) may fall by the window's drop FACTOR again,
    // not by its difference: after a fall from 2.3 to 1.0 a difference bound allows -0.3.
    const double lower = end_level > 0.0 && start_level > 0.0
                             ? end_level * std::pow(end_level / start_level, opt.max_drop_ratio)
                             : end_level - opt.max_drop_ratio * drop;
    forecast_status status = forecast_status::fitted;
    const double unclamped = value;
    if (!std::isfinite(value) || value < lower || value > upper) {
        value = std::isfinite(value) ? std::clamp(value, lower, upper) : tail.level;
        status = forecast_status::fitted_bounded;
    }

    // Laplace: covariance of (a, theta, c) from the weighted Gauss-Newton matrix.
    // The window's tail (its last head_n points) also gets its mean Jacobian row, for the
    // tail anchor below.
    const std::size_t tail_first = n - std::min(n, head_n);
    Eigen::Matrix3d h = Eigen::Matrix3d::Zero();
    Eigen::Vector3d j_tail = Eigen::Vector3d::Zero();
    double tail_resid = 0.0, tail_w = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (ws.w[i] <= 0.0) continue;
        const double s = static_cast<double>(i + 1) / n;
        const Eigen::Vector3d j(ws.phi[i], fit.a * basis.dtheta(fit.theta, s, ws.phi[i]), 1.0);
        h.noalias() += ws.w[i] * j * j.transpose();
        if (i >= tail_first) {
            j_tail += ws.w[i] * j;
            tail_resid += ws.w[i] * (ws.z[i] - (fit.a * ws.phi[i] + fit.c));
            tail_w += ws.w[i];
        }
    }
    const double phi_end = basis.at(fit.theta, 1.0);
    const Eigen::Vector3d g(phi_h, fit.a * basis.dtheta(fit.theta, horizon_s, phi_h), 1.0);
    const Eigen::Vector3d g_end(phi_end, fit.a * basis.dtheta(fit.theta, 1.0, phi_end), 1.0);
    const Eigen::LDLT<Eigen::Matrix3d> ldlt(h);
    const auto quad = [&](const Eigen::Vector3d& v) {
        const double q = v.dot(ldlt.solve(v)) * resid_var;
        return std::isfinite(q) ? std::max(0.0, q) : 0.0;
    };
    const bool laplace_ok = ldlt.info() == Eigen::Success;
    double param_var = laplace_ok ? quad(g) : 0.0;
    const double drop_var = laplace_ok ? quad(g - g_end) : 0.0;
    double lambda = 1.0;
    if (opt.shrink) {
        // Shrink the extrapolated drop toward none by its signal-to-noise ratio: a drop the
        // window cannot resolve is mostly noise, and noise in forecasts scrambles the ranking.
        const double d = value - z_end;
        lambda = d * d > 0.0 ? d * d / (d * d + drop_var) : 0.0;
        value = z_end + lambda * d;
        param_var = std::max(0.0, param_var - drop_var + lambda * lambda * drop_var);
    }
    // Model doubt: the real curve keeps its own shape past the window; scale it by the
    // larger of the drop seen in the window and the extrapolated drop.
    const double model_sd = opt.model_sd_fraction * std::max(drop, std::abs(z_end - value)) +
                            (std::isfinite(unclamped) ? 0.5 * std::abs(unclamped - value) : 0.0);
    if (opt.tail_anchor && tail_w > 0.0 && std::isfinite(tail_resid)) {
        // Anchor the level at the data: move the forecast by the mean (robustly weighted)
        // residual of the window's tail. A one-rate model fitted to a curve with a fast and
        // a slow phase puts its end level at the average of the slow phase, above where
        // the curve ends, by an amount that differs between candidates; the fallbacks rank
        // by the tail's level, so anchored forecasts and fallbacks also measure the same
        // thing. The model still supplies the slope across the tail and the extrapolation.
        // Its level error is now the tail mean's noise plus the error of the model's slope
        // across the tail, in place of the model's own end-level error.
        value += tail_resid / tail_w;
        const double lag_var = laplace_ok ? quad(g_end - j_tail / tail_w) : 0.0;
        param_var = resid_var / tail_w + lag_var + lambda * lambda * drop_var;
    }
    if (value < lower || value > upper) {  // the anchor must not leave the sane range either
        value = std::clamp(value, lower, upper);
        status = forecast_status::fitted_bounded;
    }
    double sd = std::sqrt(param_var + model_sd * model_sd);
    sd = std::min(sd, std::abs(upper - lower) + fit.sigma);  // a bounded value has bounded doubt
    if (!std::isfinite(value)) return fallback(forecast_status::fallback_degenerate, 0.0);
    out.result.value = finite_or(scan.scale * value, 0.0);
    out.result.stddev = finite_or(scan.scale * (std::isfinite(sd) ? sd : 0.0), 0.0);
    out.result.status = status;
    return out;
}

}  // namespace autolrs::detail
