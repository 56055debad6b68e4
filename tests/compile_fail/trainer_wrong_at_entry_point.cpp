// Must not compile: a type that is not quite a trainer, passed to one of the library's entry
// points (AUTOLRS_ENTRY_POINT picks which), gets explain_trainer's message naming what it
// lacks, not just "no matching function". Its state type is named `state`, not
// `checkpoint_type`, the mistake a new user makes first.
#include <autolrs/autolrs.hpp>

#include <cstdint>
#include <istream>
#include <ostream>

struct almost_a_trainer {
    struct state {};
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
    double validation_loss() { return 1.0; }
    state checkpoint() { return {}; }
    void restore(const state&) {}
};

struct codec {
    void save(std::ostream&, const almost_a_trainer::state&) const {}
    almost_a_trainer::state load(std::istream&) const { return {}; }
};

int main() {
    almost_a_trainer t;
    autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 100});
#if AUTOLRS_ENTRY_POINT == 1
    autolrs::run(t, {}, 1000);
#elif AUTOLRS_ENTRY_POINT == 2
    autolrs::run(t, ctl);
#elif AUTOLRS_ENTRY_POINT == 3
    autolrs::run_resumable(t, ctl, codec{}, {.path = "never.state"}, [](const autolrs::event&) {});
#elif AUTOLRS_ENTRY_POINT == 4
    autolrs::run_schedule(t, autolrs::schedule::constant({.lr = 0.1}), 10);
#elif AUTOLRS_ENTRY_POINT == 5
    autolrs::lr_range_test(t);
#elif AUTOLRS_ENTRY_POINT == 6
    autolrs::directive_executor host(t, ctl);
#endif
    return 0;
}
