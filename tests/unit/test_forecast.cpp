// Loss forecasters: parameter recovery, never NaN/inf, determinism, status paths.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>
#include <limits>
#include <random>
#include <span>
#include <vector>

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

std::vector<double> exp_curve(std::size_t n, double a, double b, double c, double noise_sd = 0.0,
                              std::uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, noise_sd > 0.0 ? noise_sd : 1.0);
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = a * std::exp(b * double(i + 1)) + c + (noise_sd > 0.0 ? noise(rng) : 0.0);
    return y;
}

bool sane(const autolrs::forecast& f) {
    return std::isfinite(f.value) && std::isfinite(f.stddev) && f.stddev >= 0.0;
}

bool same_bits(const autolrs::forecast& x, const autolrs::forecast& y) {
    return std::memcmp(&x.value, &y.value, sizeof(double)) == 0 && std::memcmp(&x.stddev, &y.stddev, sizeof(double)) == 0 &&
           x.status == y.status && x.non_finite == y.non_finite;
}

struct returns_double {
    double predict(std::span<const double>, double) const { return 0.0; }
};

}  // namespace

TEST_CASE("every forecaster models the loss_forecaster concept", "[forecast]") {
    STATIC_REQUIRE(autolrs::loss_forecaster<autolrs::exponential_forecaster>);
    STATIC_REQUIRE(autolrs::loss_forecaster<autolrs::power_law_forecaster>);
    STATIC_REQUIRE(autolrs::loss_forecaster<autolrs::reference_exponential_forecaster>);
    STATIC_REQUIRE(autolrs::loss_forecaster<autolrs::tail_mean_forecaster>);
    STATIC_REQUIRE(autolrs::loss_forecaster<autolrs::significant_drop_forecaster<>>);
    STATIC_REQUIRE(autolrs::loss_forecaster<autolrs::significant_drop_forecaster<autolrs::power_law_forecaster>>);
    STATIC_REQUIRE(autolrs::explain_loss_forecaster<autolrs::exponential_forecaster>());
    STATIC_REQUIRE_FALSE(autolrs::loss_forecaster<returns_double>);
    STATIC_REQUIRE_FALSE(autolrs::loss_forecaster<int>);
}

TEST_CASE("exponential fit recovers a, b, c of a noiseless curve", "[forecast]") {
    const autolrs::exponential_forecaster f;
    for (const auto& [a, b, c] : {std::tuple{2.0, -0.03, 0.5}, std::tuple{0.7, -0.01, 2.3}, std::tuple{5.0, -0.2, -1.0}}) {
        const auto y = exp_curve(100, a, b, c);
        const auto fit = f.fit(y, 1000.0);
        INFO("a=" << a << " b=" << b << " c=" << c);
        REQUIRE(fit.prediction.status == autolrs::forecast_status::fitted);
        // Brent stops at 2^-20 in log(-b): parameters within 1e-4 relative.
        CHECK(fit.a == Approx(a).epsilon(1e-4));
        CHECK(fit.b == Approx(b).epsilon(1e-4));
        CHECK(fit.c == Approx(c).epsilon(1e-4).margin(1e-4));
        CHECK(fit.prediction.value == Approx(a * std::exp(b * 1000.0) + c).epsilon(1e-4).margin(1e-4));
    }
}

TEST_CASE("exponential fit recovers a, b, c of noisy curves", "[forecast]") {
    const autolrs::exponential_forecaster f;
    // 200 points, noise 2% of the drop: a, b within 10%, c within 0.02 (8 seeds).
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        const auto y = exp_curve(200, 1.5, -0.02, 0.4, 0.03, seed);
        const auto fit = f.fit(y, 2000.0);
        INFO("seed " << seed);
        REQUIRE(autolrs::is_fitted(fit.prediction.status));
        CHECK(fit.a == Approx(1.5).epsilon(0.10));
        CHECK(fit.b == Approx(-0.02).epsilon(0.10));
        CHECK(fit.c == Approx(0.4).margin(0.02));
        CHECK(fit.prediction.value == Approx(0.4).margin(0.02));
    }
}

TEST_CASE("outliers barely move the robust fit", "[forecast]") {
    auto y = exp_curve(100, 1.0, -0.05, 0.3, 0.01, 3);
    const auto clean = autolrs::exponential_forecaster{}.fit(y, 1000.0);
    for (std::size_t i = 5; i < 100; i += 17) y[i] += 3.0;  // spikes from hard batches
    const auto spiked = autolrs::exponential_forecaster{}.fit(y, 1000.0);
    const auto plain = autolrs::exponential_forecaster{{.robust_passes = 0}}.fit(y, 1000.0);
    // 6% of the points are +3 spikes (300 noise sd): the Huber fit moves c by < 0.03, less
    // than half what the plain least-squares fit moves it.
    CHECK(std::abs(spiked.c - clean.c) < 0.03);
    CHECK(std::abs(spiked.c - clean.c) < 0.5 * std::abs(plain.c - clean.c));
}

TEST_CASE("status paths", "[forecast]") {
    using autolrs::forecast_status;
    const autolrs::exponential_forecaster f;
    const std::vector<double> empty;
    CHECK(f.predict(empty, 10).status == forecast_status::invalid_input);
    CHECK(f.predict(std::vector<double>(20, nan_v), 100).status == forecast_status::invalid_input);
    CHECK(f.predict(std::vector<double>{1.0, 0.9, 0.8}, 100).status == forecast_status::fallback_too_short);
    CHECK(f.predict(std::vector<double>(50, 0.7), 500).status == forecast_status::fallback_flat);
    CHECK(f.predict(std::vector<double>(50, 0.7), 500).value == Approx(0.7).epsilon(1e-14));

    std::vector<double> rising(60);
    for (std::size_t i = 0; i < rising.size(); ++i) rising[i] = 0.5 + 0.01 * double(i) + 0.002 * std::sin(double(i));
    const auto r = f.predict(rising, 600);
    CHECK(r.status == forecast_status::fallback_rising);
    CHECK(r.value == Approx(0.5 + 0.01 * 54).margin(0.05));  // the tail's level

    // A steep straight line: the exponential's extrapolation is clamped to the sane range.
    std::vector<double> line(100);
    for (std::size_t i = 0; i < line.size(); ++i) line[i] = 1.0 - 0.005 * double(i + 1);
    const auto l = f.predict(line, 1000);
    CHECK(l.status == forecast_status::fitted_bounded);
    // Never above the end level (0.5), never further below it than the window's drop (0.5).
    CHECK(l.value >= 0.0 - 1e-9);
    CHECK(l.value <= 0.5 + 1e-9);

    // The reference keeps its defect: it extrapolates the line far below any sane range.
    const auto ref = autolrs::reference_exponential_forecaster{}.predict(line, 1000);
    CHECK(ref.status == forecast_status::fitted);
    CHECK(ref.value < l.value - 0.5);

    std::vector<double> holes = exp_curve(50, 1.0, -0.05, 0.3);
    holes[3] = nan_v;
    holes[10] = inf_v;
    holes[40] = -inf_v;
    const auto h = f.predict(holes, 500);
    CHECK(h.non_finite == 3);
    CHECK(autolrs::is_fitted(h.status));
    CHECK(h.value == Approx(0.3).margin(0.01));
}

TEMPLATE_TEST_CASE("forecasts are finite on hostile windows", "[forecast]", autolrs::exponential_forecaster,
                   autolrs::power_law_forecaster, autolrs::reference_exponential_forecaster,
                   autolrs::tail_mean_forecaster, autolrs::significant_drop_forecaster<>) {
    const TestType f{};
    const double big = std::numeric_limits<double>::max();
    std::vector<std::vector<double>> windows{
        {},
        {1.0},
        {nan_v},
        {inf_v, -inf_v},
        std::vector<double>(30, 2.5),
        std::vector<double>(30, nan_v),
        std::vector<double>(100, 0.0),
        {big, -big, big, -big, big, -big, big, -big, big, -big},
        {1e300, 1e300, 9e299, 8e299, 7e299, 6e299, 5e299, 4e299, 3e299, 2e299, 1e299},
        {1e-300, 9e-301, 8e-301, 7e-301, 6e-301, 5e-301, 4e-301, 3e-301, 2e-301, 1e-301},
        {5e-324, 0.0, 5e-324, 0.0, 5e-324, 0.0, 5e-324, 0.0, 5e-324},
    };
    std::vector<double> alternating(64), rising(64), some_inf = exp_curve(64, 1.0, -0.1, 0.2);
    for (std::size_t i = 0; i < 64; ++i) {
        alternating[i] = i % 2 ? -1.0 : 1.0;
        rising[i] = std::exp(0.2 * double(i));
    }
    some_inf[7] = inf_v;
    some_inf[30] = nan_v;
    windows.push_back(alternating);
    windows.push_back(rising);
    windows.push_back(some_inf);
    for (const auto& w : windows) {
        for (double horizon : {0.0, 1.0, double(w.size()), 10.0 * double(w.size()) + 10.0, 1e12, inf_v, nan_v, -5.0}) {
            const auto r = f.predict(w, horizon);
            INFO("window size " << w.size() << " horizon " << horizon);
            CHECK(sane(r));
        }
    }
}

TEMPLATE_TEST_CASE("seeded random windows: finite and deterministic", "[forecast]", autolrs::exponential_forecaster,
                   autolrs::power_law_forecaster, autolrs::reference_exponential_forecaster,
                   autolrs::tail_mean_forecaster, autolrs::significant_drop_forecaster<>) {
    const TestType f{};
    std::mt19937_64 rng(20260101);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int trial = 0; trial < 300; ++trial) {
        const auto n = static_cast<std::size_t>(unit(rng) * 300.0);
        const double scale = std::pow(10.0, unit(rng) * 200.0 - 100.0);
        const double a = (unit(rng) * 4.0 - 1.0) * scale, b = -std::pow(10.0, unit(rng) * 4.0 - 3.0);
        const double c = (unit(rng) * 2.0 - 1.0) * scale, noise = unit(rng) * scale;
        std::normal_distribution<double> gauss(0.0, 1.0);
        std::vector<double> y(n);
        for (std::size_t i = 0; i < n; ++i) {
            y[i] = a * std::exp(b * double(i + 1)) + c + noise * gauss(rng);
            const double u = unit(rng);
            if (u < 0.02) y[i] = nan_v;
            else if (u < 0.03) y[i] = (u < 0.025 ? 1.0 : -1.0) * inf_v;
            else if (u < 0.05) y[i] *= 50.0;  // spikes
        }
        const double horizon = double(n) * (1.0 + unit(rng) * 20.0);
        const auto first = f.predict(y, horizon);
        INFO("trial " << trial << " n " << n);
        REQUIRE(sane(first));
        // Same input, after a call on another window (the per-thread scratch): same bits.
        (void)f.predict(exp_curve(n / 2 + 7, 1.0, -0.1, 0.0, 0.1, trial + 1), 100.0);
        CHECK(same_bits(first, f.predict(y, horizon)));
    }
}

TEST_CASE("forecasters with settings validate them", "[forecast]") {
    CHECK_THROWS_AS(autolrs::exponential_forecaster({.min_rate = 0.0}), autolrs::invalid_setting);
    CHECK_THROWS_AS(autolrs::exponential_forecaster({.min_rate = 2.0, .max_rate = 1.0}), autolrs::invalid_setting);
    CHECK_THROWS_AS(autolrs::power_law_forecaster({.min_points = 2}), autolrs::invalid_setting);
    CHECK_THROWS_AS(autolrs::tail_mean_forecaster({.tail_fraction = 0.0}), autolrs::invalid_setting);
    CHECK_THROWS_AS(autolrs::significant_drop_forecaster<>({.sigmas = -1.0}), autolrs::invalid_setting);
    CHECK_THROWS_AS(autolrs::significant_drop_forecaster<>({.sigmas = inf_v}), autolrs::invalid_setting);
    CHECK_THROWS_AS(autolrs::significant_drop_forecaster<>({.tail_fraction = 0.0}), autolrs::invalid_setting);
    try {
        autolrs::exponential_forecaster bad({.tail_fraction = 1.5});
        FAIL("no exception");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "tail_fraction");
    }
}

TEST_CASE("significant drop: the model's drop, weighted by how many of its stddevs it is", "[forecast]") {
    const autolrs::exponential_forecaster model;
    const autolrs::tail_mean_forecaster tail;
    const autolrs::significant_drop_forecaster<> judge;  // two stddevs
    const auto expected = [](const autolrs::forecast& m, const autolrs::forecast& t) {
        const double d = m.value - t.value, doubt = 2.0 * m.stddev;
        return t.value + d * d / (d * d + doubt * doubt) * d;
    };
    // A slow curve, still falling: part of the drop is kept (the exponential's stddev carries its
    // model doubt, a quarter of the drop, and its clamp, so the weight is well below one).
    const auto slow = exp_curve(100, 1.0, -0.005, 0.3);
    const auto m = model.predict(slow, 1000), j = judge.predict(slow, 1000), t = tail.predict(slow, 1000);
    INFO("model " << m.value << " +- " << m.stddev << ", judge " << j.value << ", tail " << t.value);
    REQUIRE(m.value < t.value - 0.1);
    CHECK(j.value == Approx(expected(m, t)).epsilon(1e-12));
    CHECK(j.value < t.value - 0.05);
    CHECK(j.value > m.value);
    CHECK(j.status == m.status);
    // A curve that has nearly settled, under noise: the extrapolated drop is small against the
    // model's doubt, so the judge stays near the tail's level.
    const auto noisy = exp_curve(40, 1.0, -0.2, 0.3, 0.05, 11);
    const auto mn = model.predict(noisy, 400), jn = judge.predict(noisy, 400), tn = tail.predict(noisy, 400);
    INFO("model " << mn.value << " +- " << mn.stddev << ", judge " << jn.value << ", tail " << tn.value);
    CHECK(jn.value == Approx(expected(mn, tn)).epsilon(1e-12));
    CHECK(std::abs(jn.value - tn.value) < 0.5 * std::abs(mn.value - tn.value));
    // sigmas = 0: the model's forecast itself; a huge sigmas: the tail mean.
    const autolrs::significant_drop_forecaster<> trusting({.sigmas = 0.0}), doubting({.sigmas = 1e6});
    CHECK(trusting.predict(noisy, 400).value == Approx(mn.value).epsilon(1e-12));
    CHECK(doubting.predict(slow, 1000).value == Approx(t.value).epsilon(1e-6));
    // No finite loss: invalid_input, as every forecaster says it.
    const std::vector<double> none(10, nan_v);
    CHECK(judge.predict(none, 100).status == autolrs::forecast_status::invalid_input);
}

TEST_CASE("the predictive stddev grows with the noise", "[forecast]") {
    const autolrs::exponential_forecaster f;
    const auto quiet = f.predict(exp_curve(100, 1.0, -0.05, 0.3, 0.001, 5), 1000);
    const auto loud = f.predict(exp_curve(100, 1.0, -0.05, 0.3, 0.05, 5), 1000);
    CHECK(quiet.stddev > 0.0);
    CHECK(loud.stddev > quiet.stddev);
}

TEST_CASE("tail anchor: a curve with a fast and a slow phase is forecast from where it ends", "[forecast]") {
    // A fast drop, then a slow linear decline: one exponential cannot follow both, and its
    // end level sits at the slow phase's average, above where the curve ends (0.3). The
    // anchored forecast sits at the level of the window's tail (its last 40 points, mean
    // 0.6 - 0.0015 * 180.5 = 0.329: the model, flat there, adds no slope across it).
    std::vector<double> y(200);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 0.005);
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double t = double(i + 1);
        y[i] = 1.5 * std::exp(-t / 8.0) + 0.6 - 0.0015 * t + noise(rng);
    }
    const auto anchored = autolrs::exponential_forecaster{}.predict(y, 200.0);
    const auto free = autolrs::exponential_forecaster{{.tail_anchor = false}}.predict(y, 200.0);
    INFO("anchored " << anchored.value << " free " << free.value);
    REQUIRE(autolrs::is_fitted(anchored.status));
    CHECK(anchored.value == Approx(0.6 - 0.0015 * 180.5).margin(0.01));
    CHECK(free.value > anchored.value + 0.05);
    // Where the model fits, the anchor moves the forecast by no more than the noise allows.
    const auto clean = exp_curve(200, 1.5, -0.02, 0.4, 0.01, 3);
    const auto a = autolrs::exponential_forecaster{}.predict(clean, 2000.0);
    const auto b = autolrs::exponential_forecaster{{.tail_anchor = false}}.predict(clean, 2000.0);
    CHECK(std::abs(a.value - b.value) < 3.0 * 0.01 / std::sqrt(40.0));
    CHECK(a.stddev > 0.0);
}

TEST_CASE("a positive window's forecast stays positive", "[forecast]") {
    // Windows like a fresh network's first steps: a fast, noisy fall from about 2.3 whose shape
    // (exponential, linear, accelerating under momentum) varies; before the factor bound and the
    // clamp after the tail anchor, some forecast below 0 (one at -0.36 in the schedule table).
    std::size_t checked = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        const std::size_t n = 6 + static_cast<std::size_t>(u(rng) * 40.0);
        const double drop = 0.3 + 1.9 * u(rng), rate = 0.2 + 6.0 * u(rng), power = 0.5 + 2.5 * u(rng);
        std::normal_distribution<double> noise(0.0, 0.02 + 0.4 * u(rng));
        std::vector<double> losses;
        for (std::size_t i = 0; i < n; ++i) {
            const double t = static_cast<double>(i) / static_cast<double>(n - 1);
            const double shape = seed % 2 == 0 ? (1.0 - std::exp(-rate * t)) / (1.0 - std::exp(-rate)) : std::pow(t, power);
            losses.push_back(std::max(0.02, 2.3 - drop * shape + noise(rng)));
        }
        const double highest = *std::max_element(losses.begin(), losses.end());
        for (double horizon : {10.0 * static_cast<double>(n), 100.0 * static_cast<double>(n)}) {
            const autolrs::forecast f = autolrs::exponential_forecaster{}.predict(losses, horizon);
            INFO("seed " << seed << ", n " << n << ", horizon " << horizon << ": " << f.value);
            CHECK(f.value > 0.0);
            CHECK(f.value <= highest);
            ++checked;
        }
    }
    CHECK(checked == 800);
}
