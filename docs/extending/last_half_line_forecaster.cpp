// docs/extending.md, example 2: a custom loss forecaster, and its test.
// A least-squares line through the last half of the window, read at the horizon.
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

/// Forecasts the loss at the horizon from a least-squares line through the last half of the
/// window's finite losses (losses[i] is the loss at t = i + 1). The stddev is the line's
/// standard error at the horizon. Status: fitted; fitted_bounded when the line would cross
/// `floor` (it is clamped there); fallback_rising when the slope is not negative and
/// fallback_too_short with fewer than 4 points (both: the mean of the half); fallback_degenerate
/// when the arithmetic overflows; invalid_input when no loss is finite.
struct last_half_line_forecaster {
    double floor = 0.0;  ///< the loss never goes below this (0 for cross-entropy or MSE)

    [[nodiscard]] autolrs::forecast predict(std::span<const double> losses, double horizon) const {
        std::size_t finite = 0;
        for (const double y : losses) finite += std::isfinite(y) ? 1 : 0;
        const std::size_t non_finite = losses.size() - finite;
        if (finite == 0) return {0.0, 0.0, autolrs::forecast_status::invalid_input, non_finite};

        // Sums over the last half of the finite points (the first finite / 2 are skipped).
        const auto for_each_point = [&](auto&& f) {
            std::size_t skip = finite / 2;
            for (std::size_t i = 0; i < losses.size(); ++i) {
                if (!std::isfinite(losses[i])) continue;
                if (skip > 0) {
                    --skip;
                    continue;
                }
                f(static_cast<double>(i + 1), losses[i]);
            }
        };
        double n = 0.0, t_mean = 0.0, y_mean = 0.0;
        for_each_point([&](double t, double y) { n += 1.0; t_mean += t; y_mean += y; });
        t_mean /= n;
        y_mean /= n;
        double stt = 0.0, sty = 0.0, syy = 0.0;
        for_each_point([&](double t, double y) {
            stt += (t - t_mean) * (t - t_mean);
            sty += (t - t_mean) * (y - y_mean);
            syy += (y - y_mean) * (y - y_mean);
        });
        if (!std::isfinite(y_mean) || !std::isfinite(syy)) {  // losses near the largest double
            return {std::isfinite(y_mean) ? y_mean : 0.0, 0.0, autolrs::forecast_status::fallback_degenerate, non_finite};
        }
        const double mean_sd = n > 1.0 ? std::sqrt(syy / (n - 1.0) / n) : 0.0;
        if (n < 4.0) return {y_mean, mean_sd, autolrs::forecast_status::fallback_too_short, non_finite};

        const double slope = sty / stt;
        const double residual_variance = std::max(syy - slope * sty, 0.0) / (n - 2.0);
        const double value = y_mean + slope * (horizon - t_mean);
        const double stddev =
            std::sqrt(residual_variance * (1.0 / n + (horizon - t_mean) * (horizon - t_mean) / stt));
        if (!std::isfinite(value) || !std::isfinite(stddev)) {
            return {y_mean, mean_sd, autolrs::forecast_status::fallback_degenerate, non_finite};
        }
        if (!(slope < 0.0)) return {y_mean, mean_sd, autolrs::forecast_status::fallback_rising, non_finite};
        if (value < floor) return {floor, stddev, autolrs::forecast_status::fitted_bounded, non_finite};
        return {value, stddev, autolrs::forecast_status::fitted, non_finite};
    }
};

// What a forecaster must be; if this fails, the compiler says what is missing.
static_assert(autolrs::explain_loss_forecaster<last_half_line_forecaster>());

// One line swaps it in. The forecaster judges candidates under horizon_forecast_objective (the
// default objective measures where a candidate's anneal probe ends instead), so name that too;
// every other policy keeps its default.
using line_controller = autolrs::controller<last_half_line_forecaster, autolrs::horizon_forecast_objective>;
static_assert(std::same_as<line_controller::forecaster_type, last_half_line_forecaster>);

}  // namespace example

namespace {

using example::last_half_line_forecaster;
using autolrs::forecast_status;

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

/// y = 2 - 0.01 t for t = 1..40; with `junk_first_half`, t = 1..20 are 50 instead.
std::vector<double> line(bool junk_first_half) {
    std::vector<double> y(40);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = 2.0 - 0.01 * static_cast<double>(i + 1);
    if (junk_first_half) std::fill(y.begin(), y.begin() + 20, 50.0);
    return y;
}

}  // namespace

TEST_CASE("last_half_line_forecaster: extrapolates the line through the window's last half", "[docs][forecaster]") {
    const last_half_line_forecaster f;
    // The first half is junk: only the last half (t = 21..40, on the line) is fitted.
    const std::vector<double> y = line(true);
    const autolrs::forecast at100 = f.predict(y, 100.0);
    CHECK(at100.status == forecast_status::fitted);
    CHECK(at100.value == Approx(1.0).margin(1e-9));  // 2 - 0.01 * 100
    CHECK(at100.stddev < 1e-6);                      // an exact line: no residual
    CHECK(at100.non_finite == 0);

    // A line that would cross the floor is clamped there.
    const autolrs::forecast at300 = f.predict(y, 300.0);
    CHECK(at300.status == forecast_status::fitted_bounded);
    CHECK(at300.value == 0.0);
    const autolrs::forecast above_floor = last_half_line_forecaster{.floor = -2.0}.predict(y, 300.0);
    CHECK(above_floor.status == forecast_status::fitted);
    CHECK(above_floor.value == Approx(-1.0).margin(1e-9));
}

TEST_CASE("last_half_line_forecaster: noise widens the stddev, more with the distance", "[docs][forecaster]") {
    std::vector<double> y = line(true);
    std::mt19937_64 rng(3);
    std::normal_distribution<double> noise(0.0, 0.02);
    for (double& v : y) v += noise(rng);
    const last_half_line_forecaster f;
    const autolrs::forecast near = f.predict(y, 41.0);
    const autolrs::forecast far = f.predict(y, 100.0);
    CHECK(near.status == forecast_status::fitted);
    CHECK(far.status == forecast_status::fitted);
    CHECK(near.stddev > 0.0);
    CHECK(far.stddev > 2.0 * near.stddev);
    CHECK(far.value == Approx(1.0).margin(0.1));
}

TEST_CASE("last_half_line_forecaster: fallbacks and bad input", "[docs][forecaster]") {
    const last_half_line_forecaster f;
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();

    std::vector<double> rising(20);
    for (std::size_t i = 0; i < rising.size(); ++i) rising[i] = 1.0 + 0.01 * static_cast<double>(i + 1);
    const autolrs::forecast r = f.predict(rising, 100.0);
    CHECK(r.status == forecast_status::fallback_rising);
    CHECK(r.value == Approx(1.155));  // the mean of t = 11..20

    const std::vector<double> three{3.0, 2.0, 1.0};
    const autolrs::forecast s = f.predict(three, 10.0);
    CHECK(s.status == forecast_status::fallback_too_short);
    CHECK(s.value == Approx(1.5));  // the mean of the last half: 2 and 1

    // Non-finite losses are skipped and counted; the rest of the line still fits.
    std::vector<double> holes = line(false);
    holes[29] = nan;
    holes[35] = std::numeric_limits<double>::infinity();
    const autolrs::forecast h = f.predict(holes, 100.0);
    CHECK(h.status == forecast_status::fitted);
    CHECK(h.non_finite == 2);
    CHECK(h.value == Approx(1.0).margin(1e-9));

    const std::vector<double> none{nan, nan, nan, nan};
    const autolrs::forecast n = f.predict(none, 10.0);
    CHECK(n.status == forecast_status::invalid_input);
    CHECK(std::isfinite(n.value));
    CHECK(n.non_finite == 4);
    CHECK(f.predict(std::span<const double>(), 10.0).status == forecast_status::invalid_input);

    const std::vector<double> huge{1e300, -1e300, 1e300, -1e300, 1e300, -1e300, 1e300, -1e300};
    const autolrs::forecast d = f.predict(huge, 1e10);
    CHECK(d.status == forecast_status::fallback_degenerate);
    CHECK(std::isfinite(d.value));
    CHECK(std::isfinite(d.stddev));
}

TEST_CASE("last_half_line_forecaster: a configured value reaches the controller", "[docs][forecaster]") {
    const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.9, .total_steps = 3000};
    example::line_controller ctl(settings, last_half_line_forecaster{.floor = 0.1});
    CHECK(ctl.forecaster().floor == 0.1);
}

TEST_CASE("last_half_line_forecaster in a controller: every candidate is judged by its line", "[docs][forecaster]") {
    // No anneal probe: horizon_forecast_objective is then exactly the forecast at the horizon.
    const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.9, .total_steps = 3000, .anneal_probe = 0.0};
    example::line_controller ctl(settings);
    noisy_quadratic model;

    std::uint64_t horizon = 0, candidate_first_step = 0, candidate_steps = 0;
    std::size_t candidates = 0, fitted = 0;
    const autolrs::run_result r = autolrs::run(model, ctl, [&](const autolrs::event& e) {
        if (e.kind == autolrs::event_kind::stage_start) horizon = e.length;
        if (e.kind == autolrs::event_kind::candidate_start) {
            candidate_first_step = e.step;
            candidate_steps = e.length;
        }
        if (e.kind != autolrs::event_kind::candidate_end) return;
        // What the controller told the search must be this forecaster's reading of the
        // candidate's own losses at the stage's horizon, to the bit.
        REQUIRE(candidate_first_step + candidate_steps <= model.losses.size());
        const std::span<const double> window(model.losses.data() + candidate_first_step, candidate_steps);
        const autolrs::forecast expected = last_half_line_forecaster{}.predict(window, static_cast<double>(horizon));
        CHECK(e.forecast == expected.value);
        CHECK(e.stddev == expected.stddev);
        CHECK(e.status == expected.status);
        ++candidates;
        fitted += e.status == forecast_status::fitted || e.status == forecast_status::fitted_bounded ? 1 : 0;
    });
    CHECK(r.completed);
    CHECK(r.steps_total == 3000);
    CHECK(candidates >= 6);
    CHECK(fitted >= 1);  // the lines were fitted, not only fallbacks
}
