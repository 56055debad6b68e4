// Prints how often each acquisition gets within 2% of the interval's width (in log LR) of
// the minimiser within 10 evaluations, over 100 seeds, on the seeded 1-D test functions
// (support/autolrs_support/bo_test_functions.hpp), plus harder cases that the tests do not
// assert on.
#include "autolrs_support/bo_test_functions.hpp"

#include <cstdio>
#include <vector>

namespace {

template <class Acquisition>
int hits(const autolrs_test::test_function& tf, Acquisition acquisition, int seeds) {
    const double argmin = autolrs_test::true_argmin(tf);
    int count = 0;
    for (int s = 0; s < seeds; ++s)
        count += autolrs_test::closest_approach<autolrs::gaussian_process<>, Acquisition>(
                     tf, acquisition, static_cast<std::uint64_t>(s), 10, argmin) <= 0.02;
    return count;
}

}  // namespace

int main() {
    const int seeds = 100;
    std::vector<autolrs_test::test_function> functions(autolrs_test::test_functions().begin(),
                                                       autolrs_test::test_functions().end());
    functions.push_back({"noisy_0.01", autolrs_test::smooth_valley, 0.01});
    functions.push_back(autolrs_test::hard_test_function());
    std::printf("| acquisition |");
    for (const auto& tf : functions) std::printf(" %s |", tf.name);
    std::printf("\n|---|");
    for (std::size_t i = 0; i < functions.size(); ++i) std::printf("---|");
    std::printf("\n");
    const auto row = [&](const char* name, auto acquisition) {
        std::printf("| %s |", name);
        for (const auto& tf : functions) std::printf(" %d%% |", hits(tf, acquisition, seeds) * 100 / seeds);
        std::printf("\n");
        std::fflush(stdout);
    };
    row("expected_improvement", autolrs::expected_improvement{});
    row("lower_confidence_bound kappa=1.96", autolrs::lower_confidence_bound{.kappa = 1.96});
    row("lower_confidence_bound kappa=1e6 (reference)", autolrs::lower_confidence_bound{.kappa = 1e6});
    row("probability_of_improvement", autolrs::probability_of_improvement{});
    row("thompson_sampling", autolrs::thompson_sampling{});
    return 0;
}
