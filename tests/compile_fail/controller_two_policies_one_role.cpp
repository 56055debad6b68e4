// Must not compile: two arguments of controller<...> fill the same role (two forecasters).
#include <autolrs/autolrs.hpp>

int main() {
    autolrs::controller<autolrs::tail_mean_forecaster, autolrs::exponential_forecaster> c({.lr_min = 0.1, .lr_max = 1.0});
    return 0;
}
