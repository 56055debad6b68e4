// docs/extending.md, example 4: a custom stage objective, and its test.
// Judge each candidate by the mean of the last 20% of its own losses: no extrapolation.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

namespace example {

/// Judges a candidate by the mean of the last `tail_fraction` of its own losses (at least
/// one point): where it got to, not where a model says it is heading. The stddev is the
/// standard error of that mean. The stage's forecaster and the anneal probe's losses are
/// not used. Status: fitted with two points or more, fallback_too_short with one,
/// invalid_input with none finite (the controller then counts the candidate as diverged).
struct tail_mean_objective {
    double tail_fraction = 0.2;

    template <class Forecaster>
    [[nodiscard]] autolrs::forecast judge(const Forecaster& /*unused*/, const autolrs::candidate_window& w) const {
        const std::span<const double> own = w.losses.first(w.candidate_points);  // a probe's losses follow
        // ceil(fraction * size), less a hair: 0.2 * 35 is 7.000000000000001 in doubles.
        const auto wanted = static_cast<std::size_t>(std::ceil(tail_fraction * static_cast<double>(own.size()) - 1e-9));
        const std::span<const double> tail = own.last(std::min(std::max<std::size_t>(wanted, 1), own.size()));
        double n = 0.0, mean = 0.0, m2 = 0.0;  // Welford's running mean and sum of squares
        std::size_t non_finite = 0;
        for (const double y : tail) {
            if (!std::isfinite(y)) {
                ++non_finite;
                continue;
            }
            n += 1.0;
            const double d = y - mean;
            mean += d / n;
            m2 += d * (y - mean);
        }
        if (n == 0.0) return {0.0, 0.0, autolrs::forecast_status::invalid_input, non_finite};
        const double stddev = n > 1.0 ? std::sqrt(m2 / (n - 1.0) / n) : 0.0;
        if (!std::isfinite(stddev)) return {mean, 0.0, autolrs::forecast_status::fallback_degenerate, non_finite};
        return {mean, stddev, n > 1.0 ? autolrs::forecast_status::fitted : autolrs::forecast_status::fallback_too_short,
                non_finite};
    }
};

// A stage objective is checked against the controller's forecaster (here the default one).
static_assert(autolrs::explain_stage_objective<tail_mean_objective, autolrs::exponential_forecaster>());

using tail_mean_controller = autolrs::controller<tail_mean_objective>;
static_assert(std::same_as<tail_mean_controller::objective_type, tail_mean_objective>);

}  // namespace example

namespace {

using autolrs::forecast_status;
using example::tail_mean_objective;

/// SGD on 0.5*h*x^2 with noisy gradients (the quick start's toy problem). It records every
/// step's training loss, search steps included, so that a test can see what the controller saw.
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
        losses.push_back(loss);
        return loss;
    }
    double validation_loss() { return 0.5 * h_ * x_ * x_; }
    checkpoint_type checkpoint() { return {x_, rng_}; }
    void restore(const checkpoint_type& saved) {
        x_ = saved.x;
        rng_ = saved.rng;
    }

    std::vector<double> losses;  ///< losses[s]: the loss of step s (0-based, every step taken)

private:
    double h_ = 2.0;
    double x_ = 3.0;
    double lr_ = 0.0;
    std::mt19937_64 rng_{7};
};
static_assert(autolrs::explain_trainer<noisy_quadratic>());

autolrs::candidate_window window_of(const std::vector<double>& losses, std::size_t own, double horizon = 200.0) {
    return {.losses = losses, .candidate_points = own, .probe_steps = losses.size() - own, .horizon = horizon};
}

}  // namespace

TEST_CASE("tail_mean_objective: the mean of the last fifth of the candidate's own losses", "[docs][objective]") {
    const tail_mean_objective o;
    const autolrs::exponential_forecaster unused;
    // Ten own points (the last fifth: 1.1 and 0.9), then two probe points that must not count.
    const std::vector<double> losses{5.0, 4.0, 3.0, 2.0, 1.5, 1.2, 1.0, 1.0, 1.1, 0.9, 0.0, 0.0};
    const autolrs::forecast f = o.judge(unused, window_of(losses, 10));
    CHECK(f.status == forecast_status::fitted);
    CHECK(f.value == Approx(1.0));
    CHECK(f.stddev == Approx(0.1));  // sqrt(((0.1^2 + 0.1^2) / 1) / 2)

    // 35 points: the tail is 7 of them, not 8 (0.2 * 35 is a hair above 7 in doubles).
    std::vector<double> ramp(35);
    for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<double>(i + 1);
    CHECK(o.judge(unused, window_of(ramp, 35)).value == Approx(32.0));  // the mean of 29..35

    // One point in the tail: no spread to measure.
    const std::vector<double> short_window{3.0, 2.0};
    const autolrs::forecast s = o.judge(unused, window_of(short_window, 2));
    CHECK(s.status == forecast_status::fallback_too_short);
    CHECK(s.value == 2.0);
    CHECK(s.stddev == 0.0);
}

TEST_CASE("tail_mean_objective: non-finite losses", "[docs][objective]") {
    const tail_mean_objective o;
    const autolrs::exponential_forecaster unused;
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> hole{4.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, nan, 3.0};
    const autolrs::forecast h = o.judge(unused, window_of(hole, 10));
    CHECK(h.value == 3.0);
    CHECK(h.non_finite == 1);
    CHECK(h.status == forecast_status::fallback_too_short);

    const std::vector<double> diverged{1.0, 2.0, 4.0, 8.0, nan};
    CHECK(o.judge(unused, window_of(diverged, 5)).status == forecast_status::invalid_input);
    CHECK(o.judge(unused, window_of({}, 0)).status == forecast_status::invalid_input);

    const std::vector<double> huge{1e300, -1e300, 1e300, -1e300};
    const autolrs::forecast d = tail_mean_objective{.tail_fraction = 1.0}.judge(unused, window_of(huge, 4));
    CHECK(d.status == forecast_status::fallback_degenerate);
    CHECK(std::isfinite(d.value));
    CHECK(std::isfinite(d.stddev));
}

TEST_CASE("tail_mean_objective ranks where the horizon objective extrapolates", "[docs][objective]") {
    // A: still falling fast (0.5 + 2.5 exp(-0.1 t)); B: flat at 0.85, a little lower at the end.
    std::vector<double> a(20), b(20, 0.85);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = 0.5 + 2.5 * std::exp(-0.1 * static_cast<double>(i + 1));
    const autolrs::exponential_forecaster forecaster;
    const autolrs::horizon_forecast_objective by_horizon;
    const tail_mean_objective by_tail;
    // horizon_forecast_objective reads the curves at the horizon (t = 200): A's fall carries it below B.
    CHECK(by_horizon.judge(forecaster, window_of(a, 20)).value < by_horizon.judge(forecaster, window_of(b, 20)).value);
    // The tail mean judges where they are now: B is lower.
    CHECK(by_tail.judge(forecaster, window_of(b, 20)).value < by_tail.judge(forecaster, window_of(a, 20)).value);
}

TEST_CASE("tail_mean_objective in a controller: each stage trains at the lowest tail mean", "[docs][objective]") {
    // No anneal probe: this objective ignores its losses, so its steps would be wasted.
    const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.9, .total_steps = 3000, .anneal_probe = 0.0};
    example::tail_mean_controller ctl(settings);
    noisy_quadratic model;

    struct judged {
        double learning_rate;
        double tail_mean;
    };
    std::vector<judged> stage;  // this stage's candidates, with the tail mean recomputed here
    std::uint64_t first_step = 0, steps = 0;
    std::size_t stages_checked = 0;
    const autolrs::run_result r = autolrs::run(model, ctl, [&](const autolrs::event& e) {
        switch (e.kind) {
            case autolrs::event_kind::stage_start: stage.clear(); break;
            case autolrs::event_kind::candidate_start:
                first_step = e.step;
                steps = e.length;
                break;
            case autolrs::event_kind::candidate_end: {
                // The candidate's losses are the steps it took; its tail is the last ceil(steps / 5).
                REQUIRE(first_step + steps <= model.losses.size());
                const std::size_t tail = (steps + 4) / 5;
                double sum = 0.0;
                for (std::size_t s = first_step + steps - tail; s < first_step + steps; ++s) sum += model.losses[s];
                const double tail_mean = sum / static_cast<double>(tail);
                CHECK(e.forecast == Approx(tail_mean).epsilon(1e-12));
                stage.push_back({e.learning_rate, tail_mean});
                break;
            }
            case autolrs::event_kind::stage_lr_chosen: {
                REQUIRE(!stage.empty());
                const auto lowest = std::min_element(stage.begin(), stage.end(), [](const judged& x, const judged& y) {
                    return x.tail_mean < y.tail_mean;
                });
                CHECK(e.learning_rate == lowest->learning_rate);
                ++stages_checked;
                break;
            }
            default: break;
        }
    });
    CHECK(r.completed);
    CHECK(r.steps_total == 3000);
    CHECK(stages_checked >= 2);
}
