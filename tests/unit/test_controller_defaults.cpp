#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using autolrs::directive_kind;
using autolrs::event_kind;
using namespace autolrs_test;

namespace {

std::vector<std::string> describe_run(autolrs::controller<>& ctl, noisy_quadratic& trainer) {
    std::vector<std::string> out;
    autolrs::directive_executor host(trainer, ctl);
    for (autolrs::directive d = ctl.pending();;) {
        out.push_back(describe(d, ctl.events()));
        if (d.kind == directive_kind::done) break;
        d = host.carry_out(ctl);
    }
    return out;
}

}  // namespace

TEST_CASE("controller<>: Bayesian optimisation and the default forecaster, within the budget", "[controller][defaults]") {
    static_assert(std::is_same_v<autolrs::controller<>::surrogate_type, autolrs::gaussian_process<autolrs::matern52>>);
    static_assert(std::is_same_v<autolrs::controller<>::acquisition_type, autolrs::expected_improvement>);
    static_assert(std::is_same_v<autolrs::controller<>::forecaster_type, autolrs::exponential_forecaster>);
    noisy_quadratic trainer(5);
    std::vector<autolrs::event> events;
    const auto result = autolrs::run(trainer, autolrs::controller_settings{.lr_min = 1e-3, .lr_max = 1.0}, 4000,
                                     [&](const autolrs::event& e) { events.push_back(e); });
    CHECK(result.completed);
    CHECK(result.steps_total == 4000);
    CHECK(result.steps_trained + result.steps_searched == 4000);
    CHECK(result.searched_per_trained_step() <= 0.5);
    std::size_t chosen = 0;
    for (const auto& e : events) {
        if (e.kind == event_kind::candidate_end) {
            CHECK(e.learning_rate >= 1e-3);
            CHECK(e.learning_rate <= 1.0);
            CHECK(std::isfinite(e.forecast));
            CHECK(e.stddev >= 0.0);
        }
        chosen += e.kind == event_kind::stage_lr_chosen ? 1 : 0;
    }
    CHECK(chosen == 2);  // the defaults search twice, then decay
}

TEST_CASE("controller<>: a bad interval names lr_min / lr_max, not the search's x_min", "[controller][defaults]") {
    try {
        autolrs::controller<> c({.lr_min = 0.0, .lr_max = 1.0});
        FAIL("accepted lr_min = 0");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "lr_min");
    }
    CHECK_THROWS_AS(autolrs::controller<>({.lr_min = 1.0, .lr_max = 1.0}), autolrs::invalid_setting);
}

TEST_CASE("controller<>: deterministic, and resumable mid-stage with the real search", "[controller][defaults][resume]") {
    const autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 1500, .seed = 3};
    noisy_quadratic t1(9), t2(9);
    autolrs::controller<> a(s), b(s);
    const auto x = describe_run(a, t1);
    const auto y = describe_run(b, t2);
    REQUIRE(x == y);

    // Cut every 37 calls: save, load into a fresh controller, go on; same decisions.
    for (std::size_t cut = 1; cut < x.size(); cut += 37) {
        noisy_quadratic trainer(9);
        autolrs::controller<> first(s);
        // One host (trainer, slots, LR) for both controllers: the checkpoints outlive the save.
        autolrs::directive_executor host(trainer, first);
        for (std::size_t i = 0; i < cut; ++i) host.carry_out(first);
        autolrs::controller<> second(s);
        second.load(first.save());
        std::vector<std::string> rest;
        for (autolrs::directive d = second.pending();;) {
            rest.push_back(describe(d, second.events()));
            if (d.kind == directive_kind::done) break;
            d = host.carry_out(second);
        }
        INFO("cut " << cut);
        REQUIRE(rest.size() == x.size() - cut);
        for (std::size_t i = 1; i < rest.size(); ++i) REQUIRE(rest[i] == x[cut + i]);
    }
}

TEST_CASE("reference_controller: the reference's search, forecaster and stage plan", "[controller][reference]") {
    static_assert(std::is_same_v<autolrs::reference_controller::acquisition_type, autolrs::lower_confidence_bound>);
    static_assert(std::is_same_v<autolrs::reference_controller::forecaster_type, autolrs::reference_exponential_forecaster>);
    auto ref = autolrs::make_reference_controller(1e-3, 1.0, 6000);
    CHECK(ref.settings().candidates == 10);
    CHECK(ref.search().acquisition().kappa == 1e6);
    noisy_quadratic trainer(2);
    std::vector<autolrs::event> events;
    const auto result = autolrs::run(trainer, ref, [&](const autolrs::event& e) { events.push_back(e); });
    CHECK(result.steps_total == 6000);
    // Stages of 1000 then 2000 steps after 10 candidates of 100 then 200: as much search as training.
    std::vector<std::uint64_t> horizons;
    std::size_t candidates = 0;
    for (const auto& e : events) {
        if (e.kind == event_kind::stage_start) horizons.push_back(e.length);
        candidates += e.kind == event_kind::candidate_start ? 1 : 0;
        CHECK(e.kind != event_kind::cooldown_start);
    }
    CHECK(horizons == std::vector<std::uint64_t>{1000, 2000});
    CHECK(candidates == 20);
    CHECK(result.steps_searched == 3000);
    CHECK(result.searched_per_trained_step() == Approx(1.0));
}

TEST_CASE("reference_controller: a budget that ends inside a search leaves the last finished stage's model", "[controller][reference]") {
    // 2500 steps: stage 0 (10 candidates of 100 steps, then 1000) ends at 2000; stage 1's search
    // (10 candidates of 200) is cut at 2500. The trainer must end as it was at step 2000.
    auto ref = autolrs::make_reference_controller(1e-3, 1.0, 2500, 3);
    noisy_quadratic trainer(3);
    double x_at_stage_1 = std::numeric_limits<double>::quiet_NaN();
    std::vector<autolrs::event> events;
    const auto result = autolrs::run(trainer, ref, [&](const autolrs::event& e) {
        events.push_back(e);
        if (e.kind == event_kind::stage_start && e.stage == 1) x_at_stage_1 = trainer.x();
    });
    CHECK(result.steps_total == 2500);
    REQUIRE(std::isfinite(x_at_stage_1));
    CHECK(trainer.x() == x_at_stage_1);
    REQUIRE(!events.empty());
    CHECK(events.back().kind == event_kind::done);
    CHECK(events.back().message.find("inside a search") != std::string_view::npos);
    CHECK(std::isnan(result.final_loss));  // not the cut candidate's loss: the model was restored
    // Budgets that end in a stage's training keep that model: no restore at the end.
    auto whole = autolrs::make_reference_controller(1e-3, 1.0, 6000, 3);
    noisy_quadratic other(3);
    std::vector<autolrs::event> whole_events;
    const auto whole_result = autolrs::run(other, whole, [&](const autolrs::event& e) { whole_events.push_back(e); });
    CHECK(whole_events.back().message == "the step budget is spent");
    CHECK(std::isfinite(whole_result.final_loss));
}

TEST_CASE("run takes the settings as a braced list, with or without an observer", "[run][defaults]") {
    noisy_quadratic a(1), b(1);
    const auto r1 = autolrs::run(a, {.lr_min = 1e-3, .lr_max = 1.0}, 800);
    std::size_t events = 0;
    const auto r2 = autolrs::run(b, {.lr_min = 1e-3, .lr_max = 1.0}, 800, [&](const autolrs::event&) { ++events; });
    CHECK(r1.steps_total == 800);
    CHECK(r2.events == events);
    CHECK(a.x() == b.x());  // observing does not change a run
}

TEST_CASE("smooth_choice: the stage trains at the candidate with the lowest posterior mean of the search", "[controller][defaults]") {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        noisy_quadratic trainer(seed);
        autolrs::controller<> ctl(autolrs::controller_settings{
            .lr_min = 1e-3, .lr_max = 1.0, .total_steps = 3000, .smooth_choice = true,
            .incumbent_margin = 0.0,  // else a later stage may keep its incumbent against a lower mean
            .seed = seed});
        std::vector<autolrs::event> ends;
        std::size_t checked = 0;
        (void)autolrs::run(trainer, ctl, [&](const autolrs::event& e) {
            if (e.kind == event_kind::stage_start) ends.clear();
            if (e.kind == event_kind::candidate_end) ends.push_back(e);
            if (e.kind != event_kind::stage_lr_chosen) return;
            double lowest = std::numeric_limits<double>::infinity();
            for (const auto& c : ends) lowest = std::min(lowest, ctl.search().posterior_mean(std::log(c.learning_rate)));
            CHECK(ctl.search().posterior_mean(std::log(e.learning_rate)) == lowest);
            ++checked;
        });
        CHECK(checked >= 2);
    }
}
