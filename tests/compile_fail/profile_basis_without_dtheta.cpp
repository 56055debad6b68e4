// Must not compile: the curve-fit basis has no dtheta(), and the diagnostic says how to add it.
#include <autolrs/autolrs.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

struct no_dtheta_basis {
    double theta_lo = -1.0, theta_hi = 1.0;
    void fill(double theta, std::size_t n, double* phi) const {
        for (std::size_t i = 0; i < n; ++i) phi[i] = std::exp(-std::exp(theta) * static_cast<double>(i + 1) / n);
    }
    double at(double theta, double s) const { return std::exp(-std::exp(theta) * s); }
};

int main() {
    const std::vector<double> losses(20, 1.0);
    const autolrs::detail::profile_options options{8, 0.2, 1.0, 1.5, 2, 0.0, 0.25, 20, true, true};
    return static_cast<int>(autolrs::detail::profile_forecast(no_dtheta_basis{}, options, losses, 40.0).n);
}
