#pragma once
// Seeded 1-D test functions on u in [0, 1] (u = position in the log-LR interval) for the
// Bayesian-optimisation tests (tests/unit/test_bayes_opt.cpp) and the acquisition success
// table (bench/bo_acquisition_table.cpp).

#include <array>
#include <cmath>
#include <cstdint>
#include <random>

#include <autolrs/autolrs.hpp>

namespace autolrs_test {

struct test_function {
    const char* name;
    double (*f)(double u);   // noiseless value
    double noise_sd;         // sd of the Gaussian noise added to each evaluation
};

// Loss-vs-log-LR-like valley, asymmetric (steeper towards large LRs), minimum at 0.37.
inline double smooth_valley(double u) {
    const double d = u - 0.37;
    return 1.0 + 1.5 * d * d + 2.0 * d * d * d * (d > 0 ? 1.0 : 0.2);
}
// Falls all the way to the upper end: minimum at u = 1.
inline double edge_minimum(double u) { return 1.0 + 0.6 * (1.05 - u) * (1.05 - u) + 0.05 * std::sin(3.0 * u); }
// Two dips on a gentle bowl: a local minimum near 0.25 and the global one near 0.72.
inline double two_minima(double u) {
    const auto dip = [u](double centre) { return std::exp(-((u - centre) / 0.12) * ((u - centre) / 0.12)); };
    return 1.0 + 0.3 * (u - 0.5) * (u - 0.5) - 0.12 * dip(0.25) - 0.18 * dip(0.72);
}
// A harder two-basin case (benchmark table only): a quartic double well whose global basin
// (near 0.79) hides behind a high wall, the local one near 0.21.
inline double double_well(double u) { return 40.0 * (u - 0.2) * (u - 0.2) * (u - 0.78) * (u - 0.78) - 0.15 * u + 1.0; }

/// The four functions the success test asserts on.
inline const std::array<test_function, 4>& test_functions() {
    static const std::array<test_function, 4> functions{{
        {"smooth", smooth_valley, 0.0},
        {"noisy", smooth_valley, 0.005},
        {"edge", edge_minimum, 0.0},
        {"two_minima", two_minima, 0.0},
    }};
    return functions;
}

/// The harder case reported (not asserted) by the benchmark table.
inline const test_function& hard_test_function() {
    static const test_function f{"double_well", double_well, 0.0};
    return f;
}

/// The noiseless function's argmin on [0, 1] (dense grid, then golden-section polish).
inline double true_argmin(const test_function& tf) {
    double best = 0.0;
    for (int i = 0; i <= 100000; ++i) {
        const double u = i / 100000.0;
        if (tf.f(u) < tf.f(best)) best = u;
    }
    return best;
}

/// Runs `evaluations` asks/tells of a fresh bayes_opt (seeded by `seed`) on `tf` over the
/// log-LR interval [log 1e-4, log 1], and returns the smallest distance (as a fraction of
/// the interval's width) between an evaluated point and the true minimiser.
template <class Surrogate, class Acquisition>
double closest_approach(const test_function& tf, Acquisition acquisition, std::uint64_t seed, int evaluations = 10,
                        double argmin = -1.0) {
    const double x_min = std::log(1e-4), x_max = std::log(1.0), width = x_max - x_min;
    if (argmin < 0.0) argmin = true_argmin(tf);
    autolrs::bayes_opt<Surrogate, Acquisition> bo({.x_min = x_min, .x_max = x_max, .seed = seed}, Surrogate{},
                                                  acquisition);
    std::mt19937_64 noise_rng(seed * 7919 + 17);
    std::normal_distribution<double> noise(0.0, 1.0);
    double closest = 1.0;
    for (int i = 0; i < evaluations; ++i) {
        const double x = bo.ask();
        const double u = (x - x_min) / width;
        closest = std::min(closest, std::abs(u - argmin));
        bo.tell(x, tf.f(u) + tf.noise_sd * noise(noise_rng));
    }
    return closest;
}

}  // namespace autolrs_test
