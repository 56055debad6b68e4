// Must not compile: the search cannot be told about a diverged LR, and the diagnostic says so.
#include <autolrs/autolrs.hpp>

#include <span>

struct no_infeasible_search {
    double ask() { return 0.0; }
    void tell(double, double, double) {}
    double expected_gain() const { return 0.0; }
    void reset(unsigned long long) {}
    void warm_start(std::span<const autolrs::observation>, double) {}
};

struct flat_forecaster {
    autolrs::forecast predict(std::span<const double>, double) const { return {1.0, 0.0, autolrs::forecast_status::fitted}; }
};

int main() {
    autolrs::basic_controller<no_infeasible_search, flat_forecaster> c({.lr_min = 0.1, .lr_max = 1.0}, {});
    return 0;
}
