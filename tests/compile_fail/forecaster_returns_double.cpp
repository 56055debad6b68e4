// Must not compile: predict() returns a bare double, and the diagnostic says what to return.
#include <autolrs/autolrs.hpp>

#include <span>

struct bare_number_forecaster {
    double predict(std::span<const double>, double) const { return 0.0; }
};

static_assert(autolrs::explain_loss_forecaster<bare_number_forecaster>());

int main() { return 0; }
