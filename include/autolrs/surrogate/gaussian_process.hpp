#pragma once
// A Gaussian-process surrogate on 1-D inputs, parameterised by its kernel.
//
// Model: y_i = mean + scale * (f(x_i) + e_i), f ~ GP(0, k), e_i ~ N(0, noise + v_i / scale^2),
// where `noise` is the global (fitted) noise variance in normalised units and v_i the
// point's own noise variance in y units (e.g. the variance of a loss forecast).
// `mean` and `scale` (the outputs' mean and standard deviation) are refreshed at every
// refit, and held between refits so that the Cholesky factor can grow by one row.
//
// This header: the observations, their normalisation, the cached Cholesky factor (grown a
// row at a time, refactored with jitter when a pivot fails) and the posterior (predictions
// and joint samples). The hyperparameter fit (log marginal likelihood, its gradient, the
// restarted L-BFGS) is detail/gp_hyperparameter_fit.hpp; the row-by-row Cholesky both use
// is detail/cholesky_rows.hpp.

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "autolrs/errors.hpp"
#include "autolrs/kernel/concept.hpp"
#include "autolrs/kernel/matern52.hpp"
#include "autolrs/numeric/seeded_random.hpp"
#include "autolrs/surrogate/concept.hpp"
#include "autolrs/surrogate/detail/cholesky_rows.hpp"
#include "autolrs/surrogate/detail/gp_hyperparameter_fit.hpp"
#include "autolrs/surrogate/detail/prepared_kernel.hpp"
#include "autolrs/types.hpp"

namespace autolrs {

/// What the latest update of a gaussian_process ran into, least serious first.
enum class gaussian_process_status {
    empty,         // no observations: predictions are the prior
    ok,
    jitter_added,  // a Cholesky pivot failed; the factor was rebuilt with diagonal jitter
    fit_failed,    // no finite likelihood during the hyperparameter fit: previous ones kept
    degenerate     // no factor even with the largest jitter: predictions are the prior
};

struct gaussian_process_settings {
    std::size_t refit_every = 1;       // refit (normalisation + hyperparameters + full factor) every N
                                       // observations; between refits the factor grows by one row
    bool fit_hyperparameters = true;   // maximise the log marginal likelihood at each refit
    std::size_t fit_from = 3;          // ... once there are at least this many observations
    std::size_t restarts = 4;          // seeded random starts, screened by their likelihood
                                       // (L-BFGS runs from the previous optimum and, if it
                                       // is better, from the best of them)
    std::size_t max_iterations = 20;   // L-BFGS iterations per start
    double noise_variance = 1e-3;      // initial global noise variance (normalised outputs)
    double noise_variance_min = 1e-6;  // the box it is fitted in; min == max fixes it
    double noise_variance_max = 1.0;
    std::uint64_t seed = 0;            // random restarts (clear(seed) replaces it)

    void validate() const {
        detail::require_setting(refit_every >= 1, "refit_every", "must be at least 1");
        detail::require_setting(fit_from >= 1, "fit_from", "must be at least 1");
        detail::require_setting(max_iterations >= 1, "max_iterations", "must be at least 1");
        detail::require_setting(std::isfinite(noise_variance_min) && noise_variance_min >= 0.0, "noise_variance_min",
                                "must be finite and >= 0");
        detail::require_setting(std::isfinite(noise_variance_max) && noise_variance_max >= noise_variance_min,
                                "noise_variance_max", "must be finite and >= noise_variance_min");
        detail::require_setting(noise_variance >= noise_variance_min && noise_variance <= noise_variance_max,
                                "noise_variance", "must lie in [noise_variance_min, noise_variance_max]");
        detail::require_setting(noise_variance_min == noise_variance_max || noise_variance_min > 0.0,
                                "noise_variance_min", "must be > 0 when the noise is fitted (min < max)");
    }
};

/// A Gaussian-process regression surrogate (see the file comment for the model).
/// Hyperparameters: the kernel's (log space) and the log global noise variance, fitted by
/// maximising the log marginal likelihood with a projected L-BFGS from the previous optimum
/// and `restarts` seeded random starts.
template <class Kernel = matern52>
class gaussian_process {
    static_assert(explain_kernel<Kernel>());

public:
    using kernel_type = Kernel;
    static constexpr std::size_t kernel_hyperparameter_count = Kernel::hyperparameter_count;
    static constexpr std::size_t hyperparameter_count = Kernel::hyperparameter_count + 1;
    /// {kernel's log-hyperparameters..., log global noise variance}
    using hyperparameter_vector = std::array<double, hyperparameter_count>;

    gaussian_process() : gaussian_process(gaussian_process_settings{}) {}
    explicit gaussian_process(const gaussian_process_settings& settings, Kernel kernel = {})
        : settings_(settings), initial_kernel_(kernel), kernel_(kernel) {
        settings_.validate();
        clear(settings_.seed);
    }

    /// Forgets every observation, returns to the initial hyperparameters and reseeds.
    void clear(std::uint64_t seed) {
        x_.clear();
        y_.clear();
        point_noise_.clear();
        kernel_ = initial_kernel_;
        noise_ = settings_.noise_variance;
        offset_ = 0.0;
        scale_ = 1.0;
        jitter_ = 0.0;
        factored_ = true;
        status_ = gaussian_process_status::empty;
        last_refit_size_ = 0;
        rng_.seed(detail::mix_seed(seed));
    }

    /// One observation at x of value y with its own noise variance (y units squared).
    /// Throws autolrs::invalid_input unless x, y are finite and noise_variance is finite and >= 0.
    void add(double x, double y, double noise_variance = 0.0) {
        detail::require_input(std::isfinite(x) && std::isfinite(y), "gaussian_process::add", "x and y must be finite");
        detail::require_input(std::isfinite(noise_variance) && noise_variance >= 0.0, "gaussian_process::add",
                              "noise_variance must be finite and >= 0");
        x_.push_back(x);
        y_.push_back(y);
        point_noise_.push_back(noise_variance);
        const auto n = static_cast<Eigen::Index>(x_.size());
        if (n == 1 || x_.size() - last_refit_size_ >= settings_.refit_every) {
            refit();
            return;
        }
        reserve(n);
        yn_(n - 1) = (y - offset_) / scale_;
        dn_(n - 1) = noise_variance / (scale_ * scale_);
        if (factored_ && append_row(n - 1, jitter_)) {
            solve_alpha();
        } else {
            factorise(jitter_);
        }
    }

    /// Refreshes the output normalisation, fits the hyperparameters (when enabled and there
    /// are enough observations) and rebuilds the factor. add() calls it every refit_every.
    void refit() {
        last_refit_size_ = x_.size();
        status_ = gaussian_process_status::ok;
        if (x_.empty()) {
            status_ = gaussian_process_status::empty;
            return;
        }
        normalise();
        if (settings_.fit_hyperparameters && x_.size() >= settings_.fit_from) fit_hyperparameters();
        factorise(0.0);
    }

    /// Rebuilds the Cholesky factor from scratch (same normalisation and hyperparameters).
    void refactorise() {
        if (x_.empty()) return;
        factorise(0.0);
    }

    /// Posterior of the latent function at x, in y units. Never NaN: with no usable factor
    /// it is the prior.
    [[nodiscard]] prediction predict(double x) const {
        const auto k = detail::prepare_kernel(kernel_);
        const double prior_variance = k(x, x);
        if (x_.empty() || !factored_) return {offset_, scale_ * scale_ * prior_variance};
        scratch buffer(x_.size());
        return posterior_at(k, x, prior_variance, buffer.data());
    }

    /// The posterior at many points at once; the same values as predict(x), point by point.
    /// Throws autolrs::invalid_input unless out.size() == xs.size().
    void predict(std::span<const double> xs, std::span<prediction> out) const {
        detail::require_input(out.size() == xs.size(), "gaussian_process::predict", "out.size() must equal xs.size()");
        const auto k = detail::prepare_kernel(kernel_);
        if (x_.empty() || !factored_) {
            for (std::size_t j = 0; j < xs.size(); ++j) out[j] = {offset_, scale_ * scale_ * k(xs[j], xs[j])};
            return;
        }
        // Blocks of `block` points, each point's arithmetic in predict(x)'s order, so that the
        // innermost loops run across the block (vectorised) and the results stay bit-identical.
        constexpr std::size_t block = 8;
        const std::size_t n = x_.size();
        std::vector<double> heap;
        std::array<double, 64 * block> stack;
        double* v = stack.data();  // v[i * block + b]: (L^-1 k)_i at the block's point b
        if (n > 64) {
            heap.resize(n * block);
            v = heap.data();
        }
        for (std::size_t first = 0; first < xs.size(); first += block) {
            const std::size_t width = std::min(block, xs.size() - first);
            std::array<double, block> x{}, mean{}, explained{};
            for (std::size_t b = 0; b < width; ++b) x[b] = xs[first + b];
            for (std::size_t b = width; b < block; ++b) x[b] = x[0];
            for (std::size_t i = 0; i < n; ++i) {
                const double* li = l_.data() + static_cast<Eigen::Index>(i) * l_.cols();
                const double alpha_i = alpha_(static_cast<Eigen::Index>(i));
                std::array<double, block> s;
                for (std::size_t b = 0; b < block; ++b) {
                    s[b] = k(x[b], x_[i]);
                    mean[b] += s[b] * alpha_i;
                }
                for (std::size_t j = 0; j < i; ++j) {
                    const double lij = li[j];
                    const double* vj = v + j * block;
                    for (std::size_t b = 0; b < block; ++b) s[b] -= lij * vj[b];
                }
                double* vi = v + i * block;
                for (std::size_t b = 0; b < block; ++b) {
                    vi[b] = s[b] / li[i];
                    explained[b] += vi[b] * vi[b];
                }
            }
            for (std::size_t b = 0; b < width; ++b) {
                const double prior_variance = k(x[b], x[b]);
                out[first + b] = finite_or_prior(mean[b], prior_variance - explained[b], prior_variance);
            }
        }
    }

    /// One joint sample of the latent function's posterior at xs (y units), drawn with rng.
    /// Throws autolrs::invalid_input unless out.size() == xs.size().
    void sample_posterior(std::span<const double> xs, std::span<double> out, std::mt19937_64& rng) const {
        detail::require_input(out.size() == xs.size(), "gaussian_process::sample_posterior",
                              "out.size() must equal xs.size()");
        const auto n = static_cast<Eigen::Index>(x_.size());
        const auto m = static_cast<Eigen::Index>(xs.size());
        Eigen::MatrixXd cov(m, m);
        const auto k = detail::prepare_kernel(kernel_);
        for (Eigen::Index i = 0; i < m; ++i)
            for (Eigen::Index j = 0; j <= i; ++j) cov(i, j) = cov(j, i) = k(xs[i], xs[j]);
        Eigen::VectorXd mean = Eigen::VectorXd::Zero(m);
        if (n > 0 && factored_) {
            Eigen::MatrixXd v = cross_covariance(xs);
            mean = v.transpose() * alpha_.head(n);
            l_.topLeftCorner(n, n).template triangularView<Eigen::Lower>().solveInPlace(v);
            cov.noalias() -= v.transpose() * v;
        }
        Eigen::VectorXd z(m);
        for (Eigen::Index i = 0; i < m; ++i) z(i) = detail::standard_normal(rng);
        // The grid's posterior covariance is nearly singular: add growing jitter until it factors.
        const double largest = std::max(cov.diagonal().maxCoeff(), std::numeric_limits<double>::min());
        Eigen::VectorXd f;
        for (double jitter = 1e-10 * largest; jitter <= largest; jitter *= 10.0) {
            Eigen::MatrixXd a = cov;
            a.diagonal().array() += jitter;
            Eigen::LLT<Eigen::MatrixXd> llt(a);
            if (llt.info() == Eigen::Success) {
                f = mean + llt.matrixL() * z;
                break;
            }
        }
        if (f.size() != m) f = mean + (cov.diagonal().array().max(0.0).sqrt() * z.array()).matrix();  // independent
        for (Eigen::Index i = 0; i < m; ++i) {
            const double value = offset_ + scale_ * f(i);
            out[static_cast<std::size_t>(i)] = std::isfinite(value) ? value : offset_;
        }
    }

    /// The log marginal likelihood (normalised outputs) at the current hyperparameters.
    [[nodiscard]] double log_marginal_likelihood() const {
        detail::gp_marginal_likelihood<Kernel> likelihood;
        return likelihood.value(observations(), log_hyperparameters(), false);
    }

    /// The log marginal likelihood at `theta` and, if `gradient` is given, its gradient with
    /// respect to theta (the noise component is 0 when the noise is fixed). -inf when the
    /// covariance does not factor.
    [[nodiscard]] double log_marginal_likelihood(const hyperparameter_vector& theta,
                                                 hyperparameter_vector* gradient = nullptr) const {
        detail::gp_marginal_likelihood<Kernel> likelihood;
        const double value = likelihood.value(observations(), theta, gradient != nullptr);
        if (gradient) {
            gradient->fill(0.0);
            if (std::isfinite(value)) likelihood.gradient(*gradient);
        }
        return value;
    }

    [[nodiscard]] hyperparameter_vector log_hyperparameters() const {
        hyperparameter_vector theta{};
        const auto k = kernel_.log_hyperparameters();
        std::copy(k.begin(), k.end(), theta.begin());
        theta.back() = std::log(noise_);
        return theta;
    }

    /// Sets the hyperparameters (the noise component is ignored when the noise is fixed) and
    /// rebuilds the factor.
    void set_log_hyperparameters(const hyperparameter_vector& theta) {
        apply(theta);
        if (!x_.empty()) factorise(0.0);
    }

    [[nodiscard]] std::size_t size() const noexcept { return x_.size(); }
    [[nodiscard]] gaussian_process_status status() const noexcept { return status_; }
    [[nodiscard]] const Kernel& kernel() const noexcept { return kernel_; }
    [[nodiscard]] double noise_variance() const noexcept { return noise_; }   // normalised units
    [[nodiscard]] double jitter() const noexcept { return jitter_; }          // normalised units
    [[nodiscard]] double output_offset() const noexcept { return offset_; }
    [[nodiscard]] double output_scale() const noexcept { return scale_; }
    [[nodiscard]] const gaussian_process_settings& settings() const noexcept { return settings_; }
    /// The lower Cholesky factor of the normalised covariance (for tests and diagnostics).
    [[nodiscard]] Eigen::MatrixXd cholesky_factor() const {
        const auto n = static_cast<Eigen::Index>(x_.size());
        Eigen::MatrixXd l = l_.topLeftCorner(n, n);
        return l.template triangularView<Eigen::Lower>();
    }

private:
    [[nodiscard]] bool noise_fixed() const noexcept {
        return settings_.noise_variance_min == settings_.noise_variance_max;
    }

    // The observations as the hyperparameter fit reads them (normalised units).
    [[nodiscard]] detail::gp_observations<Kernel> observations() const {
        return {kernel_, x_, yn_.data(), dn_.data(), noise_fixed(), settings_.noise_variance};
    }

    void apply(const hyperparameter_vector& theta) {
        typename std::remove_cvref_t<decltype(kernel_.log_hyperparameters())> k{};
        std::copy(theta.begin(), theta.begin() + kernel_hyperparameter_count, k.begin());
        kernel_.set_log_hyperparameters(k);
        if (!noise_fixed()) noise_ = std::exp(theta.back());
    }

    [[nodiscard]] prediction finite_or_prior(double mean, double variance, double prior_variance) const {
        const prediction p{offset_ + scale_ * mean, scale_ * scale_ * std::max(variance, 0.0)};
        if (std::isfinite(p.mean) && std::isfinite(p.variance)) return p;
        return {offset_, scale_ * scale_ * prior_variance};
    }

    // n doubles, on the stack up to 64.
    class scratch {
    public:
        explicit scratch(std::size_t n) {
            if (n > stack_.size()) heap_.resize(n);
        }
        double* data() noexcept { return heap_.empty() ? stack_.data() : heap_.data(); }

    private:
        std::array<double, 64> stack_;
        std::vector<double> heap_;
    };

    // The posterior at x (factored, n >= 1), fusing the kernel column, the forward
    // substitution L v = k and the mean k' alpha in one pass; v: n doubles of scratch.
    template <class PreparedKernel>
    [[nodiscard]] prediction posterior_at(const PreparedKernel& k, double x, double prior_variance, double* v) const {
        const auto n = static_cast<Eigen::Index>(x_.size());
        double mean = 0.0;
        double explained = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) {
            const double ki = k(x, x_[static_cast<std::size_t>(i)]);
            mean += ki * alpha_(i);
            const double* li = l_.data() + i * l_.cols();
            double s = ki;
            for (Eigen::Index j = 0; j < i; ++j) s -= li[j] * v[j];
            v[i] = s / li[i];
            explained += v[i] * v[i];
        }
        return finite_or_prior(mean, prior_variance - explained, prior_variance);
    }

    [[nodiscard]] Eigen::MatrixXd cross_covariance(std::span<const double> xs) const {
        const auto n = static_cast<Eigen::Index>(x_.size());
        Eigen::MatrixXd cross(n, static_cast<Eigen::Index>(xs.size()));
        const auto k = detail::prepare_kernel(kernel_);
        for (Eigen::Index j = 0; j < cross.cols(); ++j)
            for (Eigen::Index i = 0; i < n; ++i) cross(i, j) = k(x_[static_cast<std::size_t>(i)], xs[j]);
        return cross;
    }

    void reserve(Eigen::Index n) {
        if (l_.rows() >= n) return;
        const Eigen::Index capacity = std::max<Eigen::Index>(16, 2 * n);
        l_.conservativeResize(capacity, capacity);
        alpha_.conservativeResize(capacity);
        yn_.conservativeResize(capacity);
        dn_.conservativeResize(capacity);
        row_.resize(static_cast<std::size_t>(capacity));
    }

    void normalise() {
        const auto n = static_cast<Eigen::Index>(x_.size());
        reserve(n);
        double mean = 0.0;
        for (double y : y_) mean += y;
        mean /= static_cast<double>(n);
        double variance = 0.0;
        for (double y : y_) variance += (y - mean) * (y - mean);
        const double sd = std::sqrt(variance / static_cast<double>(n));
        offset_ = mean;
        scale_ = (sd > 1e-12 * std::max(1.0, std::abs(mean))) ? sd : 1.0;
        for (Eigen::Index i = 0; i < n; ++i) {
            yn_(i) = (y_[static_cast<std::size_t>(i)] - offset_) / scale_;
            dn_(i) = point_noise_[static_cast<std::size_t>(i)] / (scale_ * scale_);
        }
    }

    // Row i of the factor of K + (noise + jitter) I + diag(dn), from rows 0..i-1.
    bool append_row(Eigen::Index i, double jitter) {
        const double xi = x_[static_cast<std::size_t>(i)];
        const auto k = detail::prepare_kernel(kernel_);
        for (Eigen::Index j = 0; j < i; ++j) row_[static_cast<std::size_t>(j)] = k(xi, x_[static_cast<std::size_t>(j)]);
        const double diagonal = k(xi, xi) + noise_ + dn_(i) + jitter;
        return detail::cholesky_append_row(l_, i, row_.data(), diagonal);
    }

    // Full factorisation, row by row; on a failed pivot, restart with 10x more jitter.
    void factorise(double start_jitter) {
        const auto n = static_cast<Eigen::Index>(x_.size());
        reserve(n);
        double largest = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) largest = std::max(largest, kernel_(x_[static_cast<std::size_t>(i)], x_[static_cast<std::size_t>(i)]) + noise_ + dn_(i));
        // A zero or overflowing diagonal (a point noise near the largest double over a tiny
        // output scale) leaves no jitter ladder to climb: without this the loop never ends.
        if (!(std::isfinite(largest) && largest > 0.0)) {
            factored_ = false;
            worsen(gaussian_process_status::degenerate);
            return;
        }
        const double first_jitter = 1e-10 * largest, last_jitter = 1e-1 * largest;
        for (double jitter = start_jitter; jitter <= last_jitter; jitter = (jitter > 0.0 ? 10.0 * jitter : first_jitter)) {
            bool ok = true;
            for (Eigen::Index i = 0; i < n && ok; ++i) ok = append_row(i, jitter);
            if (ok) {
                jitter_ = jitter;
                factored_ = true;
                if (jitter > 0.0) worsen(gaussian_process_status::jitter_added);
                solve_alpha();
                return;
            }
        }
        factored_ = false;
        worsen(gaussian_process_status::degenerate);
    }

    void solve_alpha() {
        const auto n = static_cast<Eigen::Index>(x_.size());
        auto alpha = alpha_.head(n);
        alpha = yn_.head(n);
        l_.topLeftCorner(n, n).template triangularView<Eigen::Lower>().solveInPlace(alpha);
        l_.topLeftCorner(n, n).transpose().template triangularView<Eigen::Upper>().solveInPlace(alpha);
        if (!alpha.allFinite()) {
            factored_ = false;
            worsen(gaussian_process_status::degenerate);
        }
    }

    void worsen(gaussian_process_status s) {
        if (static_cast<int>(s) > static_cast<int>(status_)) status_ = s;
    }

    // Maximises the log marginal likelihood (detail/gp_hyperparameter_fit.hpp) and applies the
    // result; when no start reaches a finite likelihood, keeps the previous hyperparameters.
    void fit_hyperparameters() {
        const std::optional<hyperparameter_vector> fitted = detail::fit_gp_hyperparameters(
            likelihood_, observations(), log_hyperparameters(),
            {.restarts = settings_.restarts,
             .max_iterations = settings_.max_iterations,
             .noise_variance_min = settings_.noise_variance_min,
             .noise_variance_max = settings_.noise_variance_max},
            rng_);
        if (fitted) {
            apply(*fitted);
        } else {
            worsen(gaussian_process_status::fit_failed);
        }
    }

    gaussian_process_settings settings_;
    Kernel initial_kernel_;
    Kernel kernel_;
    double noise_ = 0.0;
    std::vector<double> x_, y_, point_noise_;
    double offset_ = 0.0, scale_ = 1.0, jitter_ = 0.0;
    bool factored_ = true;
    gaussian_process_status status_ = gaussian_process_status::empty;
    std::size_t last_refit_size_ = 0;
    std::mt19937_64 rng_;
    detail::row_major_matrix l_;
    Eigen::VectorXd alpha_, yn_, dn_;
    std::vector<double> row_;  // scratch row of the covariance
    detail::gp_marginal_likelihood<Kernel> likelihood_;  // the fit's scratch, kept between refits
};

static_assert(posterior_sampler<gaussian_process<>>);

#ifdef AUTOLRS_COMPILED_LIB
// The default kernel's hyperparameter fit comes compiled (numeric/compiled_lib.hpp).
namespace detail {
extern template std::optional<gp_marginal_likelihood<matern52>::hyperparameter_vector> fit_gp_hyperparameters<matern52>(
    gp_marginal_likelihood<matern52>&, const gp_observations<matern52>&,
    gp_marginal_likelihood<matern52>::hyperparameter_vector, const gp_fit_settings&, std::mt19937_64&);
}  // namespace detail
#endif

}  // namespace autolrs
