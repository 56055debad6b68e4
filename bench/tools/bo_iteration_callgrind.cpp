// Callgrind driver (not built by CMake): one BO iteration (tell + refit + ask) at n observations,
// repeated; see bench/README.md "Bayesian optimisation" for the commands.
#include <autolrs/autolrs.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace {
double loss(double x) { return 1.0 + 0.05 * (x + 4.0) * (x + 4.0) + 0.02 * std::sin(3.0 * x); }
using bo_type = autolrs::bayes_opt<autolrs::gaussian_process<>, autolrs::expected_improvement>;

__attribute__((noinline)) double one_iteration(const bo_type& prepared, double next_x) {
    bo_type bo = prepared;
    bo.tell(next_x, loss(next_x));
    return bo.ask();
}
__attribute__((noinline)) double copy_only(const bo_type& prepared) {
    bo_type bo = prepared;
    return bo.settings().x_min;
}
}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 10;
    const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
    const std::size_t refit_every = argc > 3 ? std::atoi(argv[3]) : 1;
    autolrs::gaussian_process_settings gs;
    gs.refit_every = refit_every;
    bo_type prepared({.x_min = std::log(1e-4), .x_max = std::log(1.0), .seed = 1}, autolrs::gaussian_process<>(gs));
    for (int i = 0; i + 1 < n; ++i) {
        const double x = prepared.ask();
        prepared.tell(x, loss(x));
    }
    const double next_x = prepared.ask();
    double sum = 0;
    for (int r = 0; r < reps; ++r) sum += one_iteration(prepared, next_x) + copy_only(prepared);
    std::printf("n=%d next=%.17g result=%.17g\n", n, next_x, sum / reps);
    return 0;
}
