// The probability_of_improvement combinations (one acquisition per translation unit: lean builds).
#include "policy_lists.hpp"

namespace autolrs::bench {
void add_probability_of_improvement(std::vector<combination>& out) {
    add_combinations(out, type_list<probability_of_improvement>{}, kernels{}, forecasters{});
}
}  // namespace autolrs::bench
