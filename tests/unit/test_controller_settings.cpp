#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

autolrs::controller_settings good() { return {.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 10000}; }

struct bad_case {
    std::string field;
    std::function<void(autolrs::controller_settings&)> spoil;
};

}  // namespace

TEST_CASE("default settings with an interval are valid", "[controller][settings]") {
    CHECK_NOTHROW(good().validate());
    CHECK_NOTHROW(autolrs::controller_settings::reference(1e-3, 1.0).validate());
}

TEST_CASE("every bad setting throws invalid_setting naming its field", "[controller][settings]") {
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<bad_case> cases = {
        {"lr_min", [](auto& s) { s.lr_min = 0.0; }},
        {"lr_min", [](auto& s) { s.lr_min = -1e-3; }},
        {"lr_min", [nan](auto& s) { s.lr_min = nan; }},
        {"lr_max", [inf](auto& s) { s.lr_max = inf; }},
        {"lr_max", [](auto& s) { s.lr_max = -1.0; }},
        {"lr_max", [](auto& s) { s.lr_max = s.lr_min; }},
        {"lr_max", [](auto& s) { s.lr_max = s.lr_min / 2; }},
        {"candidates", [](auto& s) { s.candidates = 0; }},
        {"min_candidates", [](auto& s) { s.min_candidates = 0; }},
        {"min_candidates", [](auto& s) { s.min_candidates = s.candidates + 1; }},
        {"early_stop_gain", [](auto& s) { s.early_stop_gain = -0.1; }},
        {"early_stop_gain", [nan](auto& s) { s.early_stop_gain = nan; }},
        {"candidate_fraction", [](auto& s) { s.candidate_fraction = 0.0; }},
        {"candidate_fraction", [](auto& s) { s.candidate_fraction = 1.5; }},  // tau' > tau
        {"candidate_fraction", [inf](auto& s) { s.candidate_fraction = inf; }},
        {"growth", [](auto& s) { s.growth = 0.5; }},
        {"growth", [nan](auto& s) { s.growth = nan; }},
        {"tau_max", [](auto& s) {
             s.tau0 = 1000;
             s.tau_max = 500;
         }},
        {"warmup_lr", [](auto& s) { s.warmup_lr = 2.0; }},
        {"warmup_lr", [](auto& s) { s.warmup_lr = 1e-4; }},
        {"warmup_steps", [](auto& s) { s.warmup_steps = s.total_steps; }},
        {"warm_start_noise", [](auto& s) { s.warm_start_noise = -1.0; }},
        {"cooldown_fraction", [](auto& s) { s.cooldown_fraction = 1.0; }},
        {"cooldown_fraction", [](auto& s) { s.cooldown_fraction = -0.1; }},
        {"cooldown_final_ratio", [](auto& s) { s.cooldown_final_ratio = 1.5; }},
        {"bound_tolerance", [](auto& s) { s.bound_tolerance = 0.5; }},
        {"divergence_factor", [](auto& s) { s.divergence_factor = 1.0; }},
        {"divergence_factor", [nan](auto& s) { s.divergence_factor = nan; }},
        {"divergence_patience", [](auto& s) { s.divergence_patience = 0; }},
        {"divergence_memory", [](auto& s) { s.divergence_memory = 0; }},
        {"divergence_backoff", [](auto& s) { s.divergence_backoff = 1.0; }},
        {"divergence_backoff", [](auto& s) { s.divergence_backoff = 0.0; }},
    };
    for (const bad_case& c : cases) {
        autolrs::controller_settings s = good();
        c.spoil(s);
        INFO("field " << c.field);
        try {
            s.validate();
            FAIL("validate() accepted a bad " << c.field);
        } catch (const autolrs::invalid_setting& e) {
            CHECK(e.field() == c.field);
        }
        // The controller validates at construction too.
        try {
            (void)autolrs_test::test_controller(s, autolrs_test::grid_search(-1.0, 0.0));
            FAIL("the controller accepted a bad " << c.field);
        } catch (const autolrs::invalid_setting& e) {
            CHECK(e.field() == c.field);
        }
    }
}

TEST_CASE("an infinite divergence factor is allowed: only non-finite losses diverge", "[controller][settings]") {
    autolrs::controller_settings s = good();
    s.divergence_factor = std::numeric_limits<double>::infinity();
    CHECK_NOTHROW(s.validate());
}

TEST_CASE("the reference preset is the reference implementation's configuration", "[controller][settings]") {
    const auto s = autolrs::controller_settings::reference(1e-3, 1.0);
    CHECK(s.candidates == 10);
    CHECK(s.min_candidates == 10);
    CHECK(s.early_stop_gain == 0.0);
    CHECK(s.tau0 == 1000);
    CHECK(s.candidate_fraction == 0.1);
    CHECK(s.growth == 2.0);
    CHECK(s.tau_max == 8000);
    CHECK(s.signal == autolrs::loss_signal::reference_switch);
    CHECK_FALSE(s.keep_winner_state);
    CHECK_FALSE(s.warm_start);
    CHECK(s.cooldown_fraction == 0.0);
    CHECK_FALSE(s.budget_aware);
}

TEST_CASE("automatic stage lengths follow the budget", "[controller][settings]") {
    auto s = good();  // 10000 steps
    const auto c = autolrs_test::make_test_controller(s);
    CHECK(c.first_stage_length() == 10000 / 10);
    CHECK(c.longest_stage_length() == 10000 / 4);
    CHECK(c.cooldown_steps() == 7000);
    s.total_steps = 0;  // unknown budget: the reference's lengths, no cooldown
    const auto u = autolrs_test::make_test_controller(s);
    CHECK(u.first_stage_length() == 1000);
    CHECK(u.longest_stage_length() == 8000);
    CHECK(u.cooldown_steps() == 0);
}

TEST_CASE("the defaults search twice: a tenth, then a fifth that keeps the LR unless clearly beaten, then a cosine",
          "[controller][settings]") {
    const auto s = autolrs::controller_settings::search_twice(1e-3, 1.0, 10000);
    CHECK_NOTHROW(s.validate());
    // search_twice is the defaults with the budget required
    CHECK(autolrs::detail::describe(s) ==
          autolrs::detail::describe(autolrs::controller_settings{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 10000}));
    STATIC_REQUIRE(std::is_same_v<autolrs::search_twice_controller::objective_type, autolrs::annealed_loss_objective>);
    STATIC_REQUIRE(std::is_same_v<autolrs::controller<>::objective_type, autolrs::annealed_loss_objective>);
    CHECK(s.tau0 == 0);
    CHECK(s.tau0_fraction == 0.1);
    CHECK(s.growth == 2.0);
    CHECK(s.cooldown_fraction == 0.7);
    CHECK(s.cooldown_shape == autolrs::ramp_shape::cosine);
    CHECK(s.incumbent_margin == 2.0);
    CHECK(s.anneal_probe == 1.0);
    CHECK(s.anneal_probe_decay);
    // two stages fill what the cooldown leaves: a tenth, then a fifth
    const autolrs::search_twice_controller ctl = autolrs::make_search_twice_controller(1e-3, 1.0, 10000, 7);
    CHECK(ctl.settings().seed == 7);
    CHECK(ctl.first_stage_length() == 1000);
    CHECK(ctl.cooldown_steps() == 7000);
    // a tenth of the budget the controller is given: after a range test, of what it left
    auto after_test = s;
    after_test.total_steps = 9800;
    CHECK(autolrs::detail::resolve_stage_lengths(after_test).first == 980);
    // a huge budget: the first stage is capped where a candidate's window still fits
    const auto huge = autolrs::controller_settings::search_twice(1e-3, 1.0, 1ULL << 40);
    CHECK_NOTHROW(huge.validate());
    CHECK(autolrs::detail::resolve_stage_lengths(huge).first < (1ULL << 40) / 10);
    CHECK_THROWS_AS(autolrs::controller_settings::search_twice(1e-3, 1.0, 0), autolrs::invalid_setting);
}

TEST_CASE("tau0_fraction: the first stage as a share of the budget; 0 keeps total_steps / 16", "[controller][settings]") {
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 12345};
    CHECK(autolrs::detail::resolve_stage_lengths(s).first == 1234);  // the default: a tenth
    s.tau0_fraction = 0.0;
    CHECK(autolrs::detail::resolve_stage_lengths(s).first == 12345 / 16);
    s.tau0_fraction = 0.25;
    CHECK(autolrs::detail::resolve_stage_lengths(s).first == 3086);
    s.tau0 = 100;  // an explicit tau0 wins
    CHECK(autolrs::detail::resolve_stage_lengths(s).first == 100);
    for (const double bad : {-0.1, 1.0, std::numeric_limits<double>::quiet_NaN()}) {
        autolrs::controller_settings b{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 1000};
        b.tau0_fraction = bad;
        CHECK_THROWS_AS(b.validate(), autolrs::invalid_setting);
    }
}

TEST_CASE("horizon_stages: the defaults before the sixth session, judged at the stage's horizon", "[controller][settings]") {
    const auto s = autolrs::controller_settings::horizon_stages(1e-3, 1.0, 10000);
    CHECK_NOTHROW(s.validate());
    CHECK(s.tau0 == 0);
    CHECK(s.tau0_fraction == 0.0);
    CHECK(s.anneal_probe == 0.5);
    CHECK_FALSE(s.anneal_probe_decay);
    CHECK(s.incumbent_margin == 0.0);
    CHECK(s.cooldown_fraction == 0.2);
    CHECK(s.cooldown_shape == autolrs::ramp_shape::linear);
    STATIC_REQUIRE(std::is_same_v<autolrs::horizon_stages_controller::objective_type, autolrs::horizon_forecast_objective>);
    const autolrs::horizon_stages_controller ctl = autolrs::make_horizon_stages_controller(1e-3, 1.0, 10000, 5);
    CHECK(ctl.settings().seed == 5);
    CHECK(ctl.first_stage_length() == 10000 / 16);
    CHECK(ctl.longest_stage_length() == 10000 / 4);
    CHECK(ctl.cooldown_steps() == 2000);
    // the budget may be unknown: the reference's lengths, no cooldown
    const auto u = autolrs::make_horizon_stages_controller(1e-3, 1.0);
    CHECK(u.first_stage_length() == 1000);
    CHECK(u.cooldown_steps() == 0);
}

TEST_CASE("search_once: one searched stage over the first fifth, then a cosine to 0 over the rest",
          "[controller][settings]") {
    const auto s = autolrs::controller_settings::search_once(1e-3, 1.0, 10000);
    CHECK_NOTHROW(s.validate());
    CHECK(s.tau0 == 2000);
    CHECK(s.cooldown_fraction == 0.8);
    CHECK(s.cooldown_shape == autolrs::ramp_shape::cosine);
    // a huge budget: the first stage is capped where a candidate's window still fits
    const auto huge = autolrs::controller_settings::search_once(1e-3, 1.0, 1ULL << 40);
    CHECK_NOTHROW(huge.validate());
    CHECK(huge.tau0 < (1ULL << 40) / 5);
    try {
        (void)autolrs::controller_settings::search_once(1e-3, 1.0, 0);
        FAIL("an unknown budget was accepted");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(std::string(e.what()).find("total_steps") != std::string::npos);
    }

    autolrs::horizon_stages_controller ctl(s);
    autolrs_test::noisy_quadratic trainer(11);
    std::uint32_t searched_stages = 0;
    std::uint64_t cooldown_start = 0;
    const autolrs::run_result r = autolrs::run(trainer, ctl, [&](const autolrs::event& e) {
        if (e.kind == autolrs::event_kind::stage_lr_chosen) ++searched_stages;
        if (e.kind == autolrs::event_kind::cooldown_start) cooldown_start = e.step;
    });
    CHECK(r.steps_total == 10000);
    CHECK(searched_stages == 1);
    CHECK(cooldown_start == 2000);  // where four fifths of the budget remain (the event counts every step)
    CHECK(r.steps_searched > 0);
    CHECK(r.steps_searched < 1000);
    // on the found schedule (trained steps only) the cooldown is the last 8000 steps
    REQUIRE(r.steps_trained > 8000);
    const std::uint64_t first = r.steps_trained - 8000;
    const auto schedule = r.found_schedule();
    bool falls = true;
    for (std::uint64_t t = first + 1; t < r.steps_trained; ++t) falls = falls && schedule(t) <= schedule(t - 1);
    CHECK(falls);
    CHECK(schedule(first) == schedule(first - 1));  // from the searched stage's LR
    CHECK(schedule(r.steps_trained - 1) < 0.01 * schedule(first));
}
