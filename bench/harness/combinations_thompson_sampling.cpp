// The thompson_sampling combinations (one acquisition per translation unit: lean builds).
#include "policy_lists.hpp"

namespace autolrs::bench {
void add_thompson_sampling(std::vector<combination>& out) {
    add_combinations(out, type_list<thompson_sampling>{}, kernels{}, forecasters{});
}
}  // namespace autolrs::bench
