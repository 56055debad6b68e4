// bayes_opt: the ask/tell contract, determinism, and success on seeded 1-D test functions.
#include <autolrs/autolrs.hpp>

#include "autolrs_support/bo_test_functions.hpp"
#include "catch.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace {

using autolrs::bayes_opt;
using autolrs::bayes_opt_settings;

const double lo = std::log(1e-4), hi = std::log(1.0);

double loss(double x) { return 1.0 + 0.1 * (x + 4.0) * (x + 4.0); }  // minimum at log LR = -4

template <class Acquisition>
double success_fraction(const autolrs_test::test_function& tf, Acquisition acquisition, int seeds) {
    const double argmin = autolrs_test::true_argmin(tf);
    int hits = 0;
    for (int s = 0; s < seeds; ++s)
        hits += autolrs_test::closest_approach<autolrs::gaussian_process<>, Acquisition>(
                    tf, acquisition, static_cast<std::uint64_t>(s), 10, argmin) <= 0.02;
    return static_cast<double>(hits) / seeds;
}

}  // namespace

TEST_CASE("bayes_opt settings are validated", "[bayes_opt]") {
    CHECK_THROWS_AS(bayes_opt<>({.x_min = 1.0, .x_max = 1.0}), autolrs::invalid_setting);
    CHECK_THROWS_AS(bayes_opt<>({.x_min = 0.0, .x_max = std::numeric_limits<double>::infinity()}),
                    autolrs::invalid_setting);
    CHECK_THROWS_AS(bayes_opt<>({.x_min = 0.0, .x_max = 1.0, .grid_size = 2}), autolrs::invalid_setting);
    CHECK_THROWS_AS(bayes_opt<>({.x_min = 0.0, .x_max = 1.0, .initial_random = 0}), autolrs::invalid_setting);
}

TEST_CASE("first ask is seeded-random inside the interval", "[bayes_opt]") {
    bayes_opt<> a({.x_min = lo, .x_max = hi, .seed = 1}), b({.x_min = lo, .x_max = hi, .seed = 1}),
        c({.x_min = lo, .x_max = hi, .seed = 2});
    const double xa = a.ask();
    CHECK(xa >= lo);
    CHECK(xa <= hi);
    CHECK(xa == b.ask());
    CHECK(xa != c.ask());
    CHECK_FALSE(a.best().has_value());
    CHECK(a.expected_gain() == std::numeric_limits<double>::max());
}

TEST_CASE("tell rejects what is not a number", "[bayes_opt]") {
    bayes_opt<> bo({.x_min = lo, .x_max = hi});
    CHECK_THROWS_AS(bo.tell(-3.0, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    CHECK_THROWS_AS(bo.tell(-3.0, std::numeric_limits<double>::infinity()), std::invalid_argument);
    CHECK_THROWS_AS(bo.tell(-3.0, 1.0, -0.1), std::invalid_argument);
    CHECK_THROWS_AS(bo.tell_infeasible(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    CHECK(bo.observations().empty());
}

TEST_CASE("asks stay inside, never repeat an observed point, best() is the argmin", "[bayes_opt]") {
    bayes_opt<> bo({.x_min = lo, .x_max = hi, .seed = 3});
    const double separation = bo.settings().min_separation * (hi - lo);
    for (int i = 0; i < 30; ++i) {
        const double x = bo.ask();
        REQUIRE(x >= lo);
        REQUIRE(x <= hi);
        for (const auto& o : bo.observations()) REQUIRE(std::abs(x - o.x) >= separation * (1 - 1e-9));
        bo.tell(x, loss(x));
        const double gain = bo.expected_gain();
        CHECK(std::isfinite(gain));
        CHECK(gain >= 0.0);
    }
    REQUIRE(bo.observations().size() == 30);
    double best_y = std::numeric_limits<double>::infinity();
    for (const auto& o : bo.observations()) best_y = std::min(best_y, o.y);
    CHECK(bo.best()->y == best_y);
    CHECK(bo.best()->x == Approx(-4.0).margin(0.05 * (hi - lo)));
    // Nothing left to gain at the end of a converged search, compared with the start.
    CHECK(bo.expected_gain() < 1e-3);
}

TEST_CASE("tell_infeasible keeps later asks below the divergent x", "[bayes_opt]") {
    bayes_opt<> bo({.x_min = lo, .x_max = hi, .seed = 4});
    bo.tell(-8.0, loss(-8.0));
    bo.tell_infeasible(-3.0);
    bo.tell_infeasible(-2.0);  // a larger one changes nothing
    CHECK(bo.feasible_upper() == Approx(-3.0));
    for (int i = 0; i < 12; ++i) {
        const double x = bo.ask();
        REQUIRE(x < -3.0);
        REQUIRE(x >= lo);
        bo.tell(x, loss(x));
    }
    bo.reset(4);
    CHECK(bo.feasible_upper() == hi);
    CHECK(bo.observations().empty());
}

TEST_CASE("warm-start data shape the model but never become best()", "[bayes_opt]") {
    bayes_opt<> bo({.x_min = lo, .x_max = hi, .seed = 5});
    const std::vector<autolrs::observation> earlier{{-8.0, 0.1}, {-4.0, 0.05}, {-1.0, 0.3}};
    bo.warm_start(earlier, 0.01);
    CHECK(bo.warm_observations().size() == 3);
    CHECK(bo.warm_observations()[0].noise_variance == 0.01);
    CHECK_FALSE(bo.best().has_value());
    const double x = bo.ask();  // model-based already: near the warm data's minimum
    CHECK(std::abs(x - (-4.0)) < 0.25 * (hi - lo));
    bo.tell(x, 2.0);
    CHECK(bo.best()->y == 2.0);
    CHECK_THROWS_AS(bo.warm_start(earlier, -1.0), std::invalid_argument);
}

TEST_CASE("kappa = 1e6 reproduces the reference's space-filling design", "[bayes_opt]") {
    bayes_opt<autolrs::gaussian_process<>, autolrs::lower_confidence_bound> bo(
        {.x_min = lo, .x_max = hi, .seed = 6}, {}, {.kappa = 1e6});
    const double first = bo.ask();
    bo.tell(first, loss(first));
    const double second = bo.ask();  // the end farther from the first point
    CHECK(second == (first - lo > hi - first ? lo : hi));
    bo.tell(second, loss(second));
    for (int i = 0; i < 4; ++i) {
        // Each later ask is where the posterior variance is (about) largest: the mean only
        // breaks near-ties.
        double widest = 0.0;
        for (int g = 0; g <= 2000; ++g) widest = std::max(widest, bo.surrogate().predict(g / 2000.0).variance);
        const double x = bo.ask();
        CHECK(bo.surrogate().predict((x - lo) / (hi - lo)).variance == Approx(widest).epsilon(0.01));
        bo.tell(x, loss(x));
    }
}

TEST_CASE("replaying the same calls gives bit-identical asks", "[bayes_opt]") {
    auto session = [](auto bo) {
        std::vector<double> asks;
        const std::vector<autolrs::observation> earlier{{-7.0, 1.2, 0.01}, {-2.0, 1.5, 0.0}};
        bo.warm_start(earlier, 0.05);
        for (int i = 0; i < 8; ++i) {
            const double x = bo.ask();
            asks.push_back(x);
            if (x > -1.0) {
                bo.tell_infeasible(x);
            } else {
                bo.tell(x, loss(x) + 0.01 * std::sin(13.0 * x), 1e-4);
            }
            asks.push_back(bo.expected_gain());
        }
        bo.reset(99);
        for (int i = 0; i < 4; ++i) {
            const double x = bo.ask();
            asks.push_back(x);
            bo.tell(x, loss(x));
        }
        return asks;
    };
    const bayes_opt_settings settings{.x_min = lo, .x_max = hi, .seed = 7};
    CHECK(session(bayes_opt<>(settings)) == session(bayes_opt<>(settings)));
    using ts = bayes_opt<autolrs::gaussian_process<autolrs::matern32>, autolrs::thompson_sampling>;
    CHECK(session(ts(settings)) == session(ts(settings)));
    using pi = bayes_opt<autolrs::gaussian_process<autolrs::squared_exponential>, autolrs::probability_of_improvement>;
    CHECK(session(pi(settings)) == session(pi(settings)));
}

TEST_CASE("EI and LCB find the minimum within 10 evaluations in >= 90% of seeds", "[bayes_opt][success]") {
    // Success: an evaluated point within 2% of the interval's width of the true minimiser.
    for (const auto& tf : autolrs_test::test_functions()) {
        const double ei = success_fraction(tf, autolrs::expected_improvement{}, 50);
        const double lcb = success_fraction(tf, autolrs::lower_confidence_bound{.kappa = 1.96}, 50);
        INFO(tf.name << ": EI " << ei << ", LCB " << lcb);
        CHECK(ei >= 0.9);
        CHECK(lcb >= 0.9);
    }
}

TEST_CASE("posterior_mean weighs a noisy observation against its neighbours", "[bayes_opt]") {
    autolrs::bayes_opt<> bo(autolrs::bayes_opt_settings{.x_min = 0.0, .x_max = 1.0, .seed = 1});
    CHECK(std::isfinite(bo.posterior_mean(0.5)));  // the prior before any observation
    for (double x : {0.3, 0.4, 0.6, 0.7}) bo.tell(x, 1.0, 1e-4);
    bo.tell(0.5, 0.0, 100.0);  // far below its neighbours, but with a huge noise variance
    CHECK(bo.posterior_mean(0.5) > 0.5);
    CHECK(bo.posterior_mean(0.3) == Approx(1.0).margin(0.05));
}
