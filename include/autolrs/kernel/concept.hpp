#pragma once
// The kernel concept: a 1-D covariance function k(a, b) with hyperparameters in log space
// and its gradient with respect to them (for fitting by maximum likelihood).

#include <array>
#include <concepts>
#include <cstddef>

namespace autolrs {

/// A covariance function on 1-D inputs (x = log LR, or its image in [0, 1]).
///
/// - `K::hyperparameter_count`: how many hyperparameters, all in log space.
/// - `k(a, b)`: the covariance of the latent function at a and b (symmetric, k(a, a) > 0).
/// - `k.gradient(a, b)`: d k(a, b) / d theta_p for every log-hyperparameter theta_p.
/// - `k.log_hyperparameters()` / `k.set_log_hyperparameters(theta)`: read and write theta.
/// - `k.lower_bounds()` / `k.upper_bounds()`: the box in which theta is fitted.
/// Every array is `std::array<double, K::hyperparameter_count>`.
template <class K>
concept kernel = std::copyable<K> &&
    requires(K& k, const K& ck, double a, double b, const std::array<double, K::hyperparameter_count>& theta) {
        { ck(a, b) } -> std::same_as<double>;
        { ck.gradient(a, b) } -> std::same_as<std::array<double, K::hyperparameter_count>>;
        { ck.log_hyperparameters() } -> std::same_as<std::array<double, K::hyperparameter_count>>;
        k.set_log_hyperparameters(theta);
        { ck.lower_bounds() } -> std::same_as<std::array<double, K::hyperparameter_count>>;
        { ck.upper_bounds() } -> std::same_as<std::array<double, K::hyperparameter_count>>;
    };

/// Call as `static_assert(autolrs::explain_kernel<K>())` where a kernel is required: the
/// compiler then names the member that is missing and how to write it.
template <class K>
consteval bool explain_kernel() {
    static_assert(std::copyable<K>, "autolrs kernel: the kernel type must be copyable (a small value type)");
    static_assert(requires { { K::hyperparameter_count } -> std::convertible_to<std::size_t>; },
                  "autolrs kernel: add `static constexpr std::size_t hyperparameter_count = N;` "
                  "(the number of log-space hyperparameters)");
    using array = std::array<double, K::hyperparameter_count>;
    static_assert(requires(const K& k, double a, double b) { { k(a, b) } -> std::same_as<double>; },
                  "autolrs kernel: add `double operator()(double a, double b) const`: the covariance k(a, b)");
    static_assert(requires(const K& k, double a, double b) { { k.gradient(a, b) } -> std::same_as<array>; },
                  "autolrs kernel: add `std::array<double, hyperparameter_count> gradient(double a, double b) const`: "
                  "d k(a, b) / d log-hyperparameter");
    static_assert(requires(const K& k) { { k.log_hyperparameters() } -> std::same_as<array>; },
                  "autolrs kernel: add `std::array<double, hyperparameter_count> log_hyperparameters() const`");
    static_assert(requires(K& k, const array& theta) { k.set_log_hyperparameters(theta); },
                  "autolrs kernel: add `void set_log_hyperparameters(const std::array<double, hyperparameter_count>&)`");
    static_assert(requires(const K& k) {
                      { k.lower_bounds() } -> std::same_as<array>;
                      { k.upper_bounds() } -> std::same_as<array>;
                  },
                  "autolrs kernel: add `lower_bounds()` and `upper_bounds()` returning "
                  "`std::array<double, hyperparameter_count>`: the box of log-hyperparameters searched when fitting");
    return kernel<K>;
}

}  // namespace autolrs
