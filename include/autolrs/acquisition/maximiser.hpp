#pragma once
// Maximises an acquisition over an interval: a dense grid, then Brent's method around the
// best grid point (boost::math::tools::brent_find_minima, numeric/brent.hpp); points closer than
// min_separation to an already observed point are never proposed.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "autolrs/acquisition/concept.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/numeric/brent.hpp"
#include "autolrs/surrogate/concept.hpp"
#include "autolrs/types.hpp"

namespace autolrs {

struct acquisition_maximiser_settings {
    std::size_t grid_size = 64;          // evenly spaced points, both ends included
    std::size_t refine_iterations = 20;  // Brent iterations around the best grid point (0: none)
    double min_separation = 0.0;         // in x units: never propose closer than this to `avoid`

    void validate() const {
        detail::require_setting(grid_size >= 3, "grid_size", "must be at least 3");
        detail::require_setting(std::isfinite(min_separation) && min_separation >= 0.0, "min_separation",
                                "must be finite and >= 0");
    }
};

struct acquisition_choice {
    double x;      // the proposed point, inside [lower, upper]
    double score;  // the acquisition there
};

namespace detail {

inline bool far_from_all(double x, std::span<const double> avoid, double separation) {
    for (double a : avoid)
        if (std::abs(x - a) < separation) return false;
    return true;
}

inline double distance_to_nearest(double x, std::span<const double> avoid) {
    double d = std::numeric_limits<double>::infinity();
    for (double a : avoid) d = std::min(d, std::abs(x - a));
    return d;
}

}  // namespace detail

/// The maximiser of `acquisition` over [lower, upper] under surrogate `s`, at least
/// `settings.min_separation` away from every point of `avoid` whenever the grid allows it
/// (otherwise the grid point farthest from them). `incumbent` is the value to beat (y units);
/// `rng` feeds sampling acquisitions. Ties on the grid go to the larger posterior variance,
/// then to the lower x, so the result is deterministic.
template <surrogate S, class A>
    requires acquisition_for<A, S>
acquisition_choice maximise_acquisition(const S& s, const A& acquisition, double incumbent, double lower, double upper,
                                        std::span<const double> avoid, const acquisition_maximiser_settings& settings,
                                        std::mt19937_64& rng) {
    const std::size_t g = upper > lower ? settings.grid_size : 1;
    std::vector<double> grid(g);
    for (std::size_t i = 0; i < g; ++i)
        grid[i] = g == 1 ? lower
                         : (i + 1 == g ? upper : lower + (upper - lower) * static_cast<double>(i) / static_cast<double>(g - 1));
    std::vector<double> scores(g);
    std::vector<prediction> posterior(g);
    s.predict(std::span<const double>(grid), std::span<prediction>(posterior));
    if constexpr (pointwise_acquisition<A>) {
        for (std::size_t i = 0; i < g; ++i) scores[i] = static_cast<double>(acquisition(posterior[i], incumbent));
    } else {
        acquisition.sample_scores(s, std::span<const double>(grid), std::span<double>(scores), rng);
    }

    const double separation = settings.min_separation;
    std::size_t best = g;
    for (std::size_t i = 0; i < g; ++i) {
        if (!std::isfinite(scores[i]) || !detail::far_from_all(grid[i], avoid, separation)) continue;
        if (best == g || scores[i] > scores[best] ||
            (scores[i] == scores[best] && posterior[i].variance > posterior[best].variance))
            best = i;
    }
    if (best == g) {  // every grid point is taken: the one farthest from the observed points
        best = 0;
        for (std::size_t i = 1; i < g; ++i)
            if (detail::distance_to_nearest(grid[i], avoid) > detail::distance_to_nearest(grid[best], avoid)) best = i;
        return {grid[best], std::isfinite(scores[best]) ? scores[best] : 0.0};
    }
    acquisition_choice choice{grid[best], scores[best]};

    if constexpr (pointwise_acquisition<A>) {
        if (settings.refine_iterations > 0 && g > 1) {
            const double a = grid[best == 0 ? 0 : best - 1];
            const double b = grid[best + 1 == g ? g - 1 : best + 1];
            // A finite penalty (not inf) keeps Brent's parabolic steps finite; 16 bits locate
            // the maximum to about 1e-5 of the interval, far below any useful LR difference.
            const double penalty = -choice.score + 1.0 + std::abs(choice.score);
            const auto negated = [&](double x) {
                if (!detail::far_from_all(x, avoid, separation)) return penalty;
                const double v = static_cast<double>(acquisition(s.predict(x), incumbent));
                return std::isfinite(v) ? -v : penalty;
            };
            std::uintmax_t iterations = settings.refine_iterations;
            const auto [x, value] = detail::brent_minimise(negated, a, b, 16, iterations);
            if (-value > choice.score && x >= lower && x <= upper && detail::far_from_all(x, avoid, separation))
                choice = {x, -value};
        }
    }
    return choice;
}

}  // namespace autolrs
