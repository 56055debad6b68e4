#pragma once
// Matern 5/2 kernel (the paper's, and the default): twice-differentiable sample paths.

#include <cmath>

#include "autolrs/kernel/stationary.hpp"

namespace autolrs {

struct matern52_profile {
    static kernel_profile_value evaluate(double r) {
        constexpr double sqrt5 = 2.23606797749979;
        const double e = std::exp(-sqrt5 * r);
        return {(1.0 + sqrt5 * r + (5.0 / 3.0) * r * r) * e, (5.0 / 3.0) * r * r * (1.0 + sqrt5 * r) * e};
    }
};

/// s2 * (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r), r = |a - b| / l.
using matern52 = stationary_kernel<matern52_profile>;

}  // namespace autolrs
