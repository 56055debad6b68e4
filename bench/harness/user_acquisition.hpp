#pragma once
// How to benchmark your own acquisition: this is the whole of it.
//  1. Write the type: `double operator()(const autolrs::prediction& p, double incumbent) const`
//     (larger is better, for minimisation), and name it with `bench_name`.
//  2. Register it in a translation unit (combinations_user.cpp):
//       add_combinations(out, type_list<my_acquisition>{}, kernels{}, forecasters{});
//  3. Declare that function in policy_lists.hpp and call it in harness_main.cpp.

#include <autolrs/autolrs.hpp>

#include <cmath>
#include <string_view>

namespace autolrs::bench {

/// Example: EI with an exploration margin that scales with the posterior's own spread
/// (xi = 0.1 sd), a common variant; it is run alongside the built-in acquisitions.
struct scaled_margin_ei {
    static constexpr std::string_view bench_name = "EI_margin";
    double margin = 0.1;

    [[nodiscard]] double operator()(const prediction& p, double incumbent) const {
        const double sd = std::sqrt(std::max(p.variance, 0.0));
        return expected_improvement{.xi = margin * sd}(p, incumbent);
    }
};

}  // namespace autolrs::bench
