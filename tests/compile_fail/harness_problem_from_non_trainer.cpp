// Must not compile: autolrs::harness::from_trainer is given a factory of something that is not
// an autolrs::trainer (no restore()), and the diagnostic names the missing member.
#include <autolrs/harness.hpp>

struct no_restore {
    using checkpoint_type = int;
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
    double validation_loss() { return 1.0; }
    checkpoint_type checkpoint() { return 0; }
};

int main() {
    const auto p = autolrs::harness::from_trainer({.name = "mine", .lr_min = 1e-3, .lr_max = 1.0, .budget = 1000},
                                                  [](std::uint64_t) { return no_restore{}; });
    return p.budget > 0 ? 0 : 1;
}
