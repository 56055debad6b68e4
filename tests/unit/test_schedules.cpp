// The fixed schedules: each against its formula at chosen steps, the boundaries (step 0,
// the last step, past the end), validation errors that name the field, and monotonicity
// where a schedule promises it.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace sch = autolrs::schedule;
using std::uint64_t;

namespace {

constexpr uint64_t far_past = std::numeric_limits<uint64_t>::max();
const double pi = std::numbers::pi;

// Runs `make` and returns the field named by the invalid_setting it throws ("" if none).
template <class Make>
std::string field_of(Make make) {
    try {
        make();
    } catch (const autolrs::invalid_setting& e) {
        return e.field();
    }
    return "";
}

template <class S>
void require_finite_positive(const S& s, uint64_t until) {
    for (uint64_t step = 0; step <= until; ++step) {
        const double lr = s(step);
        INFO("step " << step << " lr " << lr);
        REQUIRE(std::isfinite(lr));
        REQUIRE(lr > 0.0);
    }
    REQUIRE(std::isfinite(s(far_past)));
    REQUIRE(s(far_past) > 0.0);
}

template <class S>
void require_non_increasing(const S& s, uint64_t from, uint64_t until) {
    for (uint64_t step = from; step < until; ++step) {
        INFO("step " << step);
        REQUIRE(s(step + 1) <= s(step));
    }
}

template <class S>
void require_non_decreasing(const S& s, uint64_t from, uint64_t until) {
    for (uint64_t step = from; step < until; ++step) {
        INFO("step " << step);
        REQUIRE(s(step + 1) >= s(step));
    }
}

double cosine_between(double from, double to, double u) { return to + (from - to) * 0.5 * (1.0 + std::cos(pi * u)); }

}  // namespace

TEST_CASE("every fixed schedule fits lr_schedule, and so does a lambda", "[schedule]") {
    STATIC_REQUIRE(sch::lr_schedule<sch::constant>);
    STATIC_REQUIRE(sch::lr_schedule<sch::step_decay>);
    STATIC_REQUIRE(sch::lr_schedule<sch::multi_step>);
    STATIC_REQUIRE(sch::lr_schedule<sch::exponential>);
    STATIC_REQUIRE(sch::lr_schedule<sch::cosine>);
    STATIC_REQUIRE(sch::lr_schedule<sch::linear>);
    STATIC_REQUIRE(sch::lr_schedule<sch::one_cycle>);
    STATIC_REQUIRE(sch::lr_schedule<sch::warmup_stable_decay>);
    STATIC_REQUIRE(sch::lr_schedule<sch::linear_warmup>);
    STATIC_REQUIRE(sch::lr_schedule<sch::cosine_warmup>);
    STATIC_REQUIRE(sch::lr_schedule<sch::piecewise_constant>);
    const auto halving = [](uint64_t step) { return 1.0 / static_cast<double>(step + 1); };
    STATIC_REQUIRE(sch::lr_schedule<decltype(halving)>);
    STATIC_REQUIRE(sch::explain_lr_schedule<sch::cosine>());
    STATIC_REQUIRE_FALSE(sch::lr_schedule<int>);
    STATIC_REQUIRE_FALSE(sch::lr_schedule<double (*)()>);
    STATIC_REQUIRE(noexcept(std::declval<const sch::cosine&>()(uint64_t{3})));
    STATIC_REQUIRE(noexcept(std::declval<const sch::piecewise_constant&>()(uint64_t{3})));
}

TEST_CASE("interpolate follows each shape between its ends", "[schedule]") {
    for (auto path : {sch::shape::linear, sch::shape::cosine, sch::shape::sqrt, sch::shape::geometric}) {
        CHECK(sch::interpolate(path, 2.0, 0.5, 0.0) == Approx(2.0));
        CHECK(sch::interpolate(path, 2.0, 0.5, 1.0) == Approx(0.5));
        CHECK(sch::interpolate(path, 2.0, 0.5, 7.0) == Approx(0.5));  // clamped
    }
    CHECK(sch::interpolate(sch::shape::linear, 2.0, 0.5, 0.25) == Approx(2.0 - 1.5 * 0.25));
    CHECK(sch::interpolate(sch::shape::cosine, 2.0, 0.5, 0.25) == Approx(cosine_between(2.0, 0.5, 0.25)));
    CHECK(sch::interpolate(sch::shape::sqrt, 2.0, 0.5, 0.25) == Approx(2.0 - 1.5 * 0.5));
    CHECK(sch::interpolate(sch::shape::geometric, 2.0, 0.5, 0.5) == Approx(1.0));
}

TEST_CASE("constant", "[schedule]") {
    const sch::constant s({.lr = 0.3});
    CHECK(s(0) == 0.3);
    CHECK(s(12345) == 0.3);
    CHECK(s(far_past) == 0.3);
    CHECK(field_of([] { sch::constant({.lr = 0.0}); }) == "lr");
    CHECK(field_of([] { sch::constant({.lr = std::numeric_limits<double>::infinity()}); }) == "lr");
    CHECK(field_of([] { sch::constant({.lr = std::nan("")}); }) == "lr");
}

TEST_CASE("step_decay", "[schedule]") {
    const sch::step_decay s({.lr = 1.0, .step_size = 10, .gamma = 0.5});
    CHECK(s(0) == 1.0);
    CHECK(s(9) == 1.0);
    CHECK(s(10) == Approx(0.5));
    CHECK(s(29) == Approx(0.25));
    CHECK(s(30) == Approx(0.125));
    require_non_increasing(s, 0, 200);
    require_finite_positive(s, 3000);  // 0.5^300 underflows: the result stays > 0
    const sch::step_decay floored({.lr = 1.0, .step_size = 10, .gamma = 0.5, .lr_min = 0.2});
    CHECK(floored(20) == Approx(0.25));
    CHECK(floored(30) == Approx(0.2));
    CHECK(floored(far_past) == Approx(0.2));
    CHECK(field_of([] { sch::step_decay({.lr = -1.0, .step_size = 1}); }) == "lr");
    CHECK(field_of([] { sch::step_decay({.lr = 1.0, .step_size = 0}); }) == "step_size");
    CHECK(field_of([] { sch::step_decay({.lr = 1.0, .step_size = 1, .gamma = 1.5}); }) == "gamma");
    CHECK(field_of([] { sch::step_decay({.lr = 1.0, .step_size = 1, .gamma = 0.0}); }) == "gamma");
    CHECK(field_of([] { sch::step_decay({.lr = 1.0, .step_size = 1, .gamma = 0.5, .lr_min = 2.0}); }) == "lr_min");
}

TEST_CASE("multi_step", "[schedule]") {
    const sch::multi_step s({.lr = 0.8, .milestones = {5, 7, 100}, .gamma = 0.5});
    CHECK(s(0) == 0.8);
    CHECK(s(4) == 0.8);
    CHECK(s(5) == Approx(0.4));
    CHECK(s(6) == Approx(0.4));
    CHECK(s(7) == Approx(0.2));
    CHECK(s(99) == Approx(0.2));
    CHECK(s(100) == Approx(0.1));
    CHECK(s(far_past) == Approx(0.1));
    require_non_increasing(s, 0, 150);
    CHECK(sch::multi_step({.lr = 0.8, .milestones = {}})(far_past) == 0.8);
    CHECK(sch::multi_step({.lr = 0.8, .milestones = {0}, .gamma = 0.5})(0) == Approx(0.4));
    CHECK(field_of([] { sch::multi_step({.lr = 1.0, .milestones = {5, 5}}); }) == "milestones[1]");
    CHECK(field_of([] { sch::multi_step({.lr = 1.0, .milestones = {1, 9, 3}}); }) == "milestones[2]");
    CHECK(field_of([] { sch::multi_step({.lr = 1.0, .milestones = {1}, .gamma = -0.1}); }) == "gamma");
    CHECK(field_of([] { sch::multi_step({.lr = 0.0, .milestones = {1}}); }) == "lr");
}

TEST_CASE("exponential", "[schedule]") {
    const sch::exponential s({.lr = 2.0, .gamma = 0.9});
    CHECK(s(0) == 2.0);
    CHECK(s(1) == Approx(1.8));
    CHECK(s(10) == Approx(2.0 * std::pow(0.9, 10)));
    require_non_increasing(s, 0, 500);
    require_finite_positive(s, 10000);  // 0.9^10000 underflows: the result stays > 0
    const sch::exponential slow({.lr = 1.0, .gamma = 0.1, .decay_steps = 100, .lr_min = 1e-3});
    CHECK(slow(50) == Approx(std::pow(0.1, 0.5)));
    CHECK(slow(200) == Approx(0.01));
    CHECK(slow(1000) == Approx(1e-3));
    CHECK(field_of([] { sch::exponential({.lr = 1.0, .gamma = 1.01}); }) == "gamma");
    CHECK(field_of([] { sch::exponential({.lr = 1.0, .gamma = 0.5, .decay_steps = 0}); }) == "decay_steps");
    CHECK(field_of([] { sch::exponential({.lr = 1.0, .gamma = 0.5, .lr_min = -1.0}); }) == "lr_min");
}

TEST_CASE("cosine without restarts", "[schedule]") {
    const sch::cosine s({.lr_max = 1.0, .period = 100, .lr_min = 0.1});
    CHECK(s(0) == 1.0);
    CHECK(s(50) == Approx(0.55));
    CHECK(s(25) == Approx(cosine_between(1.0, 0.1, 0.25)));
    CHECK(s(99) == Approx(cosine_between(1.0, 0.1, 0.99)));
    CHECK(s(99) > 0.1);
    CHECK(s(100) == Approx(0.1));
    CHECK(s(far_past) == Approx(0.1));
    require_non_increasing(s, 0, 300);
    const sch::cosine to_zero({.lr_max = 1.0, .period = 10});
    require_finite_positive(to_zero, 50);  // lr_min = 0 is returned as the smallest positive double
    CHECK(to_zero(10) < 1e-300);
    CHECK(field_of([] { sch::cosine({.lr_max = 1.0, .period = 0}); }) == "period");
    CHECK(field_of([] { sch::cosine({.lr_max = 1.0, .period = 5, .lr_min = 2.0}); }) == "lr_min");
    CHECK(field_of([] { sch::cosine({.lr_max = 0.0, .period = 5}); }) == "lr_max");
    CHECK(field_of([] { sch::cosine({.lr_max = 1.0, .period = 5, .restarts = true, .period_multiplier = 0.5}); }) ==
          "period_multiplier");
}

TEST_CASE("cosine with warm restarts", "[schedule]") {
    const sch::cosine fixed({.lr_max = 1.0, .period = 10, .lr_min = 0.0, .restarts = true});
    for (uint64_t cycle = 0; cycle < 5; ++cycle) {
        CHECK(fixed(cycle * 10) == 1.0);
        CHECK(fixed(cycle * 10 + 3) == Approx(cosine_between(1.0, 0.0, 0.3)));
        CHECK(fixed(cycle * 10 + 9) == Approx(cosine_between(1.0, 0.0, 0.9)));
    }
    require_finite_positive(fixed, 100);
    // Cycles of 10, 20, 40, 80: they start at steps 0, 10, 30, 70, 150.
    const sch::cosine growing({.lr_max = 1.0, .period = 10, .lr_min = 0.0, .restarts = true, .period_multiplier = 2.0});
    for (uint64_t start : {0U, 10U, 30U, 70U, 150U}) {
        CHECK(growing(start) == Approx(1.0));
        if (start > 0) CHECK(growing(start - 1) < 0.1);
    }
    CHECK(growing(10 + 5) == Approx(cosine_between(1.0, 0.0, 5.0 / 20.0)));
    CHECK(growing(30 + 30) == Approx(cosine_between(1.0, 0.0, 30.0 / 40.0)));
    CHECK(growing(70 + 79) == Approx(cosine_between(1.0, 0.0, 79.0 / 80.0)));
    require_non_increasing(growing, 30, 69);
    require_finite_positive(growing, 2000);
    // A non-integer multiplier: restarts where the real cycle boundaries say (10, 25, 47.5 -> 48).
    const sch::cosine uneven({.lr_max = 1.0, .period = 10, .restarts = true, .period_multiplier = 1.5});
    CHECK(uneven(25) == Approx(1.0));
    CHECK(uneven(47) < 0.01);
    CHECK(uneven(48) == Approx(cosine_between(1.0, 0.0, 0.5 / 33.75)));
}

TEST_CASE("linear", "[schedule]") {
    const sch::linear down({.lr_start = 1.0, .lr_end = 0.2, .steps = 8});
    CHECK(down(0) == 1.0);
    CHECK(down(4) == Approx(0.6));
    CHECK(down(7) == Approx(0.3));
    CHECK(down(8) == Approx(0.2));
    CHECK(down(far_past) == Approx(0.2));
    require_non_increasing(down, 0, 20);
    const sch::linear up({.lr_start = 0.0, .lr_end = 1.0, .steps = 4});
    CHECK(up(0) > 0.0);
    CHECK(up(1) == Approx(0.25));
    require_non_decreasing(up, 0, 10);
    require_finite_positive(up, 10);
    CHECK(field_of([] { sch::linear({.lr_start = 1.0, .lr_end = 0.5, .steps = 0}); }) == "steps");
    CHECK(field_of([] { sch::linear({.lr_start = -1.0, .lr_end = 0.5, .steps = 3}); }) == "lr_start");
    CHECK(field_of([] { sch::linear({.lr_start = 1.0, .lr_end = std::nan(""), .steps = 3}); }) == "lr_end");
}

TEST_CASE("linear and cosine warmups, and a warmup used as a cooldown", "[schedule]") {
    const sch::linear_warmup lin({.lr = 0.5, .steps = 10, .start_factor = 0.1});
    CHECK(lin(0) == Approx(0.05));
    CHECK(lin(5) == Approx(0.5 * (0.1 + 0.9 * 0.5)));
    CHECK(lin(9) == Approx(0.5 * (0.1 + 0.9 * 0.9)));
    CHECK(lin(10) == 0.5);
    CHECK(lin(far_past) == 0.5);
    require_non_decreasing(lin, 0, 30);
    const sch::cosine_warmup cos({.lr = 0.5, .steps = 10, .start_factor = 0.1});
    CHECK(cos(0) == Approx(0.05));
    CHECK(cos(3) == Approx(0.5 * (0.1 + 0.9 * 0.5 * (1.0 - std::cos(pi * 0.3)))));
    CHECK(cos(10) == 0.5);
    require_non_decreasing(cos, 0, 30);
    const sch::linear_warmup default_start({.lr = 1.0, .steps = 4});
    CHECK(default_start(0) == Approx(0.01));
    const sch::cosine_warmup cooldown({.lr = 0.01, .steps = 20, .start_factor = 10.0});
    CHECK(cooldown(0) == Approx(0.1));
    CHECK(cooldown(20) == 0.01);
    require_non_increasing(cooldown, 0, 40);
    require_finite_positive(sch::linear_warmup({.lr = 1.0, .steps = 3, .start_factor = 0.0}), 5);
    CHECK(field_of([] { sch::linear_warmup({.lr = 1.0, .steps = 0}); }) == "steps");
    CHECK(field_of([] { sch::cosine_warmup({.lr = 0.0, .steps = 4}); }) == "lr");
    CHECK(field_of([] { sch::cosine_warmup({.lr = 1.0, .steps = 4, .start_factor = -0.5}); }) == "start_factor");
    CHECK(field_of([] { sch::linear_warmup({.lr = 1e300, .steps = 4, .start_factor = 1e10}); }) == "start_factor");
}

TEST_CASE("one_cycle", "[schedule]") {
    const sch::one_cycle s({.lr_max = 1.0, .total_steps = 100, .warmup_fraction = 0.3, .div_factor = 10.0,
                            .final_div_factor = 100.0});
    REQUIRE(s.warmup_steps() == 30);
    CHECK(s(0) == Approx(0.1));
    CHECK(s(15) == Approx(cosine_between(0.1, 1.0, 0.5)));
    CHECK(s(30) == Approx(1.0));
    CHECK(s(65) == Approx(cosine_between(1.0, 1e-3, 0.5)));
    CHECK(s(99) == Approx(cosine_between(1.0, 1e-3, 69.0 / 70.0)));
    CHECK(s(100) == Approx(1e-3));
    CHECK(s(far_past) == Approx(1e-3));
    require_non_decreasing(s, 0, 30);
    require_non_increasing(s, 30, 200);
    const sch::one_cycle lin({.lr_max = 1.0, .total_steps = 10, .warmup_fraction = 0.2, .div_factor = 5.0,
                              .final_div_factor = 2.0, .path = sch::shape::linear});
    CHECK(lin(1) == Approx(0.2 + 0.8 * 0.5));
    CHECK(lin(6) == Approx(1.0 - 0.9 * 0.5));
    const sch::one_cycle no_warmup({.lr_max = 1.0, .total_steps = 1, .warmup_fraction = 0.5});
    CHECK(no_warmup(0) == 1.0);
    CHECK(no_warmup(1) == Approx(1.0 / 25.0 / 1e4));
    CHECK(field_of([] { sch::one_cycle({.lr_max = 1.0, .total_steps = 0}); }) == "total_steps");
    CHECK(field_of([] { sch::one_cycle({.lr_max = 1.0, .total_steps = 10, .warmup_fraction = 1.0}); }) ==
          "warmup_fraction");
    CHECK(field_of([] { sch::one_cycle({.lr_max = 1.0, .total_steps = 10, .div_factor = 0.5}); }) == "div_factor");
    CHECK(field_of([] { sch::one_cycle({.lr_max = 1.0, .total_steps = 10, .final_div_factor = 0.0}); }) ==
          "final_div_factor");
    CHECK(field_of([] { sch::one_cycle({.lr_max = 1.0, .total_steps = 10, .path = static_cast<sch::shape>(42)}); }) ==
          "path");
}

TEST_CASE("warmup_stable_decay", "[schedule]") {
    const sch::warmup_stable_decay s({.lr = 1.0, .total_steps = 100, .decay_steps = 20, .warmup_steps = 10,
                                      .warmup_start_factor = 0.0, .lr_end = 0.1});
    CHECK(s(0) > 0.0);
    CHECK(s(5) == Approx(0.5));
    CHECK(s(10) == 1.0);
    CHECK(s(79) == 1.0);
    CHECK(s(80) == 1.0);
    CHECK(s(90) == Approx(0.55));
    CHECK(s(99) == Approx(1.0 - 0.9 * 19.0 / 20.0));
    CHECK(s(100) == Approx(0.1));
    CHECK(s(far_past) == Approx(0.1));
    require_non_decreasing(s, 0, 10);
    require_non_increasing(s, 10, 200);
    const sch::warmup_stable_decay one_minus_sqrt({.lr = 2.0, .total_steps = 50, .decay_steps = 50,
                                                   .decay_shape = sch::shape::sqrt});
    CHECK(one_minus_sqrt(0) == 2.0);
    CHECK(one_minus_sqrt(25) == Approx(2.0 * (1.0 - std::sqrt(0.5))));
    require_finite_positive(one_minus_sqrt, 60);
    const sch::warmup_stable_decay flat({.lr = 0.3, .total_steps = 5, .decay_steps = 0});
    CHECK(flat(4) == 0.3);
    CHECK(flat(5) > 0.0);
    CHECK(field_of([] { sch::warmup_stable_decay({.lr = 1.0, .total_steps = 10, .decay_steps = 5, .warmup_steps = 6}); }) ==
          "decay_steps");
    CHECK(field_of([] { sch::warmup_stable_decay({.lr = 1.0, .total_steps = 10, .decay_steps = 0, .warmup_steps = 11}); }) ==
          "warmup_steps");
    CHECK(field_of([] { sch::warmup_stable_decay({.lr = 1.0, .total_steps = 0, .decay_steps = 0}); }) == "total_steps");
    CHECK(field_of([] { sch::warmup_stable_decay({.lr = 1.0, .total_steps = 10, .decay_steps = 5, .lr_end = 2.0}); }) ==
          "lr_end");
    CHECK(field_of([] {
              sch::warmup_stable_decay({.lr = 1.0, .total_steps = 10, .decay_steps = 5, .decay_shape = sch::shape::geometric});
          }) == "decay_shape");
    CHECK(field_of([] {
              sch::warmup_stable_decay({.lr = 1.0, .total_steps = 10, .decay_steps = 5, .warmup_start_factor = 1.5});
          }) == "warmup_start_factor");
}

TEST_CASE("piecewise_constant replays a table", "[schedule]") {
    const sch::piecewise_constant s({.rows = {{0, 0.1}, {10, 0.05}, {25, 0.2}}});
    CHECK(s(0) == 0.1);
    CHECK(s(9) == 0.1);
    CHECK(s(10) == 0.05);
    CHECK(s(24) == 0.05);
    CHECK(s(25) == 0.2);
    CHECK(s(far_past) == 0.2);
    CHECK(s.rows().size() == 3);
    CHECK(sch::piecewise_constant({.rows = {{0, 0.7}}})(far_past) == 0.7);
    CHECK(field_of([] { sch::piecewise_constant({.rows = {}}); }) == "rows");
    CHECK(field_of([] { sch::piecewise_constant({.rows = {{1, 0.1}}}); }) == "rows[0].start_step");
    CHECK(field_of([] { sch::piecewise_constant({.rows = {{0, 0.1}, {5, 0.1}, {5, 0.2}}}); }) == "rows[2].start_step");
    CHECK(field_of([] { sch::piecewise_constant({.rows = {{0, 0.1}, {3, 0.1}, {2, 0.2}}}); }) == "rows[2].start_step");
    CHECK(field_of([] { sch::piecewise_constant({.rows = {{0, 0.1}, {5, -0.1}}}); }) == "rows[1].lr");
    CHECK(field_of([] { sch::piecewise_constant({.rows = {{0, std::numeric_limits<double>::infinity()}}}); }) ==
          "rows[0].lr");
}
