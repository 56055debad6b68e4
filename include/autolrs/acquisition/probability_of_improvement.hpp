#pragma once
// Probability of improvement (for minimisation) below the incumbent.

#include <algorithm>
#include <cmath>

#include "autolrs/acquisition/detail/fast_normal.hpp"
#include "autolrs/types.hpp"

namespace autolrs {

/// score = P(f < incumbent - xi) = Phi((incumbent - xi - mean) / sd), in [0, 1]. With
/// xi = 0 it is greedy; a positive xi (y units) asks for a real improvement.
struct probability_of_improvement {
    double xi = 0.0;

    [[nodiscard]] double operator()(const prediction& p, double incumbent) const {
        const double improvement = incumbent - xi - p.mean;
        const double sd = std::sqrt(std::max(p.variance, 0.0));
        if (!(sd > 0.0)) return improvement > 0.0 ? 1.0 : 0.0;
        return detail::standard_normal_cdf(improvement / sd);
    }
};

}  // namespace autolrs
