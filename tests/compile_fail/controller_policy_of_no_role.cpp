// Must not compile: controller<...> places each argument by the policy concept it satisfies,
// and a type that satisfies none is rejected with a message naming the roles.
#include <autolrs/autolrs.hpp>

struct not_a_policy {
    double value = 0.0;
};

int main() {
    autolrs::controller<autolrs::lower_confidence_bound, not_a_policy> c({.lr_min = 0.1, .lr_max = 1.0});
    return 0;
}
