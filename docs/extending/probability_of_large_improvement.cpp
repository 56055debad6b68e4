// docs/extending.md, example 1: a custom acquisition, and its test.
// The probability that a point beats the incumbent by a real margin, not by a hair.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace example {

/// P(y < incumbent - fraction * |incumbent|) under the posterior at a point: the chance of
/// beating the best so far by `fraction` of it. With fraction = 0 it is the plain probability
/// of improvement, which favours points a hair below the incumbent; a margin makes the search
/// look where a real step is possible (an uncertain point) instead.
struct probability_of_large_improvement {
    double fraction = 0.1;

    [[nodiscard]] double operator()(const autolrs::prediction& p, double incumbent) const {
        const double target = incumbent - fraction * std::abs(incumbent);
        const double sd = std::sqrt(std::max(p.variance, 0.0));
        if (!(sd > 0.0)) return p.mean < target ? 1.0 : 0.0;
        return 0.5 * std::erfc((p.mean - target) / (sd * std::sqrt(2.0)));  // Phi((target - mean) / sd)
    }
};

// A pointwise acquisition works with any surrogate; it is checked against the one it will meet.
static_assert(autolrs::explain_acquisition<probability_of_large_improvement, autolrs::gaussian_process<>>());

using large_improvement_controller = autolrs::controller<probability_of_large_improvement>;
static_assert(std::same_as<large_improvement_controller::acquisition_type, probability_of_large_improvement>);

}  // namespace example

namespace {

using example::probability_of_large_improvement;

/// SGD on 0.5*h*x^2 with noisy gradients (the quick start's toy problem).
class noisy_quadratic {
public:
    struct checkpoint_type {
        double x;
        std::mt19937_64 rng;
    };

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        const double loss = 0.5 * h_ * x_ * x_;
        std::normal_distribution<double> noise(0.0, 0.5);
        x_ -= lr_ * (h_ * x_ + noise(rng_));
        return loss;
    }
    double validation_loss() { return 0.5 * h_ * x_ * x_; }
    checkpoint_type checkpoint() { return {x_, rng_}; }
    void restore(const checkpoint_type& saved) {
        x_ = saved.x;
        rng_ = saved.rng;
    }

private:
    double h_ = 2.0;
    double x_ = 3.0;
    double lr_ = 0.0;
    std::mt19937_64 rng_{7};
};
static_assert(autolrs::explain_trainer<noisy_quadratic>());

/// A search's view at one moment: the acquisition's value at unit coordinate u
/// (u = (x - x_min) / (x_max - x_min), what the surrogate sees), and its best over `points`
/// evenly spaced points of those the search may propose (below the feasible top, away from
/// the points it has observed).
template <class Search>
struct acquisition_view {
    const Search& search;

    [[nodiscard]] double unit(double x) const {
        return (x - search.settings().x_min) / (search.settings().x_max - search.settings().x_min);
    }
    [[nodiscard]] double incumbent() const {  // bayes_opt's: the lowest posterior mean at its observations
        double best = std::numeric_limits<double>::infinity();
        for (const autolrs::observation& o : search.observations())
            best = std::min(best, search.surrogate().predict(unit(o.x)).mean);
        return best;
    }
    [[nodiscard]] double score(double u) const {
        return search.acquisition()(search.surrogate().predict(u), incumbent());
    }
    [[nodiscard]] double best_score(std::size_t points) const {
        const double separation = search.settings().min_separation;
        const double top = search.feasible_upper() < search.settings().x_max
                               ? std::max(unit(search.feasible_upper()) - separation, 0.0)
                               : 1.0;
        double best = -std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < points; ++i) {
            const double u = i + 1 == points ? top : top * static_cast<double>(i) / static_cast<double>(points - 1);
            const bool taken = std::any_of(search.observations().begin(), search.observations().end(),
                                           [&](const autolrs::observation& o) { return std::abs(unit(o.x) - u) < separation; });
            if (!taken) best = std::max(best, score(u));
        }
        return best;
    }
};

}  // namespace

TEST_CASE("probability_of_large_improvement: a normal tail below the target", "[docs][acquisition]") {
    const probability_of_large_improvement a{.fraction = 0.1};
    // incumbent 1.0: the target is 0.9.
    CHECK(a({.mean = 0.9, .variance = 0.04}, 1.0) == Approx(0.5));
    CHECK(a({.mean = 1.1, .variance = 0.04}, 1.0) == Approx(0.158655254).epsilon(1e-8));  // Phi(-1)
    CHECK(a({.mean = 0.7, .variance = 0.04}, 1.0) == Approx(0.841344746).epsilon(1e-8));  // Phi(1)
    // No uncertainty: certain either way.
    CHECK(a({.mean = 0.89, .variance = 0.0}, 1.0) == 1.0);
    CHECK(a({.mean = 0.91, .variance = 0.0}, 1.0) == 0.0);
    // The margin scales with the incumbent's size, whatever its sign: target -1.1 here.
    CHECK(a({.mean = -1.1, .variance = 0.01}, -1.0) == Approx(0.5));
    // Lower mean, higher score; above the target, more uncertainty, higher score.
    CHECK(a({.mean = 0.8, .variance = 0.01}, 1.0) > a({.mean = 0.85, .variance = 0.01}, 1.0));
    CHECK(a({.mean = 1.0, .variance = 0.09}, 1.0) > a({.mean = 1.0, .variance = 0.01}, 1.0));
}

TEST_CASE("probability_of_large_improvement: a margin prefers a real step to a sure hair", "[docs][acquisition]") {
    const autolrs::prediction sure_hair{.mean = 0.99, .variance = 1e-6};  // almost surely 1% better
    const autolrs::prediction uncertain{.mean = 1.0, .variance = 0.04};   // anything in 1.0 +- 0.2
    const autolrs::probability_of_improvement plain;
    CHECK(plain(sure_hair, 1.0) > plain(uncertain, 1.0));
    const probability_of_large_improvement large{.fraction = 0.1};
    CHECK(large(uncertain, 1.0) > large(sure_hair, 1.0));
    // fraction = 0 is the library's probability of improvement.
    const probability_of_large_improvement none{.fraction = 0.0};
    for (const autolrs::prediction p : {sure_hair, uncertain, autolrs::prediction{0.5, 0.3}, autolrs::prediction{2.0, 1.0}})
        CHECK(none(p, 1.0) == Approx(plain(p, 1.0)).margin(1e-6));
}

TEST_CASE("probability_of_large_improvement: a configured value reaches the search", "[docs][acquisition]") {
    const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.9, .total_steps = 3000};
    // The constructor's arguments after the settings: forecaster, surrogate, acquisition.
    example::large_improvement_controller ctl(settings, {}, {}, {.fraction = 0.2});
    CHECK(ctl.search().acquisition().fraction == 0.2);
}

TEST_CASE("probability_of_large_improvement in a controller: every model-based candidate maximises it",
          "[docs][acquisition]") {
    // Early stopping off: every stage asks the search for three candidates after its initial design.
    const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.9, .total_steps = 3000,
                                               .early_stop_gain = 0.0};
    example::large_improvement_controller ctl(settings);
    noisy_quadratic model;

    std::size_t checked = 0, informative = 0;
    const autolrs::run_result r = autolrs::run(model, ctl, [&](const autolrs::event& e) {
        // Right after the search proposed a candidate (and before it is told its value), the
        // candidate's LR must be where this acquisition is highest, under the search's own model.
        const auto& search = ctl.search();
        if (e.kind != autolrs::event_kind::candidate_start || e.candidate < settings.initial_design ||
            search.observations().size() < search.settings().initial_random)
            return;
        const acquisition_view<std::remove_cvref_t<decltype(search)>> view{search};
        const double chosen = view.score(view.unit(std::log(e.learning_rate)));
        // The search maximises on its grid (bayes_opt_settings::grid_size points), then refines:
        // at least as high as every grid point, and close to the best of a 40x finer grid.
        const double on_grid = view.best_score(search.settings().grid_size);
        const double fine = view.best_score(40 * search.settings().grid_size);
        CAPTURE(e.stage, e.candidate, e.learning_rate, chosen, on_grid, fine);
        CHECK(chosen >= on_grid - 1e-9);
        CHECK(chosen >= 0.98 * fine);
        ++checked;
        informative += fine > 0.01 ? 1 : 0;
    });
    CHECK(r.completed);
    CHECK(checked >= 3);
    CHECK(informative >= 1);  // not a flat zero everywhere: the check above had something to say
}
