// Kernels: closed-form values, symmetry, and every gradient against central finite differences.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <cmath>

namespace {

struct no_gradient_kernel {
    static constexpr std::size_t hyperparameter_count = 1;
    double operator()(double, double) const { return 1.0; }
    std::array<double, 1> log_hyperparameters() const { return {0.0}; }
    void set_log_hyperparameters(const std::array<double, 1>&) {}
    std::array<double, 1> lower_bounds() const { return {0.0}; }
    std::array<double, 1> upper_bounds() const { return {0.0}; }
};

template <class K>
void check_gradient(K k) {
    const double h = 1e-6;
    for (double a : {0.0, 0.13, 0.5}) {
        for (double b : {0.0, 0.02, 0.31, 0.9}) {
            const auto g = k.gradient(a, b);
            const auto theta = k.log_hyperparameters();
            for (std::size_t p = 0; p < K::hyperparameter_count; ++p) {
                K plus = k, minus = k;
                auto tp = theta, tm = theta;
                tp[p] += h;
                tm[p] -= h;
                plus.set_log_hyperparameters(tp);
                minus.set_log_hyperparameters(tm);
                const double fd = (plus(a, b) - minus(a, b)) / (2.0 * h);
                INFO("a=" << a << " b=" << b << " p=" << p);
                CHECK(g[p] == Approx(fd).margin(1e-8).epsilon(1e-6));
            }
        }
    }
}

}  // namespace

TEST_CASE("kernels satisfy the kernel concept; a kernel without gradient does not", "[kernel]") {
    STATIC_REQUIRE(autolrs::kernel<autolrs::matern52>);
    STATIC_REQUIRE(autolrs::kernel<autolrs::matern32>);
    STATIC_REQUIRE(autolrs::kernel<autolrs::squared_exponential>);
    STATIC_REQUIRE(autolrs::explain_kernel<autolrs::matern52>());
    STATIC_REQUIRE_FALSE(autolrs::kernel<no_gradient_kernel>);
    STATIC_REQUIRE_FALSE(autolrs::kernel<int>);
}

TEST_CASE("kernel values match their closed forms", "[kernel]") {
    const double s2 = 1.7, l = 0.4, a = 0.1, b = 0.45;
    const double r = std::abs(a - b) / l;
    autolrs::matern52 m52{.log_signal_variance = std::log(s2), .log_length_scale = std::log(l)};
    autolrs::matern32 m32{.log_signal_variance = std::log(s2), .log_length_scale = std::log(l)};
    autolrs::squared_exponential se{.log_signal_variance = std::log(s2), .log_length_scale = std::log(l)};
    CHECK(m52(a, b) == Approx(s2 * (1 + std::sqrt(5.0) * r + 5.0 * r * r / 3.0) * std::exp(-std::sqrt(5.0) * r)));
    CHECK(m32(a, b) == Approx(s2 * (1 + std::sqrt(3.0) * r) * std::exp(-std::sqrt(3.0) * r)));
    CHECK(se(a, b) == Approx(s2 * std::exp(-0.5 * r * r)));
    for (double x : {-2.0, 0.0, 0.7}) {
        CHECK(m52(x, x) == Approx(s2));
        CHECK(m32(x, x) == Approx(s2));
        CHECK(se(x, x) == Approx(s2));
    }
    CHECK(m52(a, b) == m52(b, a));
    CHECK(m32(a, b) == m32(b, a));
    CHECK(se(a, b) == se(b, a));
    // Covariance falls with distance.
    CHECK(m52(0.0, 0.1) > m52(0.0, 0.2));
    CHECK(m32(0.0, 0.1) > m32(0.0, 0.2));
    CHECK(se(0.0, 0.1) > se(0.0, 0.2));
}

TEST_CASE("kernel gradients wrt log-hyperparameters match central differences", "[kernel]") {
    for (double log_l : {std::log(0.05), std::log(0.3), std::log(2.0)}) {
        for (double log_s2 : {-1.0, 0.0, 1.5}) {
            check_gradient(autolrs::matern52{.log_signal_variance = log_s2, .log_length_scale = log_l});
            check_gradient(autolrs::matern32{.log_signal_variance = log_s2, .log_length_scale = log_l});
            check_gradient(autolrs::squared_exponential{.log_signal_variance = log_s2, .log_length_scale = log_l});
        }
    }
}

TEST_CASE("the prepared evaluator gives exactly the kernel's values and gradient", "[kernel]") {
    const autolrs::matern52 k{.log_signal_variance = 0.3, .log_length_scale = -1.0};
    const auto e = k.prepare();
    std::array<double, 2> g{};
    CHECK(e.value_and_gradient(0.2, 0.7, g) == k(0.2, 0.7));
    CHECK(e(0.2, 0.7) == k(0.2, 0.7));
    CHECK(g == k.gradient(0.2, 0.7));
}

TEST_CASE("kernel bounds contain the defaults", "[kernel]") {
    const autolrs::matern52 k;
    const auto t = k.log_hyperparameters(), lo = k.lower_bounds(), hi = k.upper_bounds();
    for (std::size_t p = 0; p < 2; ++p) {
        CHECK(lo[p] <= t[p]);
        CHECK(t[p] <= hi[p]);
    }
}
