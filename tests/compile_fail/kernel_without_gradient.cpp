// Must not compile: the kernel has no gradient(), and the diagnostic says how to add it.
#include <autolrs/autolrs.hpp>

#include <array>

struct no_gradient_kernel {
    static constexpr std::size_t hyperparameter_count = 1;
    double operator()(double, double) const { return 1.0; }
    std::array<double, 1> log_hyperparameters() const { return {0.0}; }
    void set_log_hyperparameters(const std::array<double, 1>&) {}
    std::array<double, 1> lower_bounds() const { return {0.0}; }
    std::array<double, 1> upper_bounds() const { return {0.0}; }
};

int main() {
    autolrs::gaussian_process<no_gradient_kernel> gp;
    return static_cast<int>(gp.size());
}
