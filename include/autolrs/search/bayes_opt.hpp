#pragma once
// bayes_opt: an ask/tell Bayesian optimiser of a 1-D function over [x_min, x_max]
// (x = log LR in AutoLRS), built from a surrogate and an acquisition policy.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "autolrs/acquisition/concept.hpp"
#include "autolrs/acquisition/expected_improvement.hpp"
#include "autolrs/acquisition/maximiser.hpp"
#include "autolrs/numeric/seeded_random.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/kernel/matern52.hpp"
#include "autolrs/surrogate/concept.hpp"
#include "autolrs/surrogate/gaussian_process.hpp"
#include "autolrs/types.hpp"

namespace autolrs {

struct bayes_opt_settings {
    double x_min;                        // log(lr_min)
    double x_max;                        // log(lr_max)
    std::uint64_t seed = 0;
    std::size_t initial_random = 1;      // asks drawn uniformly at random before the model is used
    std::size_t grid_size = 64;          // acquisition maximiser: dense grid ...
    std::size_t refine_iterations = 20;  // ... then Brent iterations around its best point
    double min_separation = 1e-2;        // never propose closer than this fraction of
                                         // (x_max - x_min) to an observed or infeasible point

    void validate() const {
        detail::require_setting(std::isfinite(x_min), "x_min", "must be finite");
        detail::require_setting(std::isfinite(x_max) && x_max > x_min, "x_max", "must be finite and > x_min");
        detail::require_setting(initial_random >= 1, "initial_random", "must be at least 1 (the first ask is random)");
        detail::require_setting(grid_size >= 3, "grid_size", "must be at least 3");
        detail::require_setting(min_separation >= 0.0 && min_separation < 0.1, "min_separation", "must lie in [0, 0.1)");
    }
};

/// Ask/tell Bayesian optimisation (minimisation) over [x_min, x_max].
///
/// The surrogate sees inputs mapped to u = (x - x_min) / (x_max - x_min) in [0, 1], so kernel
/// length-scale bounds do not depend on the LR range. Outputs are a pure function of the
/// settings, the surrogate and acquisition given at construction, and the exact sequence of
/// calls (reset / warm_start / ask / tell / tell_infeasible): replaying it gives the same asks
/// to the bit.
template <class Surrogate = gaussian_process<matern52>, class Acquisition = expected_improvement>
class bayes_opt {
    static_assert(explain_surrogate<Surrogate>());
    static_assert(explain_acquisition<Acquisition, Surrogate>());

public:
    using surrogate_type = Surrogate;
    using acquisition_type = Acquisition;

    explicit bayes_opt(const bayes_opt_settings& settings, Surrogate surrogate = {}, Acquisition acquisition = {})
        : settings_(settings), surrogate_(std::move(surrogate)), acquisition_(std::move(acquisition)) {
        settings_.validate();
        reset(settings_.seed);
    }

    /// The next x to evaluate: inside [x_min, x_max] (below every infeasible x told), never
    /// closer than min_separation to an observed one. Random while fewer than
    /// `initial_random` observations are known (warm-start data count as knowledge).
    [[nodiscard]] double ask() {
        const auto [lo, hi] = feasible_unit_interval();
        const double separation = settings_.min_separation;
        if (own_.size() < settings_.initial_random && warm_.empty()) {
            for (int attempt = 0; attempt < 64; ++attempt) {
                const double u = lo + (hi - lo) * detail::uniform01(rng_);
                if (detail::far_from_all(u, avoid_, separation)) return to_x(u);
            }
        }
        const acquisition_choice choice =
            maximise_acquisition(surrogate_, acquisition_, incumbent(), lo, hi, avoid_, maximiser_settings(), rng_);
        return to_x(choice.x);
    }

    /// The value y observed at x, with its own noise variance (y units squared).
    /// Throws autolrs::invalid_input unless x and y are finite and noise_variance finite, >= 0.
    void tell(double x, double y, double noise_variance = 0.0) {
        detail::require_input(std::isfinite(x) && std::isfinite(y), "bayes_opt::tell",
                              "x and y must be finite (use tell_infeasible for a divergence)");
        detail::require_input(std::isfinite(noise_variance) && noise_variance >= 0.0, "bayes_opt::tell",
                              "noise_variance must be finite and >= 0");
        surrogate_.add(to_unit(x), y, noise_variance);
        own_.push_back({x, y, noise_variance});
        avoid_.push_back(to_unit(x));
    }

    /// x diverged: it gives no y, and later asks stay below x (divergence is monotone in the LR).
    /// Throws autolrs::invalid_input unless x is finite.
    void tell_infeasible(double x) {
        detail::require_input(std::isfinite(x), "bayes_opt::tell_infeasible", "x must be finite");
        infeasible_u_ = std::min(infeasible_u_, to_unit(x));
        avoid_.push_back(to_unit(x));
    }

    /// The lowest observed y of this search (not a warm-start one), nullopt if none.
    [[nodiscard]] std::optional<observation> best() const {
        if (own_.empty()) return std::nullopt;
        return *std::min_element(own_.begin(), own_.end(),
                                 [](const observation& a, const observation& b) { return a.y < b.y; });
    }

    /// The largest expected improvement (y units) over the feasible interval under the
    /// current posterior: >= 0 and finite; the largest double before any observation.
    [[nodiscard]] double expected_gain() const {
        if (surrogate_.size() == 0) return std::numeric_limits<double>::max();
        const auto [lo, hi] = feasible_unit_interval();
        std::mt19937_64 unused(0);  // expected improvement draws nothing
        const acquisition_choice choice = maximise_acquisition(surrogate_, expected_improvement{}, incumbent(), lo, hi,
                                                               avoid_, maximiser_settings(), unused);
        return std::isfinite(choice.score) ? std::max(choice.score, 0.0) : 0.0;
    }

    /// The model's posterior mean of y at x (the prior mean before any observation): a
    /// noisy observation moves it only as much as its noise variance allows.
    [[nodiscard]] double posterior_mean(double x) const { return surrogate_.predict(to_unit(x)).mean; }

    /// This search's own observations, in the order told (warm-start data excluded).
    [[nodiscard]] std::span<const observation> observations() const noexcept { return own_; }
    /// The warm-start data, noise included as given to the surrogate.
    [[nodiscard]] std::span<const observation> warm_observations() const noexcept { return warm_; }

    /// A new search: forgets observations, warm-start data and infeasible bounds; reseeds.
    void reset(std::uint64_t seed) {
        own_.clear();
        warm_.clear();
        avoid_.clear();
        infeasible_u_ = std::numeric_limits<double>::infinity();
        rng_.seed(detail::mix_seed(seed));
        surrogate_.clear(detail::mix_seed(seed ^ 0x5EEDF00DULL));
    }

    /// Prior data from an earlier stage, given to the surrogate with their noise variance
    /// plus `extra_noise_variance`; they never become best() and do not block re-proposing x.
    /// Throws autolrs::invalid_input (and adds nothing) unless every number is finite and
    /// every variance >= 0.
    void warm_start(std::span<const observation> earlier, double extra_noise_variance) {
        detail::require_input(std::isfinite(extra_noise_variance) && extra_noise_variance >= 0.0,
                              "bayes_opt::warm_start", "extra_noise_variance must be finite and >= 0");
        for (const observation& o : earlier)
            detail::require_input(std::isfinite(o.x) && std::isfinite(o.y) && std::isfinite(o.noise_variance) &&
                                      o.noise_variance >= 0.0,
                                  "bayes_opt::warm_start", "observations must be finite, noise >= 0");
        for (const observation& o : earlier) {
            const observation inflated{o.x, o.y, o.noise_variance + extra_noise_variance};
            surrogate_.add(to_unit(inflated.x), inflated.y, inflated.noise_variance);
            warm_.push_back(inflated);
        }
    }

    [[nodiscard]] const bayes_opt_settings& settings() const noexcept { return settings_; }
    [[nodiscard]] const Surrogate& surrogate() const noexcept { return surrogate_; }
    [[nodiscard]] const Acquisition& acquisition() const noexcept { return acquisition_; }
    /// The upper end of the feasible interval (x units): x_max until a divergence is told.
    [[nodiscard]] double feasible_upper() const noexcept {
        return infeasible_u_ >= 1.0 ? settings_.x_max : std::max(settings_.x_min, to_x(infeasible_u_));
    }

private:
    [[nodiscard]] double width() const noexcept { return settings_.x_max - settings_.x_min; }
    [[nodiscard]] double to_unit(double x) const noexcept { return (x - settings_.x_min) / width(); }
    [[nodiscard]] double to_x(double u) const noexcept {
        return std::clamp(settings_.x_min + u * width(), settings_.x_min, settings_.x_max);
    }

    [[nodiscard]] acquisition_maximiser_settings maximiser_settings() const noexcept {
        return {.grid_size = settings_.grid_size,
                .refine_iterations = settings_.refine_iterations,
                .min_separation = settings_.min_separation};
    }

    // [0, 1], or [0, just below the lowest infeasible point]; a single point at 0 when
    // even the lower end diverged.
    [[nodiscard]] std::pair<double, double> feasible_unit_interval() const noexcept {
        double hi = std::min(1.0, infeasible_u_ - settings_.min_separation);
        if (std::isinf(infeasible_u_)) hi = 1.0;
        return {0.0, std::max(0.0, hi)};
    }

    // The value to beat: the lowest posterior mean at this search's observed points (the
    // warm-start points when there are none yet); robust to noisy observations.
    [[nodiscard]] double incumbent() const {
        const std::span<const observation> points = own_.empty() ? std::span<const observation>(warm_) : own_;
        double best = std::numeric_limits<double>::infinity();
        for (const observation& o : points) best = std::min(best, surrogate_.predict(to_unit(o.x)).mean);
        return std::isfinite(best) ? best : 0.0;
    }

    bayes_opt_settings settings_;
    Surrogate surrogate_;
    Acquisition acquisition_;
    std::mt19937_64 rng_;
    std::vector<observation> own_, warm_;
    std::vector<double> avoid_;  // unit coordinates of observed and infeasible points
    double infeasible_u_ = std::numeric_limits<double>::infinity();
};

#ifdef AUTOLRS_COMPILED_LIB
// The default policies' acquisition maximiser comes compiled (numeric/compiled_lib.hpp).
extern template acquisition_choice maximise_acquisition<gaussian_process<matern52>, expected_improvement>(
    const gaussian_process<matern52>&, const expected_improvement&, double, double, double, std::span<const double>,
    const acquisition_maximiser_settings&, std::mt19937_64&);
#endif

}  // namespace autolrs
