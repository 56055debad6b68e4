#pragma once
// Expected improvement (for minimisation) below the incumbent.

#include <algorithm>
#include <cmath>

#include "autolrs/acquisition/detail/fast_normal.hpp"
#include "autolrs/types.hpp"

namespace autolrs {

/// score = E[max(incumbent - xi - f, 0)] = (incumbent - xi - mean) Phi(z) + sd phi(z),
/// z = (incumbent - xi - mean) / sd; in y units, >= 0. `xi` >= 0 (y units) asks for a
/// minimum improvement and so favours exploration.
struct expected_improvement {
    double xi = 0.0;

    [[nodiscard]] double operator()(const prediction& p, double incumbent) const {
        const double improvement = incumbent - xi - p.mean;
        const double sd = std::sqrt(std::max(p.variance, 0.0));
        if (!(sd > 0.0)) return std::max(improvement, 0.0);
        const double z = improvement / sd;
        const double value = improvement * detail::standard_normal_cdf(z) + sd * detail::standard_normal_pdf(z);
        return std::max(value, 0.0);  // rounding can dip below 0 far in the lower tail
    }
};

}  // namespace autolrs
