#pragma once
// Thompson sampling: evaluate next where one random draw of the posterior is lowest.

#include <cstddef>
#include <random>
#include <span>

#include "autolrs/surrogate/concept.hpp"

namespace autolrs {

/// Draws one joint posterior sample f over the grid (seeded by the caller's generator) and
/// scores each point by -f, so the maximiser picks the sample's minimum. Needs a surrogate
/// that can sample jointly (autolrs::posterior_sampler); no Brent refinement (the sample
/// exists only on the grid).
struct thompson_sampling {
    template <posterior_sampler S>
    void sample_scores(const S& s, std::span<const double> xs, std::span<double> scores, std::mt19937_64& rng) const {
        s.sample_posterior(xs, scores, rng);
        for (double& v : scores) v = -v;
    }
};

}  // namespace autolrs
