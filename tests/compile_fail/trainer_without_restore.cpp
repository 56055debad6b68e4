// Must not compile: the trainer has no restore(), and the diagnostic of the entry point a
// user calls says so.
#include <autolrs/autolrs.hpp>

struct no_restore {
    using checkpoint_type = int;
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
    double validation_loss() { return 1.0; }
    checkpoint_type checkpoint() { return 0; }
};

int main() {
    no_restore t;
    autolrs::run(t, {.lr_min = 1e-3, .lr_max = 1.0}, 1000);
    return 0;
}
