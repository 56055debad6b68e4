// Acquisitions against their formulas and known values; the grid + Brent maximiser.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <cmath>
#include <random>
#include <span>
#include <vector>

namespace {

// A deterministic "surrogate": mean (x - centre)^2, constant variance.
struct parabola_surrogate {
    double centre = 0.3;
    double variance = 0.0;
    void clear(std::uint64_t) {}
    void add(double, double, double) {}
    autolrs::prediction predict(double x) const { return {(x - centre) * (x - centre), variance}; }
    void predict(std::span<const double> xs, std::span<autolrs::prediction> out) const {
        for (std::size_t i = 0; i < xs.size(); ++i) out[i] = predict(xs[i]);
    }
    std::size_t size() const { return 1; }
};

struct not_an_acquisition {
    double score(const autolrs::prediction&) const { return 0.0; }
};

constexpr double phi0 = 0.3989422804014327;        // standard normal pdf at 0
constexpr double Phi1 = 0.8413447460685429;        // cdf at 1
constexpr double phi1 = 0.24197072451914337;       // pdf at 1
constexpr double Phi196 = 0.9750021048517795;      // cdf at 1.96

}  // namespace

TEST_CASE("acquisition concepts accept the library's and reject others", "[acquisition]") {
    using gp = autolrs::gaussian_process<>;
    STATIC_REQUIRE(autolrs::pointwise_acquisition<autolrs::expected_improvement>);
    STATIC_REQUIRE(autolrs::pointwise_acquisition<autolrs::probability_of_improvement>);
    STATIC_REQUIRE(autolrs::pointwise_acquisition<autolrs::lower_confidence_bound>);
    STATIC_REQUIRE_FALSE(autolrs::pointwise_acquisition<autolrs::thompson_sampling>);
    STATIC_REQUIRE(autolrs::sampling_acquisition<autolrs::thompson_sampling, gp>);
    STATIC_REQUIRE(autolrs::acquisition_for<autolrs::thompson_sampling, gp>);
    // Thompson sampling needs joint posterior samples, which this surrogate cannot give.
    STATIC_REQUIRE_FALSE(autolrs::acquisition_for<autolrs::thompson_sampling, parabola_surrogate>);
    STATIC_REQUIRE_FALSE(autolrs::acquisition_for<not_an_acquisition, gp>);
}

TEST_CASE("lower confidence bound: kappa * sd - mean", "[acquisition]") {
    const autolrs::lower_confidence_bound lcb{.kappa = 2.0};
    CHECK(lcb({1.5, 0.25}, 0.0) == Approx(2.0 * 0.5 - 1.5));
    CHECK(lcb({1.5, 0.0}, 123.0) == Approx(-1.5));
    // kappa = 1e6 (the reference): the variance decides, the mean barely matters.
    const autolrs::lower_confidence_bound reference{.kappa = 1e6};
    CHECK(reference({100.0, 0.04}, 0.0) > reference({-100.0, 0.0399}, 0.0));
}

TEST_CASE("expected improvement at known values and against its formula", "[acquisition]") {
    const autolrs::expected_improvement ei;
    CHECK(ei({1.0, 1.0}, 1.0) == Approx(phi0));                  // mean at the incumbent, sd 1
    CHECK(ei({0.0, 1.0}, 1.0) == Approx(Phi1 + phi1));           // one sd of improvement
    CHECK(ei({1.0, 4.0}, 1.0) == Approx(2.0 * phi0));            // scales with sd
    CHECK(ei({0.5, 0.0}, 1.0) == Approx(0.5));                   // no uncertainty: the plain improvement
    CHECK(ei({1.5, 0.0}, 1.0) == 0.0);
    CHECK(ei({50.0, 1.0}, 0.0) >= 0.0);                          // far tail: never negative
    const autolrs::expected_improvement ei_xi{.xi = 0.5};
    CHECK(ei_xi({0.5, 1.0}, 1.0) == Approx(phi0));               // xi shifts the incumbent
    // General point against (d Phi(d / s) + s phi(d / s)), d = incumbent - mean.
    const double mean = 0.7, sd = 0.3, inc = 0.9, d = inc - mean, z = d / sd;
    const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * 3.141592653589793);
    const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    CHECK(ei({mean, sd * sd}, inc) == Approx(d * cdf + sd * pdf));
}

TEST_CASE("probability of improvement at known values", "[acquisition]") {
    const autolrs::probability_of_improvement pi;
    CHECK(pi({1.0, 1.0}, 1.0) == Approx(0.5));
    CHECK(pi({0.0, 1.0}, 1.0) == Approx(Phi1));
    CHECK(pi({1.0 - 1.96 * 0.5, 0.25}, 1.0) == Approx(Phi196));
    CHECK(pi({2.0, 1.0}, 1.0) == Approx(1.0 - Phi1));
    CHECK(pi({0.5, 0.0}, 1.0) == 1.0);
    CHECK(pi({1.5, 0.0}, 1.0) == 0.0);
    const autolrs::probability_of_improvement pi_xi{.xi = 1.0};
    CHECK(pi_xi({0.0, 1.0}, 1.0) == Approx(0.5));
}

TEST_CASE("thompson sampling scores a seeded joint posterior sample, negated", "[acquisition]") {
    autolrs::gaussian_process<> gp;
    gp.add(0.2, 1.0);
    gp.add(0.5, 0.5);
    gp.add(0.9, 1.4);
    const std::vector<double> grid{0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    std::vector<double> scores(grid.size()), sample(grid.size()), again(grid.size());
    std::mt19937_64 r1(5), r2(5), r3(5);
    autolrs::thompson_sampling{}.sample_scores(gp, grid, scores, r1);
    gp.sample_posterior(grid, sample, r2);
    for (std::size_t i = 0; i < grid.size(); ++i) CHECK(scores[i] == -sample[i]);
    autolrs::thompson_sampling{}.sample_scores(gp, grid, again, r3);
    CHECK(again == scores);
}

TEST_CASE("maximiser: Brent refines the grid's best point", "[maximiser]") {
    const parabola_surrogate s{.centre = 0.3137};
    std::mt19937_64 rng(0);
    const autolrs::acquisition_maximiser_settings settings{.grid_size = 11};
    const auto choice = autolrs::maximise_acquisition(s, autolrs::lower_confidence_bound{}, 0.0, 0.0, 1.0, {}, settings, rng);
    CHECK(choice.x == Approx(0.3137).margin(1e-6));  // far finer than the grid spacing 0.1
    CHECK(choice.score == Approx(0.0).margin(1e-10));
    const autolrs::acquisition_maximiser_settings grid_only{.grid_size = 11, .refine_iterations = 0};
    CHECK(autolrs::maximise_acquisition(s, autolrs::lower_confidence_bound{}, 0.0, 0.0, 1.0, {}, grid_only, rng).x ==
          Approx(0.3));
}

TEST_CASE("maximiser: never proposes within min_separation of an avoided point", "[maximiser]") {
    const parabola_surrogate s{.centre = 0.5};
    std::mt19937_64 rng(0);
    const autolrs::acquisition_maximiser_settings settings{.grid_size = 64, .min_separation = 0.05};
    const std::vector<double> avoid{0.5};
    const auto choice = autolrs::maximise_acquisition(s, autolrs::lower_confidence_bound{}, 0.0, 0.0, 1.0, avoid, settings, rng);
    CHECK(std::abs(choice.x - 0.5) >= 0.05);
    CHECK(std::abs(choice.x - 0.5) < 0.07);  // but as close as allowed
    // The optimum at an end of the interval is found exactly.
    const parabola_surrogate edge{.centre = 1.7};
    CHECK(autolrs::maximise_acquisition(edge, autolrs::lower_confidence_bound{}, 0.0, 0.0, 1.0, {}, settings, rng).x == 1.0);
    // Sub-interval: stays inside.
    const auto inside = autolrs::maximise_acquisition(edge, autolrs::lower_confidence_bound{}, 0.0, 0.2, 0.6, {}, settings, rng);
    CHECK(inside.x == 0.6);
}
