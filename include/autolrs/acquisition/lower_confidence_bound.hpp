#pragma once
// Lower confidence bound (for minimisation): prefer points where mean - kappa * sd is low.

#include <algorithm>
#include <cmath>

#include "autolrs/types.hpp"

namespace autolrs {

/// score = kappa * sd - mean (the negated bound, so that larger is better). kappa trades
/// exploration for exploitation; kappa = 1e6 reproduces the AutoLRS reference, which then
/// ignores the mean (a space-filling design: endpoints first, then the largest gaps).
struct lower_confidence_bound {
    double kappa = 1.96;

    [[nodiscard]] double operator()(const prediction& p, double /*incumbent*/) const {
        return kappa * std::sqrt(std::max(p.variance, 0.0)) - p.mean;
    }
};

}  // namespace autolrs
