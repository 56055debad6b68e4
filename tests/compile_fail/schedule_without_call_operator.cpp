// Must not compile: the schedule's call operator is not const, and the diagnostic says how to fix it.
#include <autolrs/autolrs.hpp>

#include <cstdint>

struct mutable_schedule {
    double operator()(std::uint64_t) { return 0.1; }
};

static_assert(autolrs::schedule::explain_lr_schedule<mutable_schedule>());

int main() { return 0; }
