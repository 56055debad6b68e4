// A build that links autolrs::compiled: it is in compiled mode (AUTOLRS_COMPILED_LIB, Boost's
// heavy headers out of the translation unit), and the declared code links and runs. That the
// decisions equal the header-only library's is test_golden_traces_compiled's job.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#ifndef AUTOLRS_COMPILED_LIB
#error "linking autolrs::compiled must define AUTOLRS_COMPILED_LIB"
#endif
#if defined(BOOST_STATS_NORMAL_HPP) || defined(BOOST_MATH_TOOLS_MINIMA_HPP)
#error "in compiled mode <autolrs/autolrs.hpp> must not include Boost's normal distribution or Brent minimiser"
#endif

namespace {

/// Noiseless gradient descent on 0.5 x^2: the loss falls geometrically below LR 2.
struct quadratic_trainer {
    using checkpoint_type = double;
    double x = 3.0, lr = 0.1;
    void set_learning_rate(double v) { lr = v; }
    double train_step() {
        x -= lr * x;
        return 0.5 * x * x;
    }
    double validation_loss() { return 0.5 * x * x; }
    checkpoint_type checkpoint() { return x; }
    void restore(const checkpoint_type& saved) { x = saved; }
};

}  // namespace

TEST_CASE("compiled mode: the compiled kernels link and compute", "[compiled]") {
    CHECK(autolrs::detail::standard_normal_cdf(0.0) == 0.5);
    CHECK(std::abs(autolrs::detail::standard_normal_pdf(0.0) - 0.3989422804014327) < 1e-15);
    std::uintmax_t iterations = 100;
    const autolrs::detail::brent_minimum m =
        autolrs::detail::brent_minimise([](double x) { return (x - 0.25) * (x - 0.25); }, -1.0, 1.0, 40, iterations);
    CHECK(std::abs(m.x - 0.25) < 1e-9);

    std::vector<double> losses;
    for (int i = 1; i <= 40; ++i) losses.push_back(1.0 + 2.0 * std::exp(-0.1 * i));
    CHECK(autolrs::is_fitted(autolrs::exponential_forecaster{}.predict(losses, 80.0).status));
    CHECK(autolrs::is_fitted(autolrs::power_law_forecaster{}.predict(losses, 80.0).status));
}

TEST_CASE("compiled mode: autolrs::run with the default controller", "[compiled]") {
    quadratic_trainer trainer;
    const autolrs::run_result r = autolrs::run(trainer, {.lr_min = 1e-3, .lr_max = 1.0}, 2000);
    CHECK(r.steps_total == 2000);
    CHECK(r.completed);
    CHECK(r.final_loss < 0.5 * 3.0 * 3.0);
}
