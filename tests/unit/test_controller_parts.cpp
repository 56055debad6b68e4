// The controller's parts (include/autolrs/controller/), each tested on its own with
// hand-made inputs and exact expected values: the stage plan, the candidate table, the anneal
// probe, the loss guard, the trajectory, the recorded search, the ramps, state_io, and the
// policy families (stop rule, initial design, stage objective) with controller<...>'s
// placement of policies. The state machine that wires them together is tested through the
// protocol in test_controller_*.cpp and the golden traces.
// Only the umbrella header (it includes every part), so that the test also runs against the
// single header.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <sstream>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using autolrs::controller_settings;
namespace detail = autolrs::detail;

constexpr double qnan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

/// 16000 steps: first stage 1000, longest 4000, cooldown 3200 from step 12800.
// The stage plan's mechanics, on horizon_stages (stages of total_steps / 16 doubling, a fifth
// cooled down); the defaults' plan has its own test case.
controller_settings budget_settings() { return controller_settings::horizon_stages(1e-3, 1.0, 16000); }

/// The largest horizon below `tau` whose searched stage fits `room`, by trying every one.
std::uint64_t largest_fitting_horizon(const controller_settings& s, std::uint64_t tau, std::uint64_t room) {
    std::uint64_t best = 0;
    for (std::uint64_t h = 1; h < tau; ++h) {
        if (detail::searched_stage_cost(s, h) <= room) best = h;
    }
    return best;
}

}  // namespace

// =============================================================================================
// stage_plan.hpp
// =============================================================================================

TEST_CASE("resolve_stage_lengths: defaults for a known budget", "[parts][stage_plan]") {
    const detail::stage_lengths l = detail::resolve_stage_lengths(budget_settings());
    CHECK(l.longest == 4000);  // total_steps / 4
    CHECK(l.first == 1000);    // total_steps / 16
    CHECK(l.budget_aware);
    CHECK(l.cooldown_steps == 3200);  // 0.2 of 16000
    CHECK(l.cooldown_start == 12800);
}

TEST_CASE("resolve_stage_lengths: the defaults (search twice, then decay) for a known budget", "[parts][stage_plan]") {
    const detail::stage_lengths l = detail::resolve_stage_lengths({.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 16000});
    CHECK(l.first == 1600);   // a tenth
    CHECK(l.longest == 4000);
    CHECK(l.cooldown_steps == 11200);  // 0.7 of 16000
    CHECK(l.cooldown_start == 4800);
    // the worst case of a 1600-step search (6 candidates of 160 steps and a probe as long) is
    // 3200 steps; what it leaves before the cooldown (1600) is a searched stage of half the
    // first, so a second search is planned (and the second stage, 3200 steps, is shrunk to fit)
    const controller_settings s{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 16000};
    CHECK(detail::searched_stage_cost(s, 1600) == 3200);
    const detail::stage_plan first = detail::plan_stage(s, l, l.first, l.cooldown_start, true, false);
    CHECK(first.searched);
    CHECK(first.horizon == 1600);
    CHECK(first.probe_steps == first.candidate_steps);
}

TEST_CASE("resolve_stage_lengths: defaults for an unknown budget", "[parts][stage_plan]") {
    const detail::stage_lengths l = detail::resolve_stage_lengths({.lr_min = 1e-3, .lr_max = 1.0});
    CHECK(l.longest == 8000);
    CHECK(l.first == 1000);
    CHECK_FALSE(l.budget_aware);
    CHECK(l.cooldown_steps == 0);
    CHECK(l.cooldown_start == 0);
}

TEST_CASE("resolve_stage_lengths: small budgets, explicit lengths, the warmup", "[parts][stage_plan]") {
    SECTION("a tiny budget still has stages of at least one step") {
        const detail::stage_lengths l = detail::resolve_stage_lengths(controller_settings::horizon_stages(1e-3, 1.0, 10));
        CHECK(l.longest == 2);  // 10 / 4
        CHECK(l.first == 1);    // 10 / 16 = 0, at least 1
        CHECK(l.cooldown_steps == 2);
        CHECK(l.cooldown_start == 8);
    }
    SECTION("explicit tau0 and tau_max are kept; tau0 above the automatic tau_max raises it") {
        controller_settings s = budget_settings();
        s.tau0 = 300;
        s.tau_max = 2000;
        detail::stage_lengths l = detail::resolve_stage_lengths(s);
        CHECK(l.first == 300);
        CHECK(l.longest == 2000);
        s.tau_max = 0;
        s.tau0 = 5000;
        l = detail::resolve_stage_lengths(s);
        CHECK(l.first == 5000);
        CHECK(l.longest == 5000);  // max(16000 / 4, tau0)
    }
    SECTION("not budget aware: no cooldown, the cooldown 'starts' at the budget's end") {
        controller_settings s = budget_settings();
        s.budget_aware = false;
        const detail::stage_lengths l = detail::resolve_stage_lengths(s);
        CHECK_FALSE(l.budget_aware);
        CHECK(l.cooldown_steps == 0);
        CHECK(l.cooldown_start == 16000);
    }
    SECTION("the cooldown never reaches into the warmup") {
        controller_settings s{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 100};
        s.warmup_steps = 90;
        s.cooldown_fraction = 0.5;
        const detail::stage_lengths l = detail::resolve_stage_lengths(s);
        CHECK(l.cooldown_steps == 10);  // 50, capped at 100 - 90
        CHECK(l.cooldown_start == 90);
    }
}

TEST_CASE("candidate_steps: tau' rounded, at least 1, at most tau", "[parts][stage_plan]") {
    CHECK(detail::candidate_steps(1000, 0.1) == 100);
    CHECK(detail::candidate_steps(7, 0.5) == 4);  // 3.5 rounds up
    CHECK(detail::candidate_steps(5, 0.1) == 1);  // 0.5 rounds up
    CHECK(detail::candidate_steps(3, 0.1) == 1);  // 0.3 rounds to 0: clamped up to 1
    CHECK(detail::candidate_steps(0, 0.1) == 1);  // even for tau = 0
    CHECK(detail::candidate_steps(10, 1.0) == 10);
    CHECK(detail::candidate_steps(10, 1.5) == 10);  // clamped down to tau
}

TEST_CASE("searched_stage_cost: every candidate with its probe, then the stage", "[parts][stage_plan]") {
    controller_settings s = budget_settings();  // k = 6, tau' = tau / 10, probe = tau' / 2, winner kept
    // tau 1000: tau' 100 + probe 50 = 150 per candidate; 6 * 150 + 1000 - 150 (the kept winner's steps).
    CHECK(detail::searched_stage_cost(s, 1000) == 1750);
    CHECK(detail::searched_stage_cost(s, 500) == 875);
    // tau 10: tau' 1 + probe 2 (at least 2) = 3; 6 * 3 + 10 - 3.
    CHECK(detail::searched_stage_cost(s, 10) == 25);
    s.keep_winner_state = false;
    CHECK(detail::searched_stage_cost(s, 1000) == 1900);
    s.keep_winner_state = true;
    s.anneal_probe = 0.0;
    CHECK(detail::searched_stage_cost(s, 1000) == 1500);
    // A candidate longer than its stage: the stage costs at least one candidate.
    s.anneal_probe = 0.5;
    s.candidate_fraction = 1.0;
    CHECK(detail::searched_stage_cost(s, 10) == 90);  // 6 * 15 + max(10, 15) - 15
}

TEST_CASE("plan_stage: a stage that fits", "[parts][stage_plan]") {
    const controller_settings s = budget_settings();
    const detail::stage_lengths l = detail::resolve_stage_lengths(s);
    const detail::stage_plan p = detail::plan_stage(s, l, 1000, 12800, true, false);
    CHECK(p.searched);
    CHECK(p.skip_reason.empty());
    CHECK(p.horizon == 1000);
    CHECK(p.planned_horizon == 1000);
    CHECK(p.candidate_steps == 100);
    CHECK(p.probe_steps == 50);
    CHECK_FALSE(p.validation_signal);
    CHECK(p.validation_interval == 6);  // tau' / 16
}

TEST_CASE("plan_stage: not budget aware, the room is ignored", "[parts][stage_plan]") {
    const controller_settings s{.lr_min = 1e-3, .lr_max = 1.0};
    const detail::stage_lengths l = detail::resolve_stage_lengths(s);
    const detail::stage_plan p = detail::plan_stage(s, l, 4000, 0, true, true);
    CHECK(p.searched);
    CHECK(p.horizon == 4000);
    CHECK(p.planned_horizon == 4000);
    CHECK(p.candidate_steps == 400);
    CHECK(p.probe_steps == 400);  // the default probe is as long as the candidate
}

TEST_CASE("plan_stage: takes the leftover too small for another searched stage", "[parts][stage_plan]") {
    const controller_settings s = budget_settings();
    const detail::stage_lengths l = detail::resolve_stage_lengths(s);
    // The shortest searched stage (500 steps) costs 875: a leftover of 874 is taken, 875 is not.
    REQUIRE(detail::shortest_searched_stage(l) == 500);
    detail::stage_plan p = detail::plan_stage(s, l, 1000, 1750 + 874, true, true);
    CHECK(p.searched);
    CHECK(p.planned_horizon == 1000);
    CHECK(p.horizon == 1874);
    CHECK(p.candidate_steps == 100);  // tau' from the planned horizon
    p = detail::plan_stage(s, l, 1000, 1750 + 875, true, true);
    CHECK(p.horizon == 1000);
    p = detail::plan_stage(s, l, 1000, 1750, true, true);  // exactly fits: no leftover
    CHECK(p.horizon == 1000);
}

TEST_CASE("plan_stage: with plan_with_least_search, the leftover is judged at the searches' least",
          "[parts][stage_plan]") {
    controller_settings s = budget_settings();
    s.plan_with_least_search = true;
    const detail::stage_lengths l = detail::resolve_stage_lengths(s);
    // A 1000-step stage costs 1750 at most (6 candidates of 100 steps and a 50-step probe) and
    // 1300 at least (min_candidates = 3), the shortest searched stage (500 steps) 650 at least:
    // below 1300 + 650 of room no second search fits even then, and the stage takes the room
    // beyond its worst case; from 1950 on it leaves it (the worst cases would take up to 2624).
    REQUIRE(detail::shortest_searched_stage(l) == 500);
    REQUIRE(detail::least_searched_stage_cost(s, 1000) == 1300);
    REQUIRE(detail::least_searched_stage_cost(s, 500) == 650);
    detail::stage_plan p = detail::plan_stage(s, l, 1000, 1949, true, true);
    CHECK(p.searched);
    CHECK(p.planned_horizon == 1000);
    CHECK(p.horizon == 1199);
    CHECK(p.candidate_steps == 100);
    p = detail::plan_stage(s, l, 1000, 1950, true, true);
    CHECK(p.horizon == 1000);
    p = detail::plan_stage(s, l, 1000, 1750 + 874, true, true);
    CHECK(p.horizon == 1000);
}

TEST_CASE("plan_stage: with plan_with_least_search the defaults' first stage leaves room for a second search",
          "[parts][stage_plan]") {
    // The first stage (a tenth) costs a fifth at most, which leaves exactly the worst case of the
    // shortest second search: with the worst-case rule (the default) rounding decides, and 38%
    // of the budgets below search once.
    const auto one_search = [](bool least) {
        std::uint64_t once = 0, budgets = 0;
        for (std::uint64_t budget = 100; budget <= 200000; budget += budget < 5000 ? 1 : budget / 1000) {
            controller_settings s{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = budget};
            s.plan_with_least_search = least;
            const detail::stage_lengths l = detail::resolve_stage_lengths(s);
            const detail::stage_plan p = detail::plan_stage(s, l, l.first, l.cooldown_start, true, false);
            ++budgets;
            if (p.horizon != p.planned_horizon) ++once;
        }
        return std::pair{once, budgets};
    };
    const auto [before, budgets] = one_search(false);
    CHECK(budgets == 8692);
    CHECK(before == 3327);
    CHECK(one_search(true).first == 0);
}

TEST_CASE("plan_stage: shrinks to the largest fitting horizon (checked against every horizon)", "[parts][stage_plan]") {
    controller_settings base = budget_settings();
    base.tau0 = 1000;  // the shortest searched stage stays 500
    for (const double fraction : {0.1, 0.25, 0.7, 1.0}) {
        for (const double probe : {0.0, 0.5, 2.0}) {
            for (const bool keep : {true, false}) {
                for (const std::uint32_t k : {1U, 3U, 6U}) {
                  for (const bool least : {false, true}) {
                    controller_settings s = base;
                    s.plan_with_least_search = least;
                    s.candidate_fraction = fraction;
                    s.anneal_probe = probe;
                    s.keep_winner_state = keep;
                    s.candidates = k;
                    s.min_candidates = 1;
                    s.initial_design = 1;
                    const detail::stage_lengths l = detail::resolve_stage_lengths(s);
                    const std::uint64_t tau = 1000;
                    const std::uint64_t full = detail::searched_stage_cost(s, tau);
                    for (std::uint64_t room = 0; room < full; room += 1 + room / 7) {
                        INFO("fraction " << fraction << " probe " << probe << " keep " << keep << " k " << k
                                         << " least " << least << " room " << room);
                        const std::uint64_t fits = largest_fitting_horizon(s, tau, room);
                        const detail::stage_plan p = detail::plan_stage(s, l, tau, room, true, false);
                        if (fits == 0) {
                            CHECK_FALSE(p.searched);
                            CHECK(p.horizon == room);
                            continue;
                        }
                        REQUIRE(p.searched);  // no LR yet: even a short search goes ahead
                        CHECK(p.planned_horizon == fits);
                        CHECK(p.candidate_steps == detail::candidate_steps(fits, fraction));
                        const std::uint64_t leftover = room - detail::searched_stage_cost(s, fits);
                        const std::uint64_t shortest = detail::shortest_searched_stage(l);
                        const bool takes = least ? room - detail::least_searched_stage_cost(s, fits) <
                                                       detail::least_searched_stage_cost(s, shortest)
                                                 : leftover < detail::searched_stage_cost(s, shortest);
                        CHECK(p.horizon == fits + (takes ? leftover : 0));
                    }
                  }
                }
            }
        }
    }
}

TEST_CASE("plan_stage: each skip reason", "[parts][stage_plan]") {
    const controller_settings s = budget_settings();
    const detail::stage_lengths l = detail::resolve_stage_lengths(s);
    const auto not_searched = [](const detail::stage_plan& p) {
        CHECK_FALSE(p.searched);
        CHECK(p.planned_horizon == 0);
        CHECK(p.candidate_steps == 0);
        CHECK(p.probe_steps == 0);
        CHECK_FALSE(p.validation_signal);
        CHECK(p.validation_interval == 1);
    };
    SECTION("the LR ceiling is lr_min: budget aware, the stage takes the room") {
        const detail::stage_plan p = detail::plan_stage(s, l, 1000, 12800, false, true);
        not_searched(p);
        CHECK(p.skip_reason == "the LR ceiling left by divergences is lr_min: nothing to search");
        CHECK(p.horizon == 12800);
    }
    SECTION("the LR ceiling is lr_min: not budget aware, the stage is tau long") {
        const controller_settings u{.lr_min = 1e-3, .lr_max = 1.0};
        const detail::stage_plan p = detail::plan_stage(u, detail::resolve_stage_lengths(u), 2000, 5, false, true);
        not_searched(p);
        CHECK(p.skip_reason == "the LR ceiling left by divergences is lr_min: nothing to search");
        CHECK(p.horizon == 2000);
    }
    const std::string_view pay_back = "a search would not pay back before the cooldown: the last LR goes on";
    SECTION("no horizon fits at all, with or without an LR to go on with") {
        REQUIRE(detail::searched_stage_cost(s, 1) == 18);  // 6 * (1 + 2) + 3 - 3
        for (const bool has_lr : {true, false}) {
            const detail::stage_plan p = detail::plan_stage(s, l, 1000, 17, true, has_lr);
            not_searched(p);
            CHECK(p.skip_reason == pay_back);
            CHECK(p.horizon == 17);
        }
    }
    SECTION("what fits is shorter than the shortest searched stage, and an LR exists") {
        const std::uint64_t room = 874;  // below the 875 of a 500-step stage
        const std::uint64_t fits = largest_fitting_horizon(s, 1000, room);
        REQUIRE(fits > 0);
        REQUIRE(fits < 500);
        const detail::stage_plan p = detail::plan_stage(s, l, 1000, room, true, true);
        not_searched(p);
        CHECK(p.skip_reason == pay_back);
        CHECK(p.horizon == room);
        // Without an LR to go on with, the short search goes ahead and takes the room.
        const detail::stage_plan q = detail::plan_stage(s, l, 1000, room, true, false);
        CHECK(q.searched);
        CHECK(q.planned_horizon == fits);
        CHECK(q.horizon == fits + (room - detail::searched_stage_cost(s, fits)));
    }
}

TEST_CASE("plan_stage: the validation signal, its interval and the probe", "[parts][stage_plan]") {
    SECTION("validation: the probe as on the training signal, the interval automatic, given, or capped at tau'") {
        controller_settings s = budget_settings();
        s.signal = autolrs::loss_signal::validation;
        const detail::stage_lengths l = detail::resolve_stage_lengths(s);
        detail::stage_plan p = detail::plan_stage(s, l, 1000, 12800, true, false);
        CHECK(p.validation_signal);
        CHECK(p.probe_steps == 50);  // anneal_probe 0.5 of tau' = 100, as on the training signal
        const double probe = s.anneal_probe;
        s.anneal_probe = 0.0;
        CHECK(detail::plan_stage(s, l, 1000, 12800, true, false).probe_steps == 0);
        s.anneal_probe = probe;
        CHECK(p.validation_interval == 6);
        s.validation_interval = 7;
        p = detail::plan_stage(s, l, 1000, 12800, true, false);
        CHECK(p.validation_interval == 7);
        s.validation_interval = 500;
        p = detail::plan_stage(s, l, 1000, 12800, true, false);
        CHECK(p.validation_interval == 100);  // at most tau'
        p = detail::plan_stage(s, l, 20, 12800, true, false);
        CHECK(p.candidate_steps == 2);
        CHECK(p.validation_interval == 2);
        s.validation_interval = 0;
        p = detail::plan_stage(s, l, 20, 12800, true, false);
        CHECK(p.validation_interval == 1);  // tau' / 16 = 0: at least 1
    }
    SECTION("reference_switch: validation once the planned horizon reaches the longest") {
        controller_settings s{.lr_min = 1e-3, .lr_max = 1.0};
        s.signal = autolrs::loss_signal::reference_switch;
        const detail::stage_lengths l = detail::resolve_stage_lengths(s);  // longest 8000
        detail::stage_plan p = detail::plan_stage(s, l, 4000, 0, true, true);
        CHECK_FALSE(p.validation_signal);
        CHECK(p.probe_steps == 400);
        p = detail::plan_stage(s, l, 8000, 0, true, true);
        CHECK(p.validation_signal);
        CHECK(p.probe_steps == 800);
        CHECK(p.validation_interval == 50);  // 800 / 16
    }
    SECTION("reference_switch: a leftover that grows the horizon past the longest does not switch") {
        controller_settings s = budget_settings();  // longest 4000
        s.signal = autolrs::loss_signal::reference_switch;
        const detail::stage_lengths l = detail::resolve_stage_lengths(s);
        REQUIRE(detail::searched_stage_cost(s, 3500) == 6125);
        const detail::stage_plan p = detail::plan_stage(s, l, 3500, 6125 + 874, true, true);
        CHECK(p.horizon == 4374);
        CHECK(p.planned_horizon == 3500);
        CHECK_FALSE(p.validation_signal);
    }
}

TEST_CASE("inside_interval: x moved inside [lr_min, upper], NaN to lr_min", "[parts][stage_plan]") {
    const double lr_min = 1e-3;
    const double upper = 0.125;
    const double x = std::log(0.01);
    auto [x1, lr1] = detail::inside_interval(x, lr_min, upper);
    CHECK(same_bits(x1, x));  // inside: x itself
    CHECK(same_bits(lr1, std::exp(x)));
    auto [x2, lr2] = detail::inside_interval(0.0, lr_min, upper);
    CHECK(lr2 == upper);
    CHECK(x2 == std::log(upper));
    auto [x3, lr3] = detail::inside_interval(std::log(1e-5), lr_min, upper);
    CHECK(lr3 == lr_min);
    CHECK(x3 == std::log(lr_min));
    auto [x4, lr4] = detail::inside_interval(qnan, lr_min, upper);
    CHECK(lr4 == lr_min);
    CHECK(x4 == std::log(lr_min));
    auto [x5, lr5] = detail::inside_interval(-inf, lr_min, upper);
    CHECK(lr5 == lr_min);
    CHECK(x5 == std::log(lr_min));
    auto [x6, lr6] = detail::inside_interval(std::log(upper), lr_min, upper);  // the ends are inside
    CHECK(lr6 <= upper);
    CHECK(x6 == std::log(upper));
}

TEST_CASE("bound_side: within bound_tolerance of the log interval's ends", "[parts][stage_plan]") {
    controller_settings s{.lr_min = 1e-3, .lr_max = 1.0};  // tolerance 0.02 * log(1000) = 0.138 in log LR
    CHECK(detail::bound_side(s, 1e-3) == -1);
    CHECK(detail::bound_side(s, 1e-3 * std::exp(0.1)) == -1);
    CHECK(detail::bound_side(s, 1e-3 * std::exp(0.2)) == 0);
    CHECK(detail::bound_side(s, std::sqrt(1e-3)) == 0);
    CHECK(detail::bound_side(s, std::exp(-0.2)) == 0);
    CHECK(detail::bound_side(s, std::exp(-0.1)) == 1);
    CHECK(detail::bound_side(s, 1.0) == 1);
    s.bound_tolerance = 0.0;  // off
    CHECK(detail::bound_side(s, 1e-3) == 0);
    CHECK(detail::bound_side(s, 1.0) == 0);
}

// =============================================================================================
// candidate_table.hpp
// =============================================================================================

namespace {

/// Five candidates; row 2 is infeasible (the lowest forecast, but it does not count).
detail::candidate_table five_candidates() {
    using autolrs::forecast_status;
    detail::candidate_table t;
    CHECK(t.add({-4.0, 0.01, 2.0, 0.5, forecast_status::fitted, true}) == 0);
    CHECK(t.add({-2.0, 0.125, 1.0, 0.25, forecast_status::fitted, true}) == 1);
    CHECK(t.add({-3.0, 0.0625, 0.5, 0.0, forecast_status::invalid_input, false}) == 2);
    CHECK(t.add({-0.5, 0.5, 0.75, 0.125, forecast_status::fitted_bounded, true}) == 3);
    CHECK(t.add({-3.5, 0.03125, 1.5, 1.0, forecast_status::fallback_flat, true}) == 4);
    return t;
}

}  // namespace

TEST_CASE("candidate_table: parabola_vertex between the best and its neighbours", "[parts][candidate_table]") {
    using autolrs::forecast_status;
    detail::candidate_table t;
    const auto y = [](double x) { return 0.5 + (x + 1.5) * (x + 1.5); };  // lowest at x = -1.5
    (void)t.add({-2.0, std::exp(-2.0), y(-2.0), 0.1, forecast_status::fitted, true});
    (void)t.add({0.0, 1.0, y(0.0), 0.1, forecast_status::fitted, true});
    (void)t.add({-3.0, std::exp(-3.0), y(-3.0), 0.1, forecast_status::fitted, true});
    (void)t.add({-1.0, std::exp(-1.0), 0.1, 0.1, forecast_status::invalid_input, false});  // infeasible: not a neighbour
    REQUIRE(t.best(inf) == 0);
    CHECK(t.parabola_vertex(0, inf) == Approx(-1.5).epsilon(1e-12));  // an exact parabola's vertex
    // no neighbour above: the right one is over the limit, so no extrapolation
    CHECK(t.parabola_vertex(0, 0.5) == -2.0);
    // the vertex stays within half the way to each neighbour, however the curve leans
    detail::candidate_table steep;
    (void)steep.add({-2.0, std::exp(-2.0), 1.0, 0.1, forecast_status::fitted, true});
    (void)steep.add({-3.0, std::exp(-3.0), 1.0 + 1e-9, 0.1, forecast_status::fitted, true});
    (void)steep.add({0.0, 1.0, 50.0, 0.1, forecast_status::fitted, true});
    const double v = steep.parabola_vertex(0, inf);
    CHECK(v >= -2.5);
    CHECK(v < -2.0);
    // a flat row: no curvature, the best itself
    detail::candidate_table flat;
    for (const double x : {-3.0, -2.0, -1.0}) (void)flat.add({x, std::exp(x), 1.0, 0.1, forecast_status::fitted, true});
    CHECK(flat.parabola_vertex(1, inf) == -2.0);
    CHECK(flat.parabola_vertex(detail::no_candidate, inf) == 0.0);
}

TEST_CASE("candidate_table: nearest_tie moves least among the candidates the lowest does not beat",
          "[parts][candidate_table]") {
    using autolrs::forecast_status;
    // the mlp_sgd_4000 seed-1 stage of bench_suite: incumbent 0.178 (row 0), judged lowest 0.00562
    detail::candidate_table t;
    (void)t.add({std::log(0.178), 0.178, 0.619, 0.061, forecast_status::fallback_flat, true});
    (void)t.add({std::log(0.0316), 0.0316, 0.486, 0.034, forecast_status::fallback_flat, true});
    (void)t.add({std::log(0.00562), 0.00562, 0.478, 0.028, forecast_status::fallback_flat, true});
    (void)t.add({std::log(0.0104), 0.0104, 0.483, 0.03, forecast_status::fallback_flat, true});
    const double incumbent = t[0].x;
    REQUIRE(t.best(inf) == 2);
    CHECK(t.nearest_tie(2, incumbent, inf, 0) == 1);  // 0.0316: 0.2 stddevs above the lowest, nearest 0.178
    CHECK(t.nearest_tie(2, incumbent, 0.02, 0) == 3);  // 0.0316 above the limit: 0.0104 is next nearest
    // a clear gap: the lowest itself
    detail::candidate_table gap;
    (void)gap.add({0.0, 1.0, 1.0, 0.01, forecast_status::fitted, true});
    (void)gap.add({-1.0, std::exp(-1.0), 0.8, 0.01, forecast_status::fitted, true});
    (void)gap.add({-2.0, std::exp(-2.0), 0.5, 0.01, forecast_status::fitted, true});
    CHECK(gap.nearest_tie(2, 0.0, inf, 0) == 2);
    // the excluded row (the incumbent) is never chosen, however near and however tied
    CHECK(gap.nearest_tie(1, -0.9, inf, 1) == 1);
    detail::candidate_table tied;
    (void)tied.add({0.0, 1.0, 0.5, 1.0, forecast_status::fitted, true});
    (void)tied.add({-2.0, std::exp(-2.0), 0.5, 1.0, forecast_status::fitted, true});
    (void)tied.add({-1.0, std::exp(-1.0), 0.6, 0.0, forecast_status::invalid_input, false});  // infeasible
    CHECK(tied.nearest_tie(1, 0.0, inf, 0) == 1);
    CHECK(tied.nearest_tie(detail::no_candidate, 0.0, inf, 0) == detail::no_candidate);
}

TEST_CASE("candidate_table: best with a limit, infeasible ignored", "[parts][candidate_table]") {
    const detail::candidate_table t = five_candidates();
    CHECK(t.size() == 5);
    CHECK(t.feasible_count() == 4);
    CHECK(t.best(inf) == 3);     // 0.75; row 2's 0.5 is infeasible
    CHECK(t.best(0.25) == 1);    // row 3's LR is above the limit
    CHECK(t.best(0.01) == 0);    // the limit is inclusive
    CHECK(t.best(0.001) == detail::no_candidate);
    CHECK(detail::candidate_table{}.best(inf) == detail::no_candidate);
    detail::candidate_table ties;
    ties.add({0.0, 0.5, 1.0, 0.0, autolrs::forecast_status::fitted, true});
    ties.add({0.0, 0.25, 1.0, 0.0, autolrs::forecast_status::fitted, true});
    CHECK(ties.best(inf) == 0);  // a tie keeps the first
}

TEST_CASE("candidate_table: loss_scale, improvement or spread", "[parts][candidate_table]") {
    const detail::candidate_table t = five_candidates();  // feasible forecasts 0.75 .. 2.0
    CHECK(t.loss_scale(3.0) == 2.25);  // the improvement of the best over the start
    CHECK(t.loss_scale(0.5) == 1.25);  // no improvement: the spread 2.0 - 0.75
    CHECK(t.loss_scale(0.75) == 1.25);  // an improvement of 0 is none
    CHECK(t.loss_scale(qnan) == 1.25);  // start unknown: the spread
    CHECK(t.loss_scale(inf) == 1.25);
    CHECK(detail::candidate_table{}.loss_scale(3.0) == 0.0);
    detail::candidate_table only_infeasible;
    only_infeasible.add({0.0, 0.5, 1.0, 0.0, autolrs::forecast_status::invalid_input, false});
    CHECK(only_infeasible.loss_scale(3.0) == 0.0);
    detail::candidate_table one;
    one.add({0.0, 0.5, 1.0, 0.0, autolrs::forecast_status::fitted, true});
    CHECK(one.loss_scale(qnan) == 0.0);  // one forecast: no spread
    CHECK(one.loss_scale(1.5) == 0.5);
}

TEST_CASE("candidate_table: largest_within, the largest LR nearly as good", "[parts][candidate_table]") {
    using autolrs::forecast_status;
    detail::candidate_table t;
    t.add({-3.5, 0.03125, 0.5, 0.0, forecast_status::fitted, true});
    t.add({-2.0, 0.125, 0.625, 0.0, forecast_status::fitted, true});
    t.add({-0.5, 0.5, 0.75, 0.0, forecast_status::fitted, true});
    t.add({0.0, 1.0, 0.5, 0.0, forecast_status::invalid_input, false});  // as good, but infeasible
    REQUIRE(t.best(inf) == 0);
    CHECK(t.largest_within(0, 0.0, inf) == 0);
    CHECK(t.largest_within(0, 0.125, inf) == 1);  // 0.625 <= 0.5 + 0.125 (inclusive)
    CHECK(t.largest_within(0, 0.25, inf) == 2);
    CHECK(t.largest_within(0, 0.25, 0.25) == 1);  // row 2 above the limit
    CHECK(t.largest_within(0, 10.0, inf) == 2);   // never the infeasible row 3
    CHECK(t.largest_within(detail::no_candidate, 1.0, inf) == detail::no_candidate);
}

TEST_CASE("candidate_table: lowest_by a (fake) posterior mean", "[parts][candidate_table]") {
    const detail::candidate_table t = five_candidates();
    int calls = 0;
    const auto mean = [&](double x) {
        ++calls;
        return (x + 2.0) * (x + 2.0);  // lowest at row 1 (x = -2); row 2 (x = -3) is infeasible
    };
    CHECK(t.lowest_by(mean, inf, 77) == 1);
    CHECK(calls == 4);  // feasible rows only
    CHECK(t.lowest_by(mean, 0.1, 77) == 4);  // rows 1 and 3 above the limit: 2.25 at row 4 against 4 at row 0
    CHECK(t.lowest_by(mean, 0.001, 77) == 77);  // none at or below the limit: the fallback
    const auto not_at_minus_two = [](double x) { return x == -2.0 ? qnan : (x + 2.0) * (x + 2.0); };
    CHECK(t.lowest_by(not_at_minus_two, inf, 77) == 3);  // 2.25 at rows 3 and 4: the first
    CHECK(t.lowest_by([](double) { return qnan; }, inf, 77) == 77);
    CHECK(t.lowest_by([](double) { return 1.0F; }, inf, 77) == 0);  // any arithmetic type
}

TEST_CASE("candidate_table: improvements_over the stage's start", "[parts][candidate_table]") {
    const detail::candidate_table t = five_candidates();
    std::vector<autolrs::observation> out{{9.0, 9.0, 9.0}};
    t.improvements_over(3.0, out);
    REQUIRE(out.size() == 4);
    const double expected[4][3] = {{-4.0, -1.0, 0.25}, {-2.0, -2.0, 0.0625}, {-0.5, -2.25, 0.015625}, {-3.5, -1.5, 1.0}};
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("observation " << i);
        CHECK(out[i].x == expected[i][0]);
        CHECK(out[i].y == expected[i][1]);
        CHECK(out[i].noise_variance == expected[i][2]);
    }
    t.improvements_over(qnan, out);
    CHECK(out.empty());  // start unknown: none (and the old contents are gone)
    // A difference that overflows is left out: a saved state must load again (fuzz_controller).
    detail::candidate_table far;
    far.add({-1.0, 0.4, 1e308, 0.5, autolrs::forecast_status::fitted, true});
    far.add({-2.0, 0.1, 2.0, 0.5, autolrs::forecast_status::fitted, true});
    far.improvements_over(-1e308, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].x == -2.0);
}

TEST_CASE("race_due and clearly_worse", "[parts][candidate_table]") {
    CHECK(detail::race_due(0.5, 5, 10));
    CHECK_FALSE(detail::race_due(0.5, 4, 10));
    CHECK_FALSE(detail::race_due(0.5, 6, 10));  // once: only when the window holds exactly that many
    CHECK(detail::race_due(0.75, 3, 4));
    CHECK(detail::race_due(0.3125, 5, 16));  // 5 points
    CHECK(detail::race_due(0.26, 3, 10));    // 2.6 rounds up to 3
    CHECK_FALSE(detail::race_due(0.25, 2, 8));    // 2 points: not more than two
    CHECK_FALSE(detail::race_due(0.999, 4, 4));   // all the points: not less than all
    CHECK_FALSE(detail::race_due(0.0, 5, 10));    // off
    CHECK_FALSE(detail::race_due(-0.5, 5, 10));

    using autolrs::forecast_status;
    const autolrs::forecast f{2.0, 0.25, forecast_status::fitted};
    CHECK(detail::clearly_worse(f, 1.0, 2.0));         // 2 - 0.5 > 1
    CHECK_FALSE(detail::clearly_worse(f, 1.0, 4.0));   // 2 - 1 = 1: not above
    CHECK_FALSE(detail::clearly_worse(f, 2.5, 0.0));
    CHECK(detail::clearly_worse(f, 1.9375, 0.0));
    CHECK_FALSE(detail::clearly_worse({2.0, 0.25, forecast_status::invalid_input}, 1.0, 2.0));
    CHECK_FALSE(detail::clearly_worse({qnan, 0.25, forecast_status::fitted}, 1.0, 2.0));
    CHECK_FALSE(detail::clearly_worse({inf, 0.25, forecast_status::fitted}, 1.0, 2.0));
    CHECK_FALSE(detail::clearly_worse({2.0, inf, forecast_status::fitted}, 1.0, 2.0));
    CHECK(detail::clearly_worse({2.0, 0.25, forecast_status::fallback_rising}, 1.0, 2.0));
}

// =============================================================================================
// anneal_probe.hpp
// =============================================================================================

TEST_CASE("anneal_probe_steps and anneal_probe_lr", "[parts][anneal_probe]") {
    CHECK(detail::anneal_probe_steps(100, 0.5) == 50);
    CHECK(detail::anneal_probe_steps(3, 0.5) == 2);   // 1.5 rounds to 2
    CHECK(detail::anneal_probe_steps(1, 0.5) == 2);   // at least 2
    CHECK(detail::anneal_probe_steps(0, 0.5) == 2);
    CHECK(detail::anneal_probe_steps(10, 4.0) == 40);
    CHECK(detail::anneal_probe_steps(100, 0.0) == 0);  // off
    CHECK(detail::anneal_probe_steps(100, -1.0) == 0);

    CHECK(detail::anneal_probe_lr(0.5, 0.25, 1e-3) == 0.125);
    CHECK(detail::anneal_probe_lr(0.002, 0.25, 1e-3) == 1e-3);  // 0.0005 is below lr_min
    CHECK(detail::anneal_probe_lr(0.004, 0.25, 1e-3) == 1e-3);  // exactly lr_min
}

namespace {

/// A candidate of 10 points whose last fifth is {3, 5} (mean 4, per-step variance 2), then a
/// probe of 4 steps whose second half is {a, b}; the probe's first half is ignored.
std::vector<double> candidate_then_probe(double a, double b) {
    return {9, 9, 9, 9, 9, 9, 9, 9, 3, 5, /* probe */ 100, 100, a, b};
}

}  // namespace

TEST_CASE("less_anneal_gain: a known drop", "[parts][anneal_probe]") {
    const std::vector<double> losses = candidate_then_probe(2.0, 4.0);  // after = 3: a gain of 1
    const autolrs::forecast f{10.0, 0.5, autolrs::forecast_status::fitted_bounded, 2};
    const autolrs::forecast g = detail::less_anneal_gain(f, losses, 10, 4);
    CHECK(g.value == 9.0);  // 10 - 1 (above the floor 10 * 3 / 4)
    // variance: 0.25 + step variance 2 * (1/2 + 1/2)
    CHECK(g.stddev == 1.5);
    CHECK(g.status == autolrs::forecast_status::fitted_bounded);
    CHECK(g.non_finite == 2);
}

TEST_CASE("less_anneal_gain: the proportional floor", "[parts][anneal_probe]") {
    const std::vector<double> losses = candidate_then_probe(2.0, 4.0);
    // 2 - 1 = 1 would be far below what the drop in proportion allows: 2 * 3 / 4.
    const autolrs::forecast g = detail::less_anneal_gain({2.0, 0.5, autolrs::forecast_status::fitted}, losses, 10, 4);
    CHECK(g.value == 1.5);
    CHECK(g.stddev == 1.5);
    // No floor for a non-positive forecast.
    const autolrs::forecast h = detail::less_anneal_gain({-2.0, 0.5, autolrs::forecast_status::fitted}, losses, 10, 4);
    CHECK(h.value == -3.0);
}

TEST_CASE("less_anneal_gain: nothing to take off leaves the forecast unchanged", "[parts][anneal_probe]") {
    const autolrs::forecast f{10.0, 0.5, autolrs::forecast_status::fallback_flat, 1};
    const auto unchanged = [&](const autolrs::forecast& g) {
        CHECK(same_bits(g.value, f.value));
        CHECK(same_bits(g.stddev, f.stddev));
        CHECK(g.status == f.status);
        CHECK(g.non_finite == f.non_finite);
    };
    unchanged(detail::less_anneal_gain(f, candidate_then_probe(4.0, 4.0), 10, 4));  // no drop
    unchanged(detail::less_anneal_gain(f, candidate_then_probe(5.0, 6.0), 10, 4));  // a rise
    unchanged(detail::less_anneal_gain(f, candidate_then_probe(qnan, 1.0), 10, 4));  // not finite
    unchanged(detail::less_anneal_gain(f, std::vector<double>{9, 9, 9, 9, 9, 9, 9, 9, 3, 5, 1}, 10, 4));  // probe short
    unchanged(detail::less_anneal_gain(f, std::vector<double>{3, 1}, 1, 2));  // fewer points than the tail
    const autolrs::forecast g =
        detail::less_anneal_gain({qnan, 0.5, autolrs::forecast_status::fitted}, candidate_then_probe(2.0, 4.0), 10, 4);
    CHECK(std::isnan(g.value));
}

// =============================================================================================
// loss_guard.hpp
// =============================================================================================

TEST_CASE("exploding: patience, reset, non-finite at once", "[parts][loss_guard]") {
    std::uint32_t over = 0;
    // reference 1, factor 10: the threshold is 10.
    CHECK_FALSE(detail::exploding(11.0, 1.0, 10.0, 3, over));
    CHECK(over == 1);
    CHECK_FALSE(detail::exploding(11.0, 1.0, 10.0, 3, over));
    CHECK(over == 2);
    CHECK(detail::exploding(11.0, 1.0, 10.0, 3, over));
    CHECK(over == 3);
    over = 2;
    CHECK_FALSE(detail::exploding(10.0, 1.0, 10.0, 3, over));  // at the threshold: not above, and a reset
    CHECK(over == 0);
    CHECK(detail::exploding(10.5, 1.0, 10.0, 1, over));  // patience 1: at once
    over = 0;
    CHECK(detail::exploding(qnan, 1.0, 10.0, 3, over));
    CHECK(detail::exploding(inf, 1.0, 10.0, 3, over));
    CHECK(detail::exploding(-inf, 1.0, 10.0, 3, over));
    CHECK(over == 0);  // non-finite: no count needed
    // No usable reference: only non-finite losses diverge.
    over = 1;
    CHECK_FALSE(detail::exploding(1e300, qnan, 10.0, 1, over));
    CHECK_FALSE(detail::exploding(1e300, 0.0, 10.0, 1, over));
    CHECK(over == 1);
    // A negative reference: the threshold is reference + (factor - 1) * |reference| = 16.
    over = 0;
    CHECK_FALSE(detail::exploding(16.0, -2.0, 10.0, 1, over));
    CHECK(detail::exploding(16.5, -2.0, 10.0, 1, over));
    // An infinite factor: only non-finite losses diverge.
    over = 0;
    CHECK_FALSE(detail::exploding(1e300, 1.0, inf, 1, over));
}

TEST_CASE("loss_guard: the envelope decays over divergence_memory", "[parts][loss_guard]") {
    detail::loss_guard g(1);  // decay exp(-1) per loss
    CHECK_FALSE(g.has_history());
    CHECK(std::isnan(g.envelope()));
    CHECK(std::isnan(g.recent_mean()));
    g.remember(10.0);
    CHECK(g.envelope() == 10.0);
    g.remember(1.0);
    CHECK(g.envelope() == 10.0 * std::exp(-1.0));  // forgetting the 10
    g.remember(5.0);
    CHECK(g.envelope() == 5.0);  // a new top
    g.remember(qnan);
    g.remember(inf);
    CHECK(g.envelope() == 5.0);  // non-finite losses are not remembered
    CHECK(g.recent_mean() == (10.0 + 1.0 + 5.0) / 3.0);

    detail::loss_guard forever;  // default: no decay
    forever.remember(8.0);
    for (int i = 0; i < 100; ++i) forever.remember(1.0);
    CHECK(forever.envelope() == 8.0);

    detail::loss_guard slow(1000);
    slow.remember(8.0);
    slow.remember(1.0);
    CHECK(slow.envelope() == 8.0 * std::exp(-1.0 / 1000.0));
}

TEST_CASE("loss_guard: recent_mean over a ring of the last 16", "[parts][loss_guard]") {
    detail::loss_guard g(1000);
    for (int i = 1; i <= 16; ++i) g.remember(i);
    CHECK(g.recent_mean() == 8.5);
    g.remember(17.0);  // 1 drops out
    CHECK(g.recent_mean() == 9.5);
    for (int i = 18; i <= 20; ++i) g.remember(i);
    CHECK(g.recent_mean() == 12.5);  // 5 .. 20
    for (int i = 21; i <= 36; ++i) g.remember(i);
    CHECK(g.recent_mean() == 28.5);  // 21 .. 36: wrapped around exactly once more
}

TEST_CASE("loss_guard: snapshot and rollback", "[parts][loss_guard]") {
    detail::loss_guard g(2);
    g.remember(1.0);
    g.remember(2.0);
    g.remember(3.0);
    g.snapshot();
    const double envelope = g.envelope();
    g.remember(100.0);
    g.remember(200.0);
    CHECK(g.recent_mean() == 306.0 / 5.0);
    CHECK(g.envelope() == 200.0);
    g.rollback();
    CHECK(g.recent_mean() == 2.0);
    CHECK(g.envelope() == envelope);
    g.rollback();  // again: the same snapshot
    CHECK(g.recent_mean() == 2.0);

    detail::loss_guard empty(2);
    empty.snapshot();
    empty.remember(4.0);
    empty.rollback();
    CHECK_FALSE(empty.has_history());
    CHECK(std::isnan(empty.envelope()));
}

// =============================================================================================
// trajectory.hpp
// =============================================================================================

TEST_CASE("trajectory: step counts", "[parts][trajectory]") {
    detail::trajectory t;
    t.count_trajectory_step(0.25);
    t.count_searched();
    t.count_searched();
    t.count_skipped();
    t.count_trained();
    t.count_searched();
    CHECK(t.steps_total() == 5);  // skipped steps are not applied
    CHECK(t.steps_trained() == 2);
    CHECK(t.steps_searched() == 3);
    CHECK(t.steps_skipped() == 1);
}

namespace {

std::vector<std::pair<std::uint64_t, double>> rows_of(const detail::trajectory& t) {
    std::vector<std::pair<std::uint64_t, double>> out;
    for (const auto& r : t.rows()) out.emplace_back(r.start_step, r.lr);
    return out;
}
using rows_t = std::vector<std::pair<std::uint64_t, double>>;

}  // namespace

TEST_CASE("trajectory: reserve grows the table geometrically, not by what each stage asks", "[parts][trajectory]") {
    // As the controller does at every stage with a decaying anneal probe (100 rows a stage):
    // growing by exactly what was asked reallocated, and copied every row, at every stage.
    detail::trajectory t;
    std::size_t reallocations = 0;
    std::size_t capacity = 0;
    for (int stage = 0; stage < 2000; ++stage) {
        if (t.spare_rows() < 108) t.reserve(164);
        const std::size_t now = t.rows().size() + t.spare_rows();
        reallocations += now != capacity ? 1 : 0;
        capacity = now;
        for (int j = 0; j < 100; ++j) t.count_trajectory_step(1.0 + 1e-3 * static_cast<double>(j + 1));
        REQUIRE(t.spare_rows() + t.rows().size() == capacity);  // no step allocated
    }
    CHECK(t.rows().size() == 200000);
    CHECK(reallocations <= 20);  // log2(200000 / 164) is about 10
    // a large request is still capped
    detail::trajectory big;
    big.reserve(std::size_t{1} << 30);
    CHECK(big.spare_rows() == detail::trajectory::max_reserved_rows);
}

TEST_CASE("trajectory: record collapses rows", "[parts][trajectory]") {
    detail::trajectory t;
    t.count_trajectory_step(0.125);  // warmup: a row per changed LR
    t.count_trajectory_step(0.25);
    t.count_trajectory_step(0.25);  // same LR: no row
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {1, 0.25}});
    t.record(3, 0.5);
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {1, 0.25}, {3, 0.5}});
    t.record(3, 0.75);  // same start: replaced
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {1, 0.25}, {3, 0.75}});
    t.record(3, 0.25);  // same start, and back to the previous LR: the row goes
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {1, 0.25}});
    t.record_stage_lr(0.5);  // at steps_trained() = 3
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {1, 0.25}, {3, 0.5}});
}

TEST_CASE("trajectory: keep_winner moves the winner's steps onto the trajectory", "[parts][trajectory]") {
    detail::trajectory t;
    t.record_stage_lr(0.5);  // the stage's LR from trajectory step 0
    for (int i = 0; i < 12; ++i) t.count_searched();  // two candidates of 4 steps and 2 probe steps
    t.keep_winner(4, 2, 0.5, 0.05);
    CHECK(rows_of(t) == rows_t{{0, 0.5}, {4, 0.05}, {6, 0.5}});  // the probe's steps at its LR
    CHECK(t.steps_trained() == 6);
    CHECK(t.steps_searched() == 6);
    CHECK(t.steps_total() == 12);
    for (int i = 0; i < 3; ++i) t.count_trained();
    CHECK(t.steps_trained() == 9);
    CHECK(t.steps_total() == 15);

    detail::trajectory no_probe;
    no_probe.record_stage_lr(0.25);
    for (int i = 0; i < 8; ++i) no_probe.count_searched();
    no_probe.keep_winner(4, 0, 0.25, 0.025);
    CHECK(rows_of(no_probe) == rows_t{{0, 0.25}});  // no probe: no rows
    CHECK(no_probe.steps_trained() == 4);
    CHECK(no_probe.steps_searched() == 4);
}

TEST_CASE("trajectory: discard_stage turns the stage's steps into searched ones", "[parts][trajectory]") {
    detail::trajectory t;
    t.count_trajectory_step(0.125);
    t.count_trajectory_step(0.125);
    t.begin_stage();
    t.record_stage_lr(0.375);
    for (int i = 0; i < 5; ++i) t.count_trained();
    t.count_searched();
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {2, 0.375}});
    t.discard_stage();
    CHECK(rows_of(t) == rows_t{{0, 0.125}});
    CHECK(t.steps_trained() == 2);
    CHECK(t.steps_searched() == 6);
    CHECK(t.steps_total() == 8);
    // The stage again, at a lower LR.
    t.record_stage_lr(0.25);
    t.count_trained();
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {2, 0.25}});
    CHECK(t.steps_trained() + t.steps_searched() == t.steps_total());
}

TEST_CASE("trajectory: discard_stage after a stage of no steps restores the rows before it",
          "[parts][trajectory]") {
    // Was a defect (reported with issue 16): record() popped the row that ended the previous
    // stage (one that covered no step: a stage of length 0), and discard_stage() then resized
    // the rows back up with a value-initialised row {0, 0.0}. begin_stage() now drops a row
    // that covers no step, so the rows before a stage are never changed inside it.
    detail::trajectory t;
    t.count_trajectory_step(0.125);
    t.count_trajectory_step(0.125);
    t.record_stage_lr(0.25);  // a stage of no steps at 0.25
    t.begin_stage();
    CHECK(rows_of(t) == rows_t{{0, 0.125}});  // no step ran at 0.25
    t.record_stage_lr(0.125);  // 0.125 continues the row before
    for (int i = 0; i < 3; ++i) t.count_trained();
    CHECK(rows_of(t) == rows_t{{0, 0.125}});
    t.discard_stage();
    CHECK(rows_of(t) == rows_t{{0, 0.125}});
    CHECK(t.steps_trained() == 2);
    CHECK(t.steps_searched() == 3);
    // The stage again at another LR: its row starts where the kept trajectory ends.
    t.record_stage_lr(0.0625);
    t.count_trained();
    CHECK(rows_of(t) == rows_t{{0, 0.125}, {2, 0.0625}});
    // The same with a stage that does train at its LR: nothing is dropped.
    detail::trajectory u;
    u.count_trajectory_step(0.125);
    u.record_stage_lr(0.25);
    u.count_trained();
    u.begin_stage();
    u.record_stage_lr(0.5);
    u.count_trained();
    u.discard_stage();
    CHECK(rows_of(u) == rows_t{{0, 0.125}, {1, 0.25}});
}

// =============================================================================================
// recorded_search.hpp
// =============================================================================================

namespace {

/// A search that logs what it was told and answers as a function of the calls so far.
struct logging_search {
    std::vector<std::string> log;
    std::vector<autolrs::observation> warm;
    double warm_noise = 0.0;
    double state = 0.0;

    double ask() {
        log.push_back("ask");
        state += 0.25;
        return -1.0 - state;
    }
    void tell(double x, double y, double v) {
        log.push_back("tell");
        state += x + 2.0 * y + 4.0 * v;
    }
    void tell_infeasible(double x) {
        log.push_back("infeasible " + std::to_string(x));
        state -= x;
    }
    [[nodiscard]] double expected_gain() const { return state * 0.5; }
    void reset(std::uint64_t seed) {
        log.push_back("reset " + std::to_string(seed));
        state = static_cast<double>(seed);
        warm.clear();
    }
    void warm_start(std::span<const autolrs::observation> earlier, double extra) {
        log.push_back("warm_start");
        warm.assign(earlier.begin(), earlier.end());
        warm_noise = extra;
    }
};
static_assert(autolrs::lr_search<logging_search>);

template <class Search>
std::string save_search(const detail::recorded_search<Search>& r) {
    std::ostringstream os;
    detail::state_text_writer w(os);
    detail::state_saver saver{w};
    detail::recorded_search<Search>::visit_state(r, saver);
    return os.str();
}

template <class Search>
void load_search(detail::recorded_search<Search>& r, const std::string& text) {
    std::istringstream is(text);
    detail::state_text_reader reader(is);
    detail::state_loader loader{reader};
    detail::recorded_search<Search>::visit_state(r, loader);
    r.check_loaded();
    r.replay();
}

using bo = autolrs::bayes_opt<autolrs::gaussian_process<autolrs::matern52>, autolrs::expected_improvement>;

bo make_bo() { return bo(autolrs::bayes_opt_settings{.x_min = std::log(1e-3), .x_max = 0.0}); }

/// A stage's search as the controller drives it: warm start, asks, tells, an infeasible LR, gains.
detail::recorded_search<bo> driven_search() {
    detail::recorded_search<bo> r(make_bo());
    r.begin_stage(12345, 0.0);
    const std::vector<autolrs::observation> earlier = {{-5.0, -0.25, 1e-4}, {-3.0, -0.5, 1e-4}, {-1.0, -0.125, 1e-4}};
    r.warm_start(earlier, 2.0, 1e-3);
    for (int i = 0; i < 4; ++i) {
        const double x = r.ask();
        r.tell(x, 2.0 + 0.1 * (x + 3.0) * (x + 3.0), 1e-4);
        (void)r.expected_gain();
    }
    r.rule_out_above(-0.5);
    (void)r.ask();
    return r;
}

}  // namespace

TEST_CASE("recorded_search: begin_stage, calls passed through", "[parts][recorded_search]") {
    logging_search prototype;
    prototype.state = 99.0;  // the prototype's own state is where every stage starts
    detail::recorded_search<logging_search> r(prototype);
    r.begin_stage(7, -1.0);
    CHECK(r.top_x() == -1.0);
    CHECK(r.search().log == std::vector<std::string>{"reset 7"});
    CHECK(r.ask() == -8.25);
    r.tell(-2.0, 0.5, 0.25);  // 7.25 - 2 + 1 + 1
    CHECK(r.expected_gain() == 3.625);
    r.begin_stage(3, -2.0);  // a new stage: a fresh copy of the prototype
    CHECK(r.search().log == std::vector<std::string>{"reset 3"});
    CHECK(r.top_x() == -2.0);
}

TEST_CASE("recorded_search: warm_start keeps finite points at or below top_x", "[parts][recorded_search]") {
    detail::recorded_search<logging_search> r{logging_search{}};
    r.begin_stage(1, -1.0);
    const std::vector<autolrs::observation> improvements = {
        {-2.0, -0.5, 0.125},  // kept, shifted to the start: y 1.5
        {-0.5, -0.5, 0.125},  // above top_x
        {-1.0, 0.25, 0.0},    // at top_x: kept
        {-3.0, qnan, 0.125},   // not finite
        {-3.0, inf, 0.125},
        {-4.0, 0.0, inf},     // an infinite noise
        {-5.0, -inf, 0.0},
    };
    r.warm_start(improvements, 2.0, 0.25);
    CHECK(r.warm_started());
    const auto& warm = r.search().warm;
    REQUIRE(warm.size() == 2);
    CHECK(warm[0].x == -2.0);
    CHECK(warm[0].y == 1.5);
    CHECK(warm[0].noise_variance == 0.125);
    CHECK(warm[1].x == -1.0);
    CHECK(warm[1].y == 2.25);
    CHECK(r.search().warm_noise == 0.25);

    SECTION("a non-finite extra noise: no warm start at all") {
        r.begin_stage(1, -1.0);
        r.warm_start(improvements, 2.0, inf);
        CHECK_FALSE(r.warm_started());
        CHECK(r.search().log == std::vector<std::string>{"reset 1"});  // the search was not called
    }
    SECTION("nothing left: no warm start") {
        r.begin_stage(1, -6.0);  // every point above top_x
        r.warm_start(improvements, 2.0, 0.25);
        CHECK_FALSE(r.warm_started());
        CHECK(r.search().log == std::vector<std::string>{"reset 1"});
    }
}

TEST_CASE("recorded_search: rule_out_above tells the search and lowers top_x", "[parts][recorded_search]") {
    detail::recorded_search<logging_search> r{logging_search{}};
    r.begin_stage(0, -1.0);
    r.rule_out_above(-1.5);
    CHECK(r.top_x() == -1.5);
    r.rule_out_above(-0.5);  // above top_x: told, but top_x stays
    CHECK(r.top_x() == -1.5);
    const auto& log = r.search().log;
    REQUIRE(log.size() == 3);
    CHECK(log[1] == "infeasible " + std::to_string(-1.5));
    CHECK(log[2] == "infeasible " + std::to_string(-0.5));
}

TEST_CASE("recorded_search: replay rebuilds the same search", "[parts][recorded_search]") {
    const detail::recorded_search<bo> original = driven_search();
    SECTION("in place") {
        detail::recorded_search<bo> replayed = original;
        replayed.replay();
        CHECK(same_bits(replayed.search().expected_gain(), original.search().expected_gain()));
        bo a = original.search();
        bo b = replayed.search();
        for (int i = 0; i < 3; ++i) {
            const double xa = a.ask();
            CHECK(same_bits(xa, b.ask()));
            a.tell(xa, 1.0, 1e-4);
            b.tell(xa, 1.0, 1e-4);
        }
    }
    SECTION("saved and loaded into a fresh one") {
        const std::string text = save_search(original);
        detail::recorded_search<bo> loaded(make_bo());
        load_search(loaded, text);
        CHECK(loaded.top_x() == -0.5);
        CHECK(loaded.warm_started());
        CHECK(same_bits(loaded.search().expected_gain(), original.search().expected_gain()));
        bo a = original.search();
        bo b = loaded.search();
        CHECK(same_bits(a.ask(), b.ask()));
        CHECK(save_search(loaded) == text);
    }
}

namespace {

/// The saved text with the `which`-th call of kind `kind` (op: 0 reset, 1 warm_start, 2 ask,
/// 3 tell, 4 tell_infeasible, 5 gain) given another first value.
std::string tamper(const std::string& text, const std::string& kind, int which) {
    std::istringstream lines(text);
    std::string out, line;
    while (std::getline(lines, line)) {
        if (line.rfind("search_calls ", 0) == 0) {
            std::istringstream words(line);
            std::vector<std::string> w;
            for (std::string word; words >> word;) w.push_back(word);
            int seen = 0;
            for (std::size_t i = 2; i + 4 < w.size(); i += 5) {
                if (w[i] == kind && seen++ == which) {
                    w[i + 1] = detail::exact_text(std::strtod(w[i + 1].c_str(), nullptr) + 0.125);
                }
            }
            line.clear();
            for (const auto& word : w) line += (line.empty() ? "" : " ") + word;
        }
        out += line + '\n';
    }
    return out;
}

}  // namespace

TEST_CASE("recorded_search: a tampered call log makes replay throw invalid_state", "[parts][recorded_search]") {
    const std::string text = save_search(driven_search());
    for (const auto& [kind, which] : std::vector<std::pair<std::string, int>>{{"2", 0}, {"2", 3}, {"5", 1}}) {
        INFO("call kind " << kind << " #" << which);
        const std::string bad = tamper(text, kind, which);
        REQUIRE(bad != text);
        detail::recorded_search<bo> loaded(make_bo());
        CHECK_THROWS_AS(load_search(loaded, bad), autolrs::invalid_state);
    }
    SECTION("an unknown call") {
        std::string bad = text;
        const std::size_t at = bad.find("search_calls ");
        REQUIRE(at != std::string::npos);
        const std::size_t first_kind = bad.find(' ', bad.find(' ', at) + 1) + 1;
        REQUIRE(bad[first_kind] == '0');  // the reset
        bad[first_kind] = '9';
        detail::recorded_search<bo> loaded(make_bo());
        CHECK_THROWS_AS(load_search(loaded, bad), autolrs::invalid_state);
    }
    SECTION("the untampered text loads") {
        detail::recorded_search<bo> loaded(make_bo());
        CHECK_NOTHROW(load_search(loaded, text));
    }
}

// =============================================================================================
// ramps.hpp
// =============================================================================================

TEST_CASE("ramps: linear and cosine shapes", "[parts][ramps]") {
    using autolrs::ramp_shape;
    CHECK(detail::ramp(ramp_shape::linear, 0.0) == 0.0);
    CHECK(detail::ramp(ramp_shape::linear, 0.375) == 0.375);
    CHECK(detail::ramp(ramp_shape::linear, 1.0) == 1.0);
    CHECK(detail::ramp(ramp_shape::cosine, 0.0) == 0.0);
    CHECK(detail::ramp(ramp_shape::cosine, 1.0) == 1.0);
    CHECK(detail::ramp(ramp_shape::cosine, 0.5) == Approx(0.5).margin(1e-15));
    CHECK(detail::ramp(ramp_shape::cosine, 0.25) == Approx(0.5 * (1.0 - std::sqrt(0.5))).epsilon(1e-15));
}

TEST_CASE("ramps: the warmup rises from lr_min to its target at the last step", "[parts][ramps]") {
    controller_settings s{.lr_min = 0.125, .lr_max = 2.0};
    const double target = 1.125;
    CHECK(detail::warmup_lr_at(s, target, 0, 4) == 0.375);  // a quarter of the way
    CHECK(detail::warmup_lr_at(s, target, 1, 4) == 0.625);
    CHECK(detail::warmup_lr_at(s, target, 3, 4) == 1.125);
    CHECK(detail::warmup_lr_at(s, target, 0, 1) == 1.125);  // one step: the target at once
    s.warmup_shape = autolrs::ramp_shape::cosine;
    CHECK(detail::warmup_lr_at(s, target, 3, 4) == 1.125);
    CHECK(detail::warmup_lr_at(s, target, 1, 4) == 0.125 + 1.0 * 0.5 * (1.0 - std::cos(std::numbers::pi * 0.5)));
}

TEST_CASE("ramps: the cooldown falls from its start towards cooldown_final_ratio", "[parts][ramps]") {
    controller_settings s{.lr_min = 0.125, .lr_max = 2.0};
    s.cooldown_shape = autolrs::ramp_shape::linear;
    s.cooldown_final_ratio = 0.25;
    CHECK(detail::cooldown_lr_at(s, 2.0, 0, 4) == 2.0);  // the start at step 0
    CHECK(detail::cooldown_lr_at(s, 2.0, 1, 4) == 1.625);  // 2 * (0.25 + 0.75 * 0.75)
    CHECK(detail::cooldown_lr_at(s, 2.0, 2, 4) == 1.25);
    CHECK(detail::cooldown_lr_at(s, 2.0, 3, 4) == 0.875);  // the last step of 4
    CHECK(detail::cooldown_lr_at(s, 2.0, 4, 4) == 0.5);    // start * final ratio, one past the end
    CHECK(detail::cooldown_lr_at(s, 2.0, 0, 0) == 2.0);    // no division by a zero length
    s.cooldown_final_ratio = 0.0;
    CHECK(detail::cooldown_lr_at(s, 2.0, 3, 4) == 0.5);  // the last step is above 0
    s.cooldown_shape = autolrs::ramp_shape::cosine;
    CHECK(detail::cooldown_lr_at(s, 2.0, 0, 4) == 2.0);
    CHECK(detail::cooldown_lr_at(s, 2.0, 2, 4) == 2.0 * (1.0 - 0.5 * (1.0 - std::cos(std::numbers::pi * 0.5))));
}

// =============================================================================================
// state_io.hpp
// =============================================================================================

namespace {

struct sample_state {
    double d = 0.0;
    double negative_zero = 0.0;
    double tiny = 0.0;
    double infinite = 0.0;
    bool flag = false;
    std::uint32_t u32 = 0;
    std::uint64_t u64 = 0;
    autolrs::loss_signal signal = autolrs::loss_signal::training;
    std::vector<autolrs::observation> points;
    std::vector<double> buffer = std::vector<double>(8, 0.0);
    std::size_t used = 0;
    std::array<double, 3> fixed{};

    template <class Self, class V>
    static void visit_state(Self& s, V& v) {
        v.value("d", s.d);
        v.value("negative_zero", s.negative_zero);
        v.value("tiny", s.tiny);
        v.value("infinite", s.infinite);
        v.value("flag", s.flag);
        v.value("u32", s.u32);
        v.value("u64", s.u64);
        v.value("signal", s.signal);
        v.list("points", s.points, [](auto&& io, auto& o) {
            io(o.x);
            io(o.y);
            io(o.noise_variance);
        });
        v.prefix("buffer", s.buffer, s.used);
        v.array("fixed", s.fixed);
    }
};

sample_state filled_sample() {
    sample_state s;
    s.d = 0.1;
    s.negative_zero = -0.0;
    s.tiny = std::numeric_limits<double>::denorm_min();
    s.infinite = -inf;
    s.flag = true;
    s.u32 = 0xfffffffeU;
    s.u64 = 0xfedcba9876543210ULL;
    s.signal = autolrs::loss_signal::reference_switch;
    s.points = {{-1.5, 0.25, 0.0}, {-0.75, 1e-300, 3.0}};
    s.used = 3;
    s.buffer[0] = 1.0;
    s.buffer[1] = -2.5;
    s.buffer[2] = 1.0 / 3.0;
    s.buffer[3] = 42.0;  // beyond `used`: not saved
    s.fixed = {0.5, -0.25, 1e100};
    return s;
}

std::string save_sample(const sample_state& s) {
    std::ostringstream os;
    detail::state_text_writer w(os);
    detail::state_saver saver{w};
    sample_state::visit_state(s, saver);
    return os.str();
}

sample_state load_sample(const std::string& text) {
    std::istringstream is(text);
    detail::state_text_reader r(is);
    detail::state_loader loader{r};
    sample_state s;
    sample_state::visit_state(s, loader);
    return s;
}

/// The saved text with the line that starts with `key` replaced.
std::string with_line(const std::string& text, const std::string& key, const std::string& line) {
    std::istringstream lines(text);
    std::string out, l;
    while (std::getline(lines, l)) out += (l.rfind(key + " ", 0) == 0 ? line : l) + '\n';
    return out;
}

}  // namespace

TEST_CASE("state_io: save then load round trip", "[parts][state_io]") {
    const sample_state a = filled_sample();
    const std::string text = save_sample(a);
    // The format: one `key value...` line per field, doubles as hex floats.
    CHECK(text.find("d 0x1.999999999999ap-4\n") == 0);
    CHECK(text.find("\nflag 1\n") != std::string::npos);
    CHECK(text.find("\nsignal 2\n") != std::string::npos);
    CHECK(text.find("\nbuffer 3 0x1p+0 -0x1.4p+1 0x1.5555555555555p-2\n") != std::string::npos);
    CHECK(text.find("\npoints 2 ") != std::string::npos);

    const sample_state b = load_sample(text);
    CHECK(same_bits(b.d, a.d));
    CHECK(same_bits(b.negative_zero, -0.0));
    CHECK(same_bits(b.tiny, a.tiny));
    CHECK(same_bits(b.infinite, -inf));
    CHECK(b.flag);
    CHECK(b.u32 == a.u32);
    CHECK(b.u64 == a.u64);
    CHECK(b.signal == autolrs::loss_signal::reference_switch);
    REQUIRE(b.points.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(same_bits(b.points[i].x, a.points[i].x));
        CHECK(same_bits(b.points[i].y, a.points[i].y));
        CHECK(same_bits(b.points[i].noise_variance, a.points[i].noise_variance));
    }
    CHECK(b.used == 3);
    CHECK(b.buffer.size() == 8);  // the buffer keeps its capacity
    for (std::size_t i = 0; i < 3; ++i) CHECK(same_bits(b.buffer[i], a.buffer[i]));
    CHECK(b.buffer[3] == 0.0);
    for (std::size_t i = 0; i < 3; ++i) CHECK(same_bits(b.fixed[i], a.fixed[i]));
    CHECK(save_sample(b) == text);
}

TEST_CASE("state_io: a prefix longer than the buffer throws invalid_state", "[parts][state_io]") {
    const std::string text = save_sample(filled_sample());
    const std::string nine = with_line(text, "buffer", "buffer 9 1 2 3 4 5 6 7 8 9");
    CHECK_THROWS_AS(load_sample(nine), autolrs::invalid_state);
    const std::string huge = with_line(text, "buffer", "buffer 18446744073709551615 1");
    CHECK_THROWS_AS(load_sample(huge), autolrs::invalid_state);
    // The loader wants one slot spare: a prefix filling the whole buffer is refused too (the
    // controller's window has that spare slot).
    const std::string eight = with_line(text, "buffer", "buffer 8 1 2 3 4 5 6 7 8");
    CHECK_THROWS_AS(load_sample(eight), autolrs::invalid_state);
    const std::string seven = with_line(text, "buffer", "buffer 7 1 2 3 4 5 6 7");
    CHECK(load_sample(seven).used == 7);
}

TEST_CASE("state_io: damaged lines throw invalid_state", "[parts][state_io]") {
    const std::string text = save_sample(filled_sample());
    CHECK_THROWS_AS(load_sample(with_line(text, "flag", "flag 2")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "flag", "flags 1")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "u32", "u32 4294967296")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "u64", "u64 -1")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "d", "d 0x1p+0 0x1p+0")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "d", "d one")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "points", "points 3 0 0 0")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "points", "points 4294967297")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(with_line(text, "fixed", "fixed 1 2")), autolrs::invalid_state);
    CHECK_THROWS_AS(load_sample(text.substr(0, text.size() / 2)), autolrs::invalid_state);
    CHECK_THROWS_AS(detail::require_state(false, "what"), autolrs::invalid_state);
    CHECK_NOTHROW(detail::require_state(true, "what"));
}

TEST_CASE("state_io: the parts save and load their own fields", "[parts][state_io]") {
    const auto round_trip = [](const auto& part, auto fresh) {
        using Part = std::remove_cvref_t<decltype(part)>;
        std::ostringstream os;
        detail::state_text_writer w(os);
        detail::state_saver saver{w};
        Part::visit_state(part, saver);
        std::istringstream is(os.str());
        detail::state_text_reader r(is);
        detail::state_loader loader{r};
        Part::visit_state(fresh, loader);
        std::ostringstream again;
        detail::state_text_writer w2(again);
        detail::state_saver saver2{w2};
        Part::visit_state(fresh, saver2);
        CHECK(again.str() == os.str());
        return fresh;
    };
    detail::trajectory t;
    t.count_trajectory_step(0.125);
    t.begin_stage();
    t.record_stage_lr(0.5);
    t.count_trained();
    t.count_searched();
    t.count_skipped();
    const detail::trajectory t2 = round_trip(t, detail::trajectory{});
    CHECK(rows_of(t2) == rows_of(t));
    CHECK(t2.steps_total() == 3);
    CHECK(t2.steps_skipped() == 1);
    CHECK_NOTHROW(t2.check_loaded(100, 1.0));
    CHECK_THROWS_AS(t2.check_loaded(2, 1.0), autolrs::invalid_state);    // more steps than the budget
    CHECK_THROWS_AS(t2.check_loaded(100, 0.25), autolrs::invalid_state);  // an LR above lr_max

    detail::loss_guard g(4);
    for (int i = 0; i < 20; ++i) g.remember(i * 0.5);
    g.snapshot();
    g.remember(7.0);
    const detail::loss_guard g2 = round_trip(g, detail::loss_guard(4));
    CHECK(g2.recent_mean() == g.recent_mean());
    CHECK(g2.envelope() == g.envelope());
    CHECK_NOTHROW(g2.check_loaded());

    const detail::candidate_table c = five_candidates();
    const detail::candidate_table c2 = round_trip(c, detail::candidate_table{});
    CHECK(c2.size() == 5);
    CHECK(c2.best(inf) == 3);
    CHECK_NOTHROW(c2.check_loaded(10, 0.01, 0.5));
    CHECK_THROWS_AS(c2.check_loaded(4, 0.01, 0.5), autolrs::invalid_state);   // too many
    CHECK_THROWS_AS(c2.check_loaded(10, 0.02, 0.5), autolrs::invalid_state);  // an LR below lr_min
}

// =============================================================================================
// policies: stop_rule.hpp, initial_design.hpp, stage_objective.hpp
// =============================================================================================

TEST_CASE("expected_gain_stop: below early_stop_gain * scale, never before min_candidates", "[parts][stop_rule]") {
    STATIC_REQUIRE(autolrs::stage_stop_rule<autolrs::expected_gain_stop>);
    STATIC_REQUIRE(autolrs::stage_stop_rule<autolrs::never_stop_early>);
    controller_settings s{.lr_min = 1e-3, .lr_max = 1.0};
    s.early_stop_gain = 0.25;
    s.min_candidates = 3;
    int calls = 0;
    double gain = 0.25;
    auto query = [&] {
        ++calls;
        return gain;
    };
    const autolrs::expected_gain_query q(query);
    const autolrs::expected_gain_stop rule;

    // Fewer than min_candidates feasible: go on, without asking the search.
    autolrs::stop_verdict v = rule.verdict({5, 2, 2.0}, s, q);
    CHECK_FALSE(v.stop);
    CHECK(v.gain == 0.0);
    CHECK(v.scale == 0.0);
    CHECK(calls == 0);

    // min_candidates reached: 0.25 < 0.25 * 2 stops.
    v = rule.verdict({3, 3, 2.0}, s, q);
    CHECK(v.stop);
    CHECK(v.gain == 0.25);
    CHECK(v.scale == 2.0);
    CHECK(calls == 1);

    gain = 0.5;  // at the threshold: not below
    v = rule.verdict({4, 4, 2.0}, s, q);
    CHECK_FALSE(v.stop);
    CHECK(v.gain == 0.5);
    CHECK(v.scale == 2.0);
    CHECK(calls == 2);

    // No scale to measure against, or turned off: go on, without asking.
    CHECK_FALSE(rule.verdict({4, 4, 0.0}, s, q).stop);
    CHECK_FALSE(rule.verdict({4, 4, -1.0}, s, q).stop);
    CHECK_FALSE(rule.verdict({4, 4, qnan}, s, q).stop);
    s.early_stop_gain = 0.0;
    CHECK_FALSE(rule.verdict({4, 4, 2.0}, s, q).stop);
    CHECK(calls == 2);

    // never_stop_early: never, and never asks.
    s.early_stop_gain = 0.25;
    gain = 0.0;
    const autolrs::never_stop_early never;
    v = never.verdict({6, 6, 2.0}, s, q);
    CHECK_FALSE(v.stop);
    CHECK(v.gain == 0.0);
    CHECK(v.scale == 0.0);
    CHECK(calls == 2);
}

TEST_CASE("middle_out_design: the order for sizes 1 to 5", "[parts][initial_design]") {
    STATIC_REQUIRE(autolrs::initial_design<autolrs::middle_out_design>);
    const autolrs::middle_out_design d;
    // Over [0, size + 1] the points are 1 .. size: the j-th inner point is j + 1.
    const std::vector<std::vector<double>> expected = {
        {1},
        {2, 1},
        {2, 3, 1},
        {3, 4, 2, 1},
        {3, 4, 2, 5, 1},
    };
    for (std::uint32_t size = 1; size <= 5; ++size) {
        INFO("size " << size);
        std::vector<double> order;
        for (std::uint32_t i = 0; i < size; ++i) order.push_back(d.point(i, size, 0.0, size + 1.0));
        CHECK(order == expected[size - 1]);
    }
    // In log LR: three points evenly inside [-6, 0], the ends excluded.
    CHECK(d.point(0, 3, -6.0, 0.0) == -3.0);
    CHECK(d.point(1, 3, -6.0, 0.0) == -1.5);
    CHECK(d.point(2, 3, -6.0, 0.0) == -4.5);
}

namespace {

/// A forecaster whose answer shows what it was given.
struct echo_forecaster {
    [[nodiscard]] autolrs::forecast predict(std::span<const double> losses, double horizon) const {
        double sum = 0.0;
        for (const double l : losses) sum += l;
        return {sum + horizon, 0.125 * static_cast<double>(losses.size()), autolrs::forecast_status::fitted, 0};
    }
};

}  // namespace

TEST_CASE("horizon_forecast_objective: the forecast, less the probe's gain", "[parts][stage_objective]") {
    STATIC_REQUIRE(autolrs::stage_objective<autolrs::horizon_forecast_objective, echo_forecaster>);
    STATIC_REQUIRE(autolrs::stage_objective<autolrs::horizon_forecast_objective, autolrs::exponential_forecaster>);
    const autolrs::horizon_forecast_objective objective;
    const std::vector<double> losses = {9, 9, 9, 9, 9, 9, 9, 9, 3, 5, 100, 100, 2, 4};
    const std::span<const double> all(losses);

    SECTION("without a probe: the forecaster's prediction from the candidate's points") {
        const autolrs::forecast f = objective.judge(echo_forecaster{}, {all.first(10), 10, 0, 100.0});
        CHECK(f.value == 80.0 + 100.0);
        CHECK(f.stddev == 1.25);
        // Only the candidate's points, even when more are in the window.
        const autolrs::forecast g = objective.judge(echo_forecaster{}, {all, 10, 0, 100.0});
        CHECK(g.value == 180.0);
    }
    SECTION("with a probe: less_anneal_gain of that prediction") {
        const autolrs::forecast f = objective.judge(echo_forecaster{}, {all, 10, 4, 100.0});
        const autolrs::forecast expected = detail::less_anneal_gain({180.0, 1.25, autolrs::forecast_status::fitted}, all, 10, 4);
        CHECK(f.value == expected.value);
        CHECK(f.value == 179.0);  // the probe removed 1
        CHECK(f.stddev == expected.stddev);
    }
    SECTION("with the default forecaster") {
        const autolrs::exponential_forecaster forecaster;
        std::vector<double> window;
        for (int i = 0; i < 40; ++i) window.push_back(1.0 + 2.0 * std::exp(-0.05 * i) + 0.01 * ((i * 7) % 5));
        for (int i = 0; i < 10; ++i) window.push_back(0.9);  // the probe
        const std::span<const double> w(window);
        const autolrs::forecast plain = forecaster.predict(w.first(40), 400.0);
        const autolrs::forecast a = objective.judge(forecaster, {w.first(40), 40, 0, 400.0});
        CHECK(same_bits(a.value, plain.value));
        CHECK(same_bits(a.stddev, plain.stddev));
        CHECK(a.status == plain.status);
        const autolrs::forecast probed = detail::less_anneal_gain(plain, w, 40, 10);
        const autolrs::forecast b = objective.judge(forecaster, {w, 40, 10, 400.0});
        CHECK(same_bits(b.value, probed.value));
        CHECK(same_bits(b.stddev, probed.stddev));
        CHECK(b.value < a.value);
    }
}

// =============================================================================================
// controller.hpp: policies placed by the concept they satisfy
// =============================================================================================

namespace {

using autolrs::controller;
using default_gp = autolrs::gaussian_process<autolrs::matern52>;

using tail_mean = controller<autolrs::tail_mean_forecaster>;
static_assert(std::is_same_v<tail_mean::forecaster_type, autolrs::tail_mean_forecaster>);
static_assert(std::is_same_v<tail_mean::surrogate_type, default_gp>);
static_assert(std::is_same_v<tail_mean::acquisition_type, autolrs::expected_improvement>);
static_assert(std::is_same_v<tail_mean::stop_rule_type, autolrs::expected_gain_stop>);
static_assert(std::is_same_v<tail_mean::objective_type, autolrs::annealed_loss_objective>);
static_assert(std::is_same_v<tail_mean::initial_design_type, autolrs::middle_out_design>);

using lcb_never = controller<autolrs::lower_confidence_bound, autolrs::never_stop_early>;
static_assert(std::is_same_v<lcb_never::acquisition_type, autolrs::lower_confidence_bound>);
static_assert(std::is_same_v<lcb_never::stop_rule_type, autolrs::never_stop_early>);
static_assert(std::is_same_v<lcb_never::forecaster_type, autolrs::exponential_forecaster>);
static_assert(std::is_same_v<lcb_never::surrogate_type, default_gp>);
static_assert(std::is_same_v<lcb_never::search_type, autolrs::bayes_opt<default_gp, autolrs::lower_confidence_bound>>);

// The order of the arguments does not matter.
using never_lcb = controller<autolrs::never_stop_early, autolrs::lower_confidence_bound>;
static_assert(std::is_same_v<never_lcb::acquisition_type, autolrs::lower_confidence_bound>);
static_assert(std::is_same_v<never_lcb::stop_rule_type, autolrs::never_stop_early>);

using four = controller<autolrs::never_stop_early, autolrs::tail_mean_forecaster, autolrs::lower_confidence_bound,
                        autolrs::gaussian_process<autolrs::matern32>>;
using four_reordered = controller<autolrs::gaussian_process<autolrs::matern32>, autolrs::lower_confidence_bound,
                                  autolrs::tail_mean_forecaster, autolrs::never_stop_early>;
static_assert(std::is_same_v<four::search_type, four_reordered::search_type>);
static_assert(std::is_same_v<four::forecaster_type, autolrs::tail_mean_forecaster>);
static_assert(std::is_same_v<four_reordered::stop_rule_type, autolrs::never_stop_early>);
static_assert(std::is_same_v<four::surrogate_type, autolrs::gaussian_process<autolrs::matern32>>);

// controller<> is the default configuration.
static_assert(std::is_same_v<controller<>::search_type, autolrs::bayes_opt<default_gp, autolrs::expected_improvement>>);
static_assert(std::is_same_v<controller<>::forecaster_type, autolrs::exponential_forecaster>);

}  // namespace

TEST_CASE("controller<...> places policies by their concept, in any order", "[parts][controller]") {
    // The static_asserts above are the test; this builds one of the placed controllers.
    lcb_never c({.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 1000});
    CHECK(c.pending().kind == autolrs::directive_kind::checkpoint);
    STATIC_REQUIRE(std::is_same_v<decltype(c.chosen_policies().stop_rule), autolrs::never_stop_early>);
}

TEST_CASE("anneal_probe_lr_at: constant, or a linear decay to ratio x the candidate's LR", "[parts][anneal_probe]") {
    // Constant: the same as anneal_probe_lr at every step.
    for (std::uint64_t j = 0; j < 4; ++j) CHECK(detail::anneal_probe_lr_at(0.5, 0.1, 1e-3, false, j, 4) == detail::anneal_probe_lr(0.5, 0.1, 1e-3));
    // Decay over 4 steps from 0.5 to 0.05: 0.5 * (1 - 0.9 * (j + 1) / 4).
    CHECK(detail::anneal_probe_lr_at(0.5, 0.1, 1e-3, true, 0, 4) == Approx(0.3875));
    CHECK(detail::anneal_probe_lr_at(0.5, 0.1, 1e-3, true, 1, 4) == Approx(0.275));
    CHECK(detail::anneal_probe_lr_at(0.5, 0.1, 1e-3, true, 3, 4) == Approx(0.05));
    // Never below lr_min.
    CHECK(detail::anneal_probe_lr_at(0.01, 0.01, 1e-3, true, 3, 4) == 1e-3);
}

TEST_CASE("trajectory: keep_winner records a decaying probe step by step", "[parts][trajectory]") {
    detail::trajectory t;
    for (int i = 0; i < 6; ++i) t.count_searched();  // 4 candidate steps, 2 probe steps
    t.record_stage_lr(0.5);
    t.keep_winner(4, 2, 0.5, [](std::uint64_t j) { return j == 0 ? 0.3 : 0.1; });
    const auto rows = t.rows();
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].start_step == 0);
    CHECK(rows[0].lr == 0.5);
    CHECK(rows[1].start_step == 4);
    CHECK(rows[1].lr == 0.3);
    CHECK(rows[2].start_step == 5);
    CHECK(rows[2].lr == 0.1);
    CHECK(rows[3].start_step == 6);
    CHECK(rows[3].lr == 0.5);
    CHECK(t.steps_trained() == 6);
    CHECK(t.steps_searched() == 0);
}

TEST_CASE("annealed_loss_objective: the mean of the probe's last fifth, no extrapolation", "[parts][stage_objective]") {
    STATIC_REQUIRE(autolrs::stage_objective<autolrs::annealed_loss_objective, autolrs::exponential_forecaster>);
    STATIC_REQUIRE(autolrs::described_objective<autolrs::annealed_loss_objective>);
    STATIC_REQUIRE(!autolrs::described_objective<autolrs::horizon_forecast_objective>);
    const autolrs::annealed_loss_objective objective;
    // 10 candidate points (last fifth: 4, 6 -> level 5, spread 2), then 10 probe points (last fifth: 1, 3).
    const std::vector<double> losses = {9, 9, 9, 9, 9, 9, 9, 9, 4, 6, 8, 7, 6, 5, 4, 3, 2, 2, 1, 3};
    const std::span<const double> all(losses);
    SECTION("with a probe") {
        const autolrs::forecast f = objective.judge(echo_forecaster{}, {all, 10, 10, 100.0});
        CHECK(f.value == 2.0);
        CHECK(f.stddev == Approx(std::sqrt(2.0 / 2.0)));  // sqrt(spread / (2 - 1) / 2 averaged)
        CHECK(f.status == autolrs::forecast_status::fallback_flat);
    }
    SECTION("without a probe: the mean of the window's last fifth") {
        const autolrs::forecast f = objective.judge(echo_forecaster{}, {all.first(10), 10, 0, 100.0});
        CHECK(f.value == 5.0);
    }
    SECTION("the stddev from the probe's last points (second differences)") {
        const autolrs::annealed_loss_objective from_probe{.noise = autolrs::annealed_noise::probe_tail};
        const autolrs::forecast f = from_probe.judge(echo_forecaster{}, {all, 10, 10, 100.0});
        CHECK(f.value == 2.0);  // the value is the same
        // the last max(3, 2) points 2, 1, 3: second difference 3, variance 9 / 6, over 2 averaged
        CHECK(f.stddev == Approx(std::sqrt(1.5 / 2.0)));
        // a steady fall is no noise
        const std::vector<double> falling = {9, 9, 9, 9, 9, 9, 9, 9, 4, 6, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
        CHECK(from_probe.judge(echo_forecaster{}, {std::span<const double>(falling), 10, 10, 100.0}).stddev == 0.0);
        // a probe too short for three points: the candidate's own tail, as by default
        const std::span<const double> short_probe = all.first(12);
        CHECK(from_probe.judge(echo_forecaster{}, {short_probe, 10, 2, 100.0}).stddev ==
              objective.judge(echo_forecaster{}, {short_probe, 10, 2, 100.0}).stddev);
    }
    SECTION("a non-finite loss at the end: invalid input") {
        std::vector<double> bad = losses;
        bad.back() = std::numeric_limits<double>::quiet_NaN();
        CHECK(objective.judge(echo_forecaster{}, {std::span<const double>(bad), 10, 10, 100.0}).status ==
              autolrs::forecast_status::invalid_input);
    }
}

TEST_CASE("controller with a decaying anneal probe: the probe's LR falls step by step, the found schedule replays it",
          "[parts][controller][anneal_probe]") {
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 2000};
    s.anneal_probe_decay = true;
    s.anneal_probe_ratio = 0.01;
    autolrs::controller<autolrs::annealed_loss_objective> ctl(s);
    std::vector<double> probe_lrs;
    bool probing = false, saw_message = false;
    double x = 1.0;
    std::vector<double> trajectory_lrs;
    std::vector<std::pair<std::vector<double>, double>> slots(2);
    for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done;) {
        for (const autolrs::event& e : ctl.events()) {
            if (e.kind == autolrs::event_kind::candidate_end) {
                saw_message = saw_message || e.message == autolrs::annealed_loss_objective::judged_by;
                probing = false;
            }
        }
        switch (d.kind) {
            case autolrs::directive_kind::train:
                if (probing) probe_lrs.push_back(d.learning_rate);
                x -= d.learning_rate * 0.1 * x;
                d = ctl.tell_step(0.5 * x * x + 0.01 * d.learning_rate);
                break;
            case autolrs::directive_kind::checkpoint:
                slots[d.slot] = {{x}, 0.0};
                d = ctl.tell_checkpointed();
                break;
            case autolrs::directive_kind::restore:
                x = slots[d.slot].first[0];
                d = ctl.tell_restored();
                break;
            case autolrs::directive_kind::evaluate: d = ctl.tell_validation(0.5 * x * x); break;
            case autolrs::directive_kind::done: break;
        }
        for (const autolrs::event& e : ctl.events()) {
            if (e.kind == autolrs::event_kind::candidate_start) probing = false;
        }
    }
    CHECK(saw_message);
    CHECK(ctl.finished());
    // The found schedule has one row per probe step of each kept winner: strictly more rows than
    // stages + cooldown steps would need with a constant probe, and every LR inside [0, lr_max].
    for (const auto& row : ctl.schedule_rows()) {
        CHECK(row.lr > 0.0);
        CHECK(row.lr <= 1.0);
    }
    // The rows of a decaying probe fall: some row is followed by a strictly lower one that is
    // followed by a strictly lower one again before the LR goes back up.
    const auto rows = ctl.schedule_rows();
    bool falling_run = false;
    for (std::size_t i = 2; i < rows.size(); ++i) falling_run = falling_run || (rows[i].lr < rows[i - 1].lr && rows[i - 1].lr < rows[i - 2].lr);
    CHECK(falling_run);
}
