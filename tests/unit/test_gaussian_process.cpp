// Gaussian process: posterior against hand-derived closed forms, likelihood and its gradient,
// incremental Cholesky against full, jitter fallback, determinism.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <Eigen/Cholesky>
#include <Eigen/LU>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using autolrs::gaussian_process;
using autolrs::gaussian_process_settings;
using autolrs::gaussian_process_status;

constexpr double s2 = 1.5, ell = 0.4, noise = 0.01;

gaussian_process_settings fixed_settings(double nv = noise) {
    gaussian_process_settings s;
    s.fit_hyperparameters = false;
    s.noise_variance = s.noise_variance_min = s.noise_variance_max = nv;
    return s;
}

autolrs::matern52 fixed_kernel() {
    return {.log_signal_variance = std::log(s2), .log_length_scale = std::log(ell)};
}

}  // namespace

TEST_CASE("gaussian_process satisfies the surrogate concepts", "[gp]") {
    STATIC_REQUIRE(autolrs::surrogate<gaussian_process<>>);
    STATIC_REQUIRE(autolrs::posterior_sampler<gaussian_process<autolrs::matern32>>);
    STATIC_REQUIRE(autolrs::explain_surrogate<gaussian_process<autolrs::squared_exponential>>());
    STATIC_REQUIRE_FALSE(autolrs::surrogate<int>);
}

TEST_CASE("empty GP predicts its prior", "[gp]") {
    const gaussian_process<> gp(fixed_settings(), fixed_kernel());
    CHECK(gp.status() == gaussian_process_status::empty);
    const auto p = gp.predict(0.3);
    CHECK(p.mean == 0.0);
    CHECK(p.variance == Approx(s2));
}

TEST_CASE("one point: posterior matches the closed form, per-point noise included", "[gp]") {
    // With one observation the outputs' mean is y and the scale 1, so
    // mean(x) = y, var(x) = s2 - k(x, x1)^2 / (s2 + noise + v).
    const double v = 0.2;
    gaussian_process<> gp(fixed_settings(), fixed_kernel());
    gp.add(0.3, 2.5, v);
    const auto k = fixed_kernel();
    for (double x : {0.3, 0.5, 0.9}) {
        const auto p = gp.predict(x);
        CHECK(p.mean == Approx(2.5));
        CHECK(p.variance == Approx(s2 - k(x, 0.3) * k(x, 0.3) / (s2 + noise + v)));
    }
}

TEST_CASE("two points: posterior matches the 2x2 closed form", "[gp]") {
    // Outputs normalised: offset m = (y1 + y2) / 2, scale c = |y1 - y2| / 2, z = (y - m) / c = (-1, +1).
    // K = [[a, b], [b, a]], a = s2 + noise, b = k(x1, x2); K^-1 = [[a, -b], [-b, a]] / (a^2 - b^2).
    const double x1 = 0.2, x2 = 0.55, y1 = 1.0, y2 = 3.0;
    gaussian_process<> gp(fixed_settings(), fixed_kernel());
    gp.add(x1, y1);
    gp.add(x2, y2);
    const auto k = fixed_kernel();
    const double m = 2.0, c = 1.0, z1 = -1.0, z2 = 1.0;
    const double a = s2 + noise, b = k(x1, x2), det = a * a - b * b;
    for (double x : {0.0, 0.2, 0.37, 0.8}) {
        const double k1 = k(x, x1), k2 = k(x, x2);
        const double w1 = (a * k1 - b * k2) / det, w2 = (a * k2 - b * k1) / det;  // K^-1 k*
        const auto p = gp.predict(x);
        CHECK(p.mean == Approx(m + c * (w1 * z1 + w2 * z2)));
        CHECK(p.variance == Approx(c * c * (s2 - (k1 * w1 + k2 * w2))));
    }
    // The batch prediction agrees with the one-point one.
    const std::vector<double> xs{0.0, 0.37, 0.8};
    std::vector<autolrs::prediction> out(xs.size());
    gp.predict(xs, out);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        CHECK(out[i].mean == Approx(gp.predict(xs[i]).mean));
        CHECK(out[i].variance == Approx(gp.predict(xs[i]).variance));
    }
}

TEST_CASE("three points: posterior matches the dense linear-algebra formula", "[gp]") {
    const std::vector<double> x{0.1, 0.4, 0.85}, y{2.0, 1.2, 1.9}, v{0.0, 0.05, 0.01};
    gaussian_process<> gp(fixed_settings(), fixed_kernel());
    for (std::size_t i = 0; i < 3; ++i) gp.add(x[i], y[i], v[i]);
    const double m = (2.0 + 1.2 + 1.9) / 3.0;
    double var = 0.0;
    for (double yi : y) var += (yi - m) * (yi - m);
    const double c = std::sqrt(var / 3.0);
    const auto k = fixed_kernel();
    Eigen::Matrix3d K;
    Eigen::Vector3d z;
    for (int i = 0; i < 3; ++i) {
        z(i) = (y[i] - m) / c;
        for (int j = 0; j < 3; ++j) K(i, j) = k(x[i], x[j]) + (i == j ? noise + v[i] / (c * c) : 0.0);
    }
    const Eigen::Matrix3d Kinv = K.inverse();
    const double log_two_pi = std::log(2.0 * 3.141592653589793);
    CHECK(gp.log_marginal_likelihood() ==
          Approx(-0.5 * z.dot(Kinv * z) - 0.5 * std::log(K.determinant()) - 1.5 * log_two_pi));
    for (double xs : {0.0, 0.25, 0.6, 1.0}) {
        Eigen::Vector3d ks(k(xs, x[0]), k(xs, x[1]), k(xs, x[2]));
        const auto p = gp.predict(xs);
        CHECK(p.mean == Approx(m + c * ks.dot(Kinv * z)));
        CHECK(p.variance == Approx(c * c * (s2 - ks.dot(Kinv * ks))));
    }
}

TEST_CASE("log marginal likelihood gradient matches central differences", "[gp]") {
    const std::vector<double> x{0.05, 0.2, 0.33, 0.6, 0.61, 0.9}, y{1.9, 1.4, 1.1, 1.3, 1.32, 2.2};
    gaussian_process_settings fitted;
    fitted.fit_hyperparameters = false;
    auto check = [&](auto gp) {
        for (std::size_t i = 0; i < x.size(); ++i) gp.add(x[i], y[i], i == 2 ? 0.01 : 0.0);
        using vec = typename decltype(gp)::hyperparameter_vector;
        for (const vec& theta : {vec{0.0, std::log(0.3), std::log(1e-3)}, vec{1.2, std::log(0.08), std::log(0.05)},
                                 vec{-1.0, std::log(1.5), std::log(0.3)}}) {
            vec g{};
            const double value = gp.log_marginal_likelihood(theta, &g);
            REQUIRE(std::isfinite(value));
            const double h = 1e-6;
            for (std::size_t p = 0; p < theta.size(); ++p) {
                vec tp = theta, tm = theta;
                tp[p] += h;
                tm[p] -= h;
                const double fd = (gp.log_marginal_likelihood(tp) - gp.log_marginal_likelihood(tm)) / (2.0 * h);
                INFO("p=" << p);
                CHECK(g[p] == Approx(fd).margin(1e-6).epsilon(1e-5));
            }
        }
    };
    check(gaussian_process<autolrs::matern52>(fitted));
    check(gaussian_process<autolrs::matern32>(fitted));
    check(gaussian_process<autolrs::squared_exponential>(fitted));
}

TEST_CASE("hyperparameter fit raises the likelihood and stays in its bounds", "[gp]") {
    const std::vector<double> x{0.05, 0.2, 0.33, 0.48, 0.6, 0.75, 0.9}, y{1.9, 1.4, 1.1, 1.05, 1.2, 1.5, 2.1};
    gaussian_process_settings off;
    off.fit_hyperparameters = false;
    gaussian_process<> unfitted(off), fitted;
    for (std::size_t i = 0; i < x.size(); ++i) {
        unfitted.add(x[i], y[i]);
        fitted.add(x[i], y[i]);
    }
    CHECK(fitted.status() == gaussian_process_status::ok);
    CHECK(fitted.log_marginal_likelihood() > unfitted.log_marginal_likelihood());
    const auto t = fitted.log_hyperparameters();
    const auto lo = fitted.kernel().lower_bounds(), hi = fitted.kernel().upper_bounds();
    for (std::size_t p = 0; p < 2; ++p) {
        CHECK(t[p] >= lo[p]);
        CHECK(t[p] <= hi[p]);
    }
    CHECK(fitted.noise_variance() >= fitted.settings().noise_variance_min);
    CHECK(fitted.noise_variance() <= fitted.settings().noise_variance_max);
    // The fitted posterior interpolates smooth data closely.
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(fitted.predict(x[i]).mean == Approx(y[i]).margin(0.02));
}

TEST_CASE("incremental Cholesky equals the full factorisation, near-duplicate inputs included", "[gp]") {
    auto settings = fixed_settings(1e-6);
    settings.refit_every = 1000;  // only the first observation refits; the rest append rows
    gaussian_process<> gp(settings, fixed_kernel());
    const std::vector<double> x{0.3, 0.7, 0.3 + 1e-7, 0.1, 0.3 - 1e-9, 0.95, 0.7 + 1e-8, 0.5};
    for (std::size_t i = 0; i < x.size(); ++i) gp.add(x[i], std::sin(7.0 * x[i]), i % 3 == 0 ? 1e-4 : 0.0);
    REQUIRE(gp.status() == gaussian_process_status::ok);
    const Eigen::MatrixXd incremental = gp.cholesky_factor();
    const std::vector<double> before{gp.predict(0.42).mean, gp.predict(0.42).variance};
    gp.refactorise();
    const Eigen::MatrixXd full = gp.cholesky_factor();
    CHECK(incremental == full);  // bit for bit: the same row-append routine
    CHECK(gp.predict(0.42).mean == before[0]);
    CHECK(gp.predict(0.42).variance == before[1]);
    // And both equal Eigen's factorisation of the explicit covariance.
    const auto n = static_cast<Eigen::Index>(x.size());
    Eigen::MatrixXd K(n, n);
    const auto k = fixed_kernel();
    const double c = gp.output_scale();
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < n; ++j)
            K(i, j) = k(x[static_cast<std::size_t>(i)], x[static_cast<std::size_t>(j)]) +
                      (i == j ? 1e-6 + (i % 3 == 0 ? 1e-4 / (c * c) : 0.0) : 0.0);
    const Eigen::MatrixXd reference = Eigen::LLT<Eigen::MatrixXd>(K).matrixL();
    CHECK((incremental - reference).cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("a failed pivot adds jitter, reports it, and never yields NaN", "[gp]") {
    SECTION("in the full factorisation") {
        gaussian_process<> gp(fixed_settings(0.0), fixed_kernel());
        gp.add(0.4, 1.0);
        gp.add(0.4, 1.5);  // exact duplicate, no noise: singular covariance
        CHECK(gp.status() == gaussian_process_status::jitter_added);
        CHECK(gp.jitter() > 0.0);
        const auto p = gp.predict(0.4);
        CHECK(std::isfinite(p.mean));
        CHECK(std::isfinite(p.variance));
        CHECK(p.variance >= 0.0);
        CHECK(p.mean == Approx(1.25).margin(1e-3));
    }
    SECTION("in the incremental update") {
        auto settings = fixed_settings(0.0);
        settings.refit_every = 100;
        gaussian_process<> gp(settings, fixed_kernel());
        gp.add(0.4, 1.0);
        gp.add(0.6, 1.2);
        gp.add(0.6, 1.4);
        CHECK(gp.status() == gaussian_process_status::jitter_added);
        const auto p = gp.predict(0.5);
        CHECK(std::isfinite(p.mean));
        CHECK(std::isfinite(p.variance));
    }
}

TEST_CASE("extreme outputs stay finite", "[gp]") {
    gaussian_process<> gp;
    gp.add(0.1, 1e150);
    gp.add(0.5, -1e150);
    gp.add(0.9, 3.0);
    gp.add(0.95, 1e-300);
    for (double x : {0.0, 0.3, 0.92, 1.0}) {
        const auto p = gp.predict(x);
        CHECK(std::isfinite(p.mean));
        CHECK(std::isfinite(p.variance));
        CHECK(p.variance >= 0.0);
    }
}

TEST_CASE("add rejects non-finite values and negative noise", "[gp]") {
    gaussian_process<> gp;
    CHECK_THROWS_AS(gp.add(0.1, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    CHECK_THROWS_AS(gp.add(std::numeric_limits<double>::infinity(), 1.0), std::invalid_argument);
    CHECK_THROWS_AS(gp.add(0.1, 1.0, -1.0), std::invalid_argument);
    CHECK(gp.size() == 0);
}

TEST_CASE("bad settings name their field", "[gp]") {
    gaussian_process_settings s;
    s.refit_every = 0;
    CHECK_THROWS_AS(gaussian_process<>(s), autolrs::invalid_setting);
    gaussian_process_settings t;
    t.noise_variance = 10.0;
    try {
        gaussian_process<> gp(t);
        FAIL("no exception");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "noise_variance");
    }
}

TEST_CASE("fits, predictions and samples are deterministic; clear(seed) restarts", "[gp]") {
    const std::vector<double> x{0.05, 0.5, 0.2, 0.8, 0.65}, y{2.0, 1.1, 1.6, 1.4, 1.2};
    gaussian_process<> a, b;
    for (std::size_t i = 0; i < x.size(); ++i) {
        a.add(x[i], y[i]);
        b.add(x[i], y[i]);
    }
    CHECK(a.log_hyperparameters() == b.log_hyperparameters());
    CHECK(a.predict(0.33).mean == b.predict(0.33).mean);
    const std::vector<double> grid{0.0, 0.25, 0.5, 0.75, 1.0};
    std::vector<double> sa(5), sb(5);
    std::mt19937_64 ra(3), rb(3);
    a.sample_posterior(grid, sa, ra);
    b.sample_posterior(grid, sb, rb);
    CHECK(sa == sb);
    a.clear(0);
    CHECK(a.size() == 0);
    CHECK(a.status() == gaussian_process_status::empty);
}

TEST_CASE("posterior samples follow the posterior", "[gp]") {
    gaussian_process<> gp(fixed_settings(1e-6), fixed_kernel());
    gp.add(0.2, 1.0);
    gp.add(0.8, 2.0);
    const std::vector<double> grid{0.2, 0.5, 0.8};
    std::vector<double> f(3), sum(3, 0.0), sum2(3, 0.0);
    std::mt19937_64 rng(11);
    const int draws = 4000;
    for (int d = 0; d < draws; ++d) {
        gp.sample_posterior(grid, f, rng);
        for (std::size_t i = 0; i < 3; ++i) {
            sum[i] += f[i];
            sum2[i] += f[i] * f[i];
        }
    }
    for (std::size_t i = 0; i < 3; ++i) {
        const auto p = gp.predict(grid[i]);
        const double mean = sum[i] / draws, var = sum2[i] / draws - mean * mean;
        CHECK(mean == Approx(p.mean).margin(5.0 * std::sqrt(p.variance / draws) + 1e-3));
        CHECK(var == Approx(p.variance).margin(0.1 * p.variance + 1e-4));
    }
}

TEST_CASE("an overflowing point noise leaves a degenerate status, not a hang", "[gaussian_process]") {
    // Outputs 1e-11 apart normalise by a tiny scale, so a noise variance of 1e300 overflows to
    // +inf on the diagonal: the jitter ladder had no finite top and factorise() looped forever.
    autolrs::gaussian_process<> gp(autolrs::gaussian_process_settings{.fit_hyperparameters = false});
    gp.add(0.2, 0.0, 0.0);
    gp.add(0.6, 1e-11, 1e300);
    CHECK(gp.status() == autolrs::gaussian_process_status::degenerate);
    const auto p = gp.predict(0.4);
    CHECK(std::isfinite(p.mean));
    CHECK(std::isfinite(p.variance));
}
