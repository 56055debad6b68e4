// Must not compile: autolrs::harness::from_factory is given a factory whose result is not an
// ask/tell controller, and the diagnostic says what a controller needs.
#include <autolrs/harness.hpp>

struct not_a_controller {
    double lr = 0.1;
};

int main() {
    const auto c = autolrs::harness::from_factory(
        "mine", [](const autolrs::controller_settings& s) { return not_a_controller{s.lr_max}; });
    return c.name.empty() ? 1 : 0;
}
