#pragma once
// The Gaussian process's hyperparameter fit: the log marginal likelihood of the normalised
// outputs, its gradient in the log hyperparameters {kernel's..., log global noise variance},
// and the maximisation by projected L-BFGS from the current values and from the best of a
// few seeded random starts. gaussian_process.hpp owns the observations, the normalisation
// and the cached factor; it lends them here as a gp_observations view and applies the
// result.

#include "autolrs/numeric/seeded_random.hpp"
#include "autolrs/surrogate/detail/box_lbfgs.hpp"
#include "autolrs/surrogate/detail/cholesky_rows.hpp"
#include "autolrs/surrogate/detail/prepared_kernel.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

namespace autolrs::detail {

/// What the likelihood is of: a gaussian_process's data, in normalised units (views).
template <class Kernel>
struct gp_observations {
    const Kernel& kernel;           // all but its log-hyperparameters, which theta replaces
    std::span<const double> x;
    const double* y;                // normalised outputs, x.size() of them
    const double* point_noise;      // each point's noise variance, normalised, x.size() of them
    bool noise_fixed;               // the global noise is fixed_noise, not exp(theta.back())
    double fixed_noise;
};

/// The log marginal likelihood and its gradient, with the n x n scratch they share (kept
/// between calls: a fit allocates once per size). value() leaves in the scratch what
/// gradient() needs.
template <class Kernel>
class gp_marginal_likelihood {
public:
    static constexpr std::size_t kernel_hyperparameter_count = Kernel::hyperparameter_count;
    /// {kernel's log-hyperparameters..., log global noise variance}
    using hyperparameter_vector = std::array<double, kernel_hyperparameter_count + 1>;

    // Uses the same row-append factorisation as the cached factor (no jitter: a failed pivot
    // means -inf). With `keep_derivatives`, the kernel's derivatives are stored for
    // gradient() (same exp, no extra cost). Plain loops: at the sizes that matter (n <= 40)
    // Eigen's expression set-up costs more than the arithmetic.
    double value(const gp_observations<Kernel>& data, const hyperparameter_vector& theta, bool keep_derivatives) {
        const auto n = static_cast<Eigen::Index>(data.x.size());
        const auto un = static_cast<std::size_t>(n);
        size_ = un;
        noise_fixed_ = data.noise_fixed;
        if (n == 0) return 0.0;
        Kernel kernel = data.kernel;
        typename std::remove_cvref_t<decltype(kernel.log_hyperparameters())> kt{};
        std::copy(theta.begin(), theta.begin() + kernel_hyperparameter_count, kt.begin());
        kernel.set_log_hyperparameters(kt);
        const auto k = prepare_kernel(kernel);
        const double noise = data.noise_fixed ? data.fixed_noise : std::exp(theta.back());
        resize(n);
        noise_ = noise;
        for (std::size_t i = 0; i < un; ++i) {
            const double xi = data.x[i];
            for (std::size_t j = 0; j <= i; ++j) {
                const double xj = data.x[j];
                double v;
                if (keep_derivatives) {
                    std::array<double, kernel_hyperparameter_count> g;
                    if constexpr (requires { k.value_and_gradient(xi, xj, g); }) {
                        v = k.value_and_gradient(xi, xj, g);
                    } else {
                        v = k(xi, xj);
                        g = kernel.gradient(xi, xj);
                    }
                    for (std::size_t p = 0; p < kernel_hyperparameter_count; ++p) dk_[p][i * un + j] = g[p];
                } else {
                    v = k(xi, xj);
                }
                k_[i * un + j] = v;
            }
            k_[i * un + i] += noise + data.point_noise[i];
        }
        double log_det_half = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) {
            if (!cholesky_append_row(l_, i, k_.data() + i * n, k_[static_cast<std::size_t>(i * n + i)]))
                return -std::numeric_limits<double>::infinity();
            log_det_half += std::log(l_(i, i));
        }
        const double* l = l_.data();
        double* alpha = alpha_.data();
        for (std::size_t i = 0; i < un; ++i) {  // L z = y
            double s = data.y[i];
            for (std::size_t j = 0; j < i; ++j) s -= l[i * un + j] * alpha[j];
            alpha[i] = s / l[i * un + i];
        }
        double fit = 0.0;
        for (std::size_t i = 0; i < un; ++i) fit += alpha[i] * alpha[i];
        for (std::size_t i = un; i-- > 0;) {  // L' alpha = z
            double s = alpha[i];
            for (std::size_t j = i + 1; j < un; ++j) s -= l[j * un + i] * alpha[j];
            alpha[i] = s / l[i * un + i];
        }
        constexpr double log_two_pi = 1.8378770664093453;
        const double value = -0.5 * fit - log_det_half - 0.5 * static_cast<double>(n) * log_two_pi;
        return std::isfinite(value) ? value : -std::numeric_limits<double>::infinity();
    }

    // The gradient at the point of the latest finite value(..., keep_derivatives = true):
    // d lml / d theta_p = (alpha' dK alpha - tr(K^-1 dK)) / 2, summed over the lower triangle.
    // K^-1 = L^-T L^-1 is accumulated as a sum of outer products of the rows of L^-1, so
    // every inner loop runs over contiguous memory. The noise component is 0 when it is fixed.
    void gradient(hyperparameter_vector& g) {
        const auto un = size_;
        const double* l = l_.data();
        const double* alpha = alpha_.data();
        double* inv = inverse_l_.data();  // L^-1, lower triangle, row-major
        double* kinv = inverse_k_.data();  // K^-1, lower triangle, row-major
        for (std::size_t i = 0; i < un; ++i) {
            double* row = inv + i * un;  // row i of L^-1 = (e_i - sum_m L_im row_m) / L_ii
            std::fill(row, row + i + 1, 0.0);
            row[i] = 1.0;
            for (std::size_t m = 0; m < i; ++m) {
                const double lim = l[i * un + m];
                const double* row_m = inv + m * un;
                for (std::size_t j = 0; j <= m; ++j) row[j] -= lim * row_m[j];
            }
            const double inverse_pivot = 1.0 / l[i * un + i];
            for (std::size_t j = 0; j <= i; ++j) row[j] *= inverse_pivot;
        }
        for (std::size_t a = 0; a < un; ++a) std::fill(kinv + a * un, kinv + a * un + a + 1, 0.0);
        for (std::size_t m = 0; m < un; ++m) {  // K^-1 += row_m' row_m
            const double* row_m = inv + m * un;
            for (std::size_t a = 0; a <= m; ++a) {
                const double r = row_m[a];
                double* kinv_a = kinv + a * un;
                for (std::size_t b = 0; b <= a; ++b) kinv_a[b] += r * row_m[b];
            }
        }
        g.fill(0.0);
        double trace_inverse = 0.0, alpha_norm = 0.0;
        for (std::size_t i = 0; i < un; ++i) {
            const double* kinv_i = kinv + i * un;
            std::array<double, kernel_hyperparameter_count> off{};  // the strict lower triangle
            for (std::size_t j = 0; j < i; ++j) {
                const double weight = alpha[i] * alpha[j] - kinv_i[j];
                for (std::size_t p = 0; p < kernel_hyperparameter_count; ++p) off[p] += weight * dk_[p][i * un + j];
            }
            const double diagonal_weight = alpha[i] * alpha[i] - kinv_i[i];
            for (std::size_t p = 0; p < kernel_hyperparameter_count; ++p)
                g[p] += off[p] + 0.5 * diagonal_weight * dk_[p][i * un + i];
            trace_inverse += kinv_i[i];
            alpha_norm += alpha[i] * alpha[i];
        }
        if (!noise_fixed_) g.back() = 0.5 * noise_ * (alpha_norm - trace_inverse);
    }

private:
    void resize(Eigen::Index n) {
        if (l_.rows() == n) return;
        const auto nn = static_cast<std::size_t>(n * n);
        l_.resize(n, n);
        k_.resize(nn);
        inverse_l_.resize(nn);
        inverse_k_.resize(nn);
        for (auto& d : dk_) d.resize(nn);
        alpha_.resize(static_cast<std::size_t>(n));
    }

    // n x n buffers, row-major: what value() leaves for gradient() (l_, dk_, alpha_, noise_)
    // and gradient()'s own scratch (inverse_l_, inverse_k_).
    row_major_matrix l_;
    std::vector<double> k_, inverse_l_, inverse_k_;
    std::array<std::vector<double>, kernel_hyperparameter_count> dk_;
    std::vector<double> alpha_;
    double noise_ = 0.0;
    std::size_t size_ = 0;
    bool noise_fixed_ = false;
};

/// The settings of the fit (gaussian_process_settings copies them in).
struct gp_fit_settings {
    std::size_t restarts;         // seeded random starts, screened by their likelihood
    std::size_t max_iterations;   // L-BFGS iterations per start
    double noise_variance_min;    // the box of the global noise (ignored when it is fixed)
    double noise_variance_max;
};

/// Maximises the log marginal likelihood over the box of the kernel's bounds and the noise
/// box, from `start` (the current hyperparameters) and from the best of settings.restarts
/// random starts drawn with rng. The best hyperparameters found, or nothing when no start
/// reached a finite likelihood.
template <class Kernel>
std::optional<typename gp_marginal_likelihood<Kernel>::hyperparameter_vector> fit_gp_hyperparameters(
    gp_marginal_likelihood<Kernel>& likelihood, const gp_observations<Kernel>& data,
    typename gp_marginal_likelihood<Kernel>::hyperparameter_vector start, const gp_fit_settings& settings,
    std::mt19937_64& rng) {
    using hyperparameter_vector = typename gp_marginal_likelihood<Kernel>::hyperparameter_vector;
    constexpr std::size_t hyperparameter_count = std::tuple_size_v<hyperparameter_vector>;
    // The negated log marginal likelihood as box_lbfgs_minimise's objective.
    struct negated_likelihood {
        gp_marginal_likelihood<Kernel>* likelihood;
        const gp_observations<Kernel>* data;
        double value(const hyperparameter_vector& theta) { return -likelihood->value(*data, theta, true); }
        void gradient(hyperparameter_vector& g) {
            likelihood->gradient(g);
            for (double& gi : g) gi = -gi;
        }
    };

    hyperparameter_vector lower{}, upper{};
    const auto kl = data.kernel.lower_bounds(), ku = data.kernel.upper_bounds();
    std::copy(kl.begin(), kl.end(), lower.begin());
    std::copy(ku.begin(), ku.end(), upper.begin());
    if (data.noise_fixed) {
        lower.back() = upper.back() = start.back() = 0.0;
    } else {
        lower.back() = std::log(settings.noise_variance_min);
        upper.back() = std::log(settings.noise_variance_max);
    }
    negated_likelihood objective{&likelihood, &data};
    const box_lbfgs_settings optimiser{.max_iterations = settings.max_iterations,
                                       .gradient_tolerance = 1e-3,
                                       .relative_tolerance = 1e-6};
    // Restarts are screened: the seeded random starts are scored by the likelihood alone
    // (no gradient), and L-BFGS runs from the previous optimum and from the best random
    // start only if that one already beats the previous optimum's result.
    hyperparameter_vector candidate = start;
    double candidate_value = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < settings.restarts; ++r) {
        hyperparameter_vector theta{};
        for (std::size_t p = 0; p < hyperparameter_count; ++p)
            theta[p] = lower[p] + (upper[p] - lower[p]) * uniform01(rng);
        const double value = -likelihood.value(data, theta, false);
        if (value < candidate_value) {
            candidate_value = value;
            candidate = theta;
        }
    }
    hyperparameter_vector best = start;
    const double best_value = box_lbfgs_minimise(objective, best, lower, upper, optimiser).value;
    double chosen_value = best_value;
    if (candidate_value < best_value) {
        const double value = box_lbfgs_minimise(objective, candidate, lower, upper, optimiser).value;
        if (value < best_value) {
            best = candidate;
            chosen_value = value;
        }
    }
    if (!std::isfinite(chosen_value)) return std::nullopt;
    return best;
}

}  // namespace autolrs::detail
