#pragma once
// A small projected L-BFGS for smooth objectives of a few variables in a box: the
// optimiser of the GP's hyperparameter fit (2 to 4 log-hyperparameters). Hand-written:
// the Boost.Math version available here (1.74) has no gradient-based minimiser, and this
// needs no allocation.
//
// Direction: the two-loop recursion on the free variables (those not held at a bound by
// the gradient); step: projection onto the box with backtracking by safeguarded quadratic
// interpolation until the Armijo condition holds. It falls back to the projected steepest
// descent when the quasi-Newton direction is not a descent direction.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

namespace autolrs::detail {

struct box_lbfgs_settings {
    std::size_t max_iterations = 40;
    double gradient_tolerance = 1e-5;       // on the projected gradient's largest entry
    double relative_tolerance = 1e-9;       // on the decrease of f, relative to max(1, |f|)
    std::size_t max_backtracks = 20;
};

struct box_lbfgs_result {
    double value;                           // f at the returned point (+inf if never finite)
    std::size_t iterations;
    std::size_t evaluations;                // of the value (the gradient is asked once per accepted point)
};

/// Minimises an objective over the box [lower, upper] from x (projected into the box first),
/// in place. The objective offers `double value(const std::array<double, N>& x)` (a non-finite
/// value means "outside the domain" and makes the line search step back) and
/// `void gradient(std::array<double, N>& g)`, the gradient at the point of the latest value()
/// call: trial points the line search rejects then cost no gradient.
template <std::size_t N, class Objective>
box_lbfgs_result box_lbfgs_minimise(Objective& f, std::array<double, N>& x, const std::array<double, N>& lower,
                                    const std::array<double, N>& upper, const box_lbfgs_settings& settings = {}) {
    using vec = std::array<double, N>;
    constexpr std::size_t memory = 5;
    constexpr double armijo = 1e-4;
    const auto dot = [](const vec& a, const vec& b) {
        double s = 0.0;
        for (std::size_t i = 0; i < N; ++i) s += a[i] * b[i];
        return s;
    };
    const auto project = [&](vec& v) {
        for (std::size_t i = 0; i < N; ++i) v[i] = std::clamp(v[i], lower[i], upper[i]);
    };
    // A variable at a bound whose gradient pushes it outward stays there.
    const auto held = [&](const vec& at, const vec& g, std::size_t i) {
        return upper[i] <= lower[i] || (at[i] <= lower[i] && g[i] > 0.0) || (at[i] >= upper[i] && g[i] < 0.0);
    };

    project(x);
    vec g{};
    double fx = f.value(x);
    box_lbfgs_result result{fx, 0, 1};
    if (!std::isfinite(fx)) {
        result.value = std::numeric_limits<double>::infinity();
        return result;
    }
    f.gradient(g);

    std::array<vec, memory> s_hist{}, y_hist{};
    std::array<double, memory> rho{};
    std::size_t stored = 0, newest = 0;
    vec d{}, x_new{}, g_new{};

    for (std::size_t it = 0; it < settings.max_iterations; ++it) {
        result.iterations = it + 1;
        double pg_max = 0.0;
        for (std::size_t i = 0; i < N; ++i)
            if (!held(x, g, i)) pg_max = std::max(pg_max, std::abs(g[i]));
        if (pg_max < settings.gradient_tolerance) break;

        // Two-loop recursion on the free variables.
        for (std::size_t i = 0; i < N; ++i) d[i] = held(x, g, i) ? 0.0 : -g[i];
        std::array<double, memory> a{};
        for (std::size_t k = 0; k < stored; ++k) {
            const std::size_t j = (newest + memory - k) % memory;
            a[j] = rho[j] * dot(s_hist[j], d);
            for (std::size_t i = 0; i < N; ++i) d[i] -= a[j] * y_hist[j][i];
        }
        if (stored > 0) {
            const double gamma = dot(s_hist[newest], y_hist[newest]) / dot(y_hist[newest], y_hist[newest]);
            for (auto& di : d) di *= gamma;
        }
        for (std::size_t k = stored; k-- > 0;) {
            const std::size_t j = (newest + memory - k) % memory;
            const double b = rho[j] * dot(y_hist[j], d);
            for (std::size_t i = 0; i < N; ++i) d[i] += s_hist[j][i] * (a[j] - b);
        }
        for (std::size_t i = 0; i < N; ++i)
            if (held(x, g, i)) d[i] = 0.0;
        if (!(dot(d, g) < 0.0)) {  // not a descent direction: steepest descent, forget the history
            for (std::size_t i = 0; i < N; ++i) d[i] = held(x, g, i) ? 0.0 : -g[i];
            stored = 0;
        }
        double step = 1.0;
        if (stored == 0) {  // first step of a fresh history: at most one unit in log space
            double d_max = 0.0;
            for (double di : d) d_max = std::max(d_max, std::abs(di));
            if (d_max > 1.0) step = 1.0 / d_max;
        }

        bool accepted = false;
        double f_new = fx;
        for (std::size_t bt = 0; bt <= settings.max_backtracks; ++bt) {
            for (std::size_t i = 0; i < N; ++i) x_new[i] = x[i] + step * d[i];
            project(x_new);
            vec dx{};
            for (std::size_t i = 0; i < N; ++i) dx[i] = x_new[i] - x[i];
            const double decrease = dot(g, dx);
            if (!(decrease < 0.0)) break;  // the projected step no longer descends
            f_new = f.value(x_new);
            ++result.evaluations;
            if (std::isfinite(f_new) && f_new <= fx + armijo * decrease) {
                accepted = true;
                break;
            }
            // The minimiser of the quadratic through f(x), its slope along dx and f(x + dx),
            // kept within [0.1, 0.5] of the step (halving when f is not finite).
            double shrink = 0.5;
            if (std::isfinite(f_new)) {
                const double curvature = f_new - fx - decrease;  // > 0: the Armijo test failed
                shrink = std::clamp(-decrease / (2.0 * curvature), 0.1, 0.5);
            }
            step *= shrink;
        }
        if (!accepted) break;
        f.gradient(g_new);

        vec s{}, y{};
        for (std::size_t i = 0; i < N; ++i) {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        const double sy = dot(s, y);
        if (sy > 1e-12 * std::sqrt(dot(s, s) * dot(y, y))) {
            newest = (stored == 0) ? 0 : (newest + 1) % memory;
            s_hist[newest] = s;
            y_hist[newest] = y;
            rho[newest] = 1.0 / sy;
            stored = std::min(stored + 1, memory);
        }
        const double change = fx - f_new;
        x = x_new;
        g = g_new;
        fx = f_new;
        if (change <= settings.relative_tolerance * std::max(1.0, std::abs(fx))) break;
    }
    result.value = fx;
    return result;
}

}  // namespace autolrs::detail
