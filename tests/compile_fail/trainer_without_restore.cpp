// Must not compile: the trainer has no restore(), and the diagnostic says so.
#include <autolrs/autolrs.hpp>

struct no_restore {
    using checkpoint_type = int;
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
    double validation_loss() { return 1.0; }
    checkpoint_type checkpoint() { return 0; }
};

static_assert(autolrs::explain_trainer<no_restore>());

int main() { return 0; }
