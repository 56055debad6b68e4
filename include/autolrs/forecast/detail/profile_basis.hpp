#pragma once
// The curve-fit basis concept: what the profile fit (profile_fit.hpp) needs of a model's
// shape phi_theta(s), s = t / n, so that it can fit z = a*phi_theta(s) + c to a window.
// exponential_basis (exponential.hpp) and power_basis (power_law.hpp) satisfy it.

#include <concepts>
#include <cstddef>

namespace autolrs::detail {

/// A one-parameter family of curve shapes phi_theta(s) on s in (0, 1] (and beyond, for the
/// horizon):
///
/// - `b.theta_lo`, `b.theta_hi`: the interval searched for theta (Brent), lo < hi.
/// - `b.fill(theta, n, phi)`: writes phi_theta((i + 1) / n) to phi[i] for i < n (the hot
///   loop: called once per trial theta).
/// - `b.at(theta, s)`: phi_theta(s) at any s > 0 (the window's ends and the horizon).
/// - `b.dtheta(theta, s, phi)`: d phi_theta(s) / d theta, given phi = phi_theta(s) (the
///   Laplace standard deviation).
template <class B>
concept profile_basis = requires(const B& b, double theta, double s, double phi, std::size_t n, double* out) {
    { b.theta_lo } -> std::convertible_to<double>;
    { b.theta_hi } -> std::convertible_to<double>;
    b.fill(theta, n, out);
    { b.at(theta, s) } -> std::convertible_to<double>;
    { b.dtheta(theta, s, phi) } -> std::convertible_to<double>;
};

/// Call as `static_assert(autolrs::detail::explain_profile_basis<B>())` where a basis is
/// required: the compiler then names the member that is missing and how to write it.
template <class B>
consteval bool explain_profile_basis() {
    static_assert(requires(const B& b) {
        { b.theta_lo } -> std::convertible_to<double>;
        { b.theta_hi } -> std::convertible_to<double>;
    }, "autolrs profile_basis: add `double theta_lo, theta_hi;`: the interval in which the shape "
       "parameter theta is searched");
    static_assert(requires(const B& b, double theta, std::size_t n, double* out) { b.fill(theta, n, out); },
                  "autolrs profile_basis: add `void fill(double theta, std::size_t n, double* phi) const`: "
                  "phi[i] = phi_theta((i + 1) / n) for i < n");
    static_assert(requires(const B& b, double theta, double s) { { b.at(theta, s) } -> std::convertible_to<double>; },
                  "autolrs profile_basis: add `double at(double theta, double s) const`: phi_theta(s) at any s > 0");
    static_assert(requires(const B& b, double theta, double s, double phi) {
        { b.dtheta(theta, s, phi) } -> std::convertible_to<double>;
    }, "autolrs profile_basis: add `double dtheta(double theta, double s, double phi) const`: "
       "d phi_theta(s) / d theta, given phi = phi_theta(s)");
    return profile_basis<B>;
}

}  // namespace autolrs::detail
