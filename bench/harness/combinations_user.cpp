// The user-supplied acquisition's combinations (see user_acquisition.hpp).
#include "policy_lists.hpp"

namespace autolrs::bench {
void add_user_acquisition(std::vector<combination>& out) {
    add_combinations(out, type_list<scaled_margin_ei>{}, kernels{}, forecasters{});
}
}  // namespace autolrs::bench
