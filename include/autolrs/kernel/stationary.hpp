#pragma once
// Stationary 1-D kernels k(a, b) = s2 * profile(|a - b| / l) with two log-space
// hyperparameters: the signal variance s2 and the length scale l.

#include <array>
#include <cmath>
#include <cstddef>

#include "autolrs/kernel/concept.hpp"

namespace autolrs {

/// What a profile returns at scaled distance r = |a - b| / l >= 0.
struct kernel_profile_value {
    double value;                     // profile(r), with profile(0) = 1
    double d_log_length_scale;        // d profile(r / l) / d log l = -r * profile'(r)
};

/// k(a, b) = exp(theta_0) * Profile::evaluate(|a - b| / exp(theta_1)).
/// theta = {log signal variance, log length scale}. The default bounds assume inputs scaled
/// to about [0, 1] and outputs normalised to unit variance (what gaussian_process and
/// bayes_opt do); change them with designated initialisers for other scales.
template <class Profile>
struct stationary_kernel {
    static constexpr std::size_t hyperparameter_count = 2;
    using hyperparameter_vector = std::array<double, 2>;

    double log_signal_variance = 0.0;                      // s2 = 1
    double log_length_scale = -1.2039728043259361;         // l = 0.3
    double log_signal_variance_min = -4.605170185988091;   // 0.01
    double log_signal_variance_max = 4.605170185988091;    // 100
    double log_length_scale_min = -3.506557897319982;      // 0.03
    double log_length_scale_max = 2.302585092994046;       // 10

    /// The kernel with exp(theta) computed once, for loops over many pairs. Gives exactly
    /// the values of the kernel itself.
    struct evaluator {
        double signal_variance;
        double inverse_length_scale;

        [[nodiscard]] double operator()(double a, double b) const {
            return signal_variance * Profile::evaluate(std::abs(a - b) * inverse_length_scale).value;
        }
        /// k(a, b) and its gradient at once (one exp), for the likelihood fit.
        [[nodiscard]] double value_and_gradient(double a, double b, hyperparameter_vector& gradient) const {
            const kernel_profile_value p = Profile::evaluate(std::abs(a - b) * inverse_length_scale);
            gradient = {signal_variance * p.value, signal_variance * p.d_log_length_scale};
            return signal_variance * p.value;
        }
    };

    [[nodiscard]] evaluator prepare() const { return {std::exp(log_signal_variance), std::exp(-log_length_scale)}; }

    [[nodiscard]] double operator()(double a, double b) const { return prepare()(a, b); }

    [[nodiscard]] hyperparameter_vector gradient(double a, double b) const {
        hyperparameter_vector g;
        (void)prepare().value_and_gradient(a, b, g);
        return g;
    }

    [[nodiscard]] hyperparameter_vector log_hyperparameters() const { return {log_signal_variance, log_length_scale}; }
    void set_log_hyperparameters(const hyperparameter_vector& theta) {
        log_signal_variance = theta[0];
        log_length_scale = theta[1];
    }
    [[nodiscard]] hyperparameter_vector lower_bounds() const { return {log_signal_variance_min, log_length_scale_min}; }
    [[nodiscard]] hyperparameter_vector upper_bounds() const { return {log_signal_variance_max, log_length_scale_max}; }
};

}  // namespace autolrs
