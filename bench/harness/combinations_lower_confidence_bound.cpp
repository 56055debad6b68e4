// The lower_confidence_bound combinations (one acquisition per translation unit: lean builds).
#include "policy_lists.hpp"

namespace autolrs::bench {
void add_lower_confidence_bound(std::vector<combination>& out) {
    add_combinations(out, type_list<lower_confidence_bound>{}, kernels{}, forecasters{});
}
}  // namespace autolrs::bench
