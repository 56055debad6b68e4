#pragma once
// Matern 3/2 kernel: rougher than Matern 5/2 (once-differentiable sample paths).

#include <cmath>

#include "autolrs/kernel/stationary.hpp"

namespace autolrs {

struct matern32_profile {
    static kernel_profile_value evaluate(double r) {
        constexpr double sqrt3 = 1.7320508075688772;
        const double e = std::exp(-sqrt3 * r);
        return {(1.0 + sqrt3 * r) * e, 3.0 * r * r * e};
    }
};

/// s2 * (1 + sqrt3 r) exp(-sqrt3 r), r = |a - b| / l.
using matern32 = stationary_kernel<matern32_profile>;

}  // namespace autolrs
