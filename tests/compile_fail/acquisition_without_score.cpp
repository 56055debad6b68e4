// Must not compile: the acquisition has no operator()(prediction, incumbent) nor
// sample_scores, and the diagnostic says what to add.
#include <autolrs/autolrs.hpp>

struct unscored_acquisition {
    double kappa = 1.0;
};

int main() {
    autolrs::bayes_opt<autolrs::gaussian_process<>, unscored_acquisition> bo({.x_min = 0.0, .x_max = 1.0});
    return static_cast<int>(bo.ask());
}
