#pragma once
// Squared-exponential (RBF) kernel: infinitely smooth sample paths.

#include <cmath>

#include "autolrs/kernel/stationary.hpp"

namespace autolrs {

struct squared_exponential_profile {
    static kernel_profile_value evaluate(double r) {
        const double e = std::exp(-0.5 * r * r);
        return {e, r * r * e};
    }
};

/// s2 * exp(-r^2 / 2), r = |a - b| / l.
using squared_exponential = stationary_kernel<squared_exponential_profile>;

}  // namespace autolrs
