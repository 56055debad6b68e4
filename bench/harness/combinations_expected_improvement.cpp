// The expected_improvement combinations (one acquisition per translation unit: lean builds).
#include "policy_lists.hpp"

namespace autolrs::bench {
void add_expected_improvement(std::vector<combination>& out) {
    add_combinations(out, type_list<expected_improvement>{}, kernels{}, forecasters{});
}
}  // namespace autolrs::bench
