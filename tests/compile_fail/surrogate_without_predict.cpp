// Must not compile: the surrogate cannot predict, and the diagnostic says what to add.
#include <autolrs/autolrs.hpp>

#include <cstdint>

struct no_predict_surrogate {
    void clear(std::uint64_t) {}
    void add(double, double, double) {}
    std::size_t size() const { return 0; }
};

int main() {
    autolrs::bayes_opt<no_predict_surrogate> bo({.x_min = 0.0, .x_max = 1.0});
    return static_cast<int>(bo.ask());
}
