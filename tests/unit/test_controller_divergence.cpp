#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using autolrs::directive_kind;
using autolrs::event_kind;
using namespace autolrs_test;

namespace {

std::vector<autolrs::event> all_events(const std::vector<trace_entry>& trace) {
    std::vector<autolrs::event> out;
    for (const auto& e : trace) out.insert(out.end(), e.events.begin(), e.events.end());
    return out;
}

std::size_t count(const std::vector<autolrs::event>& events, event_kind k) {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == k ? 1 : 0;
    return n;
}

autolrs::controller_settings base() {
    return {.lr_min = 0.01,
            .lr_max = 3.0,
            .total_steps = 0,
            .candidates = 6,
            .min_candidates = 6,
            .early_stop_gain = 0.0,
            .tau0 = 100,
            .candidate_fraction = 0.1,
            .tau_max = 100,
            .keep_winner_state = false,
            .warm_start = false,
            .cooldown_fraction = 0.0};
}

/// SGD on a quadratic whose curvature jumps from 1 to 4 at age `sharpen_at`: an LR that
/// was fine during the candidates diverges later in the stage.
class sharpening_trainer {
public:
    struct checkpoint_type {
        double v;
        std::uint64_t age;
    };
    explicit sharpening_trainer(std::uint64_t sharpen_at) : sharpen_at_(sharpen_at) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        const double h = age_ < sharpen_at_ ? 1.0 : 4.0;
        const double loss = 0.5 * h * v_;
        const double r = 1.0 - lr_ * h;
        v_ = r * r * v_ + lr_ * lr_ * 0.01;
        ++age_;
        max_lr_after_sharpening_ = age_ > sharpen_at_ ? std::max(max_lr_after_sharpening_, lr_) : max_lr_after_sharpening_;
        return loss;
    }
    double validation_loss() { return 0.5 * v_; }
    checkpoint_type checkpoint() { return {v_, age_}; }
    void restore(const checkpoint_type& c) {
        v_ = c.v;
        age_ = c.age;
    }
    [[nodiscard]] double v() const { return v_; }

private:
    std::uint64_t sharpen_at_;
    double v_ = 1.0;
    double lr_ = 0.0;
    std::uint64_t age_ = 0;
    double max_lr_after_sharpening_ = 0.0;
};

}  // namespace

TEST_CASE("a candidate with a non-finite loss is infeasible: told as such, never as a number", "[controller][divergence]") {
    auto s = base();
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    trainer.nan_above(0.5);
    std::vector<grid_search::call> calls;
    std::vector<trace_entry> trace;
    // Run two stages, collecting the search's calls of each stage before it is rebuilt.
    autolrs::directive_executor host(trainer, ctl);
    std::size_t stage_starts = 0;
    while (stage_starts < 3) {
        for (const auto& e : ctl.events()) {
            if (e.kind == event_kind::stage_start) {
                ++stage_starts;
                calls.insert(calls.end(), ctl.search().calls().begin(), ctl.search().calls().end());
            }
            if (e.kind == event_kind::candidate_diverged) {
                CHECK(e.learning_rate > 0.5);
                CHECK(e.length == 1);  // stopped at once
                CHECK(std::isnan(e.loss));
            }
            if (e.kind == event_kind::candidate_end) CHECK(e.learning_rate <= 0.5);
            if (e.kind == event_kind::stage_lr_chosen) CHECK(e.learning_rate <= 0.5);
        }
        trace.push_back({ctl.pending(), {ctl.events().begin(), ctl.events().end()}});
        host.carry_out(ctl);
    }
    const auto events = all_events(trace);
    CHECK(count(events, event_kind::candidate_diverged) >= 2);
    std::size_t infeasible = 0;
    for (const auto& c : calls) {
        if (c.op == 'i') {  // at divergence_backoff times the diverged LR
            ++infeasible;
            CHECK(std::exp(c.x) / s.divergence_backoff > 0.5);
        }
        if (c.op == 't') {
            CHECK(std::exp(c.x) <= 0.5);
            CHECK(std::isfinite(c.y));
            CHECK(c.y < 10.0);  // never a 1e6 stand-in
        }
    }
    CHECK(infeasible == count(events, event_kind::candidate_diverged));
    CHECK(ctl.divergences() == 0);  // candidates diverging is not a stage divergence
    // Diverged candidates do not count towards k: each stage still has k forecasts
    // (at most 2k candidates in all).
    for (std::uint32_t stage = 0; stage < 2; ++stage) {
        std::size_t ends = 0, starts = 0;
        for (const auto& e : events) {
            if (e.stage != stage) continue;
            ends += e.kind == event_kind::candidate_end ? 1 : 0;
            starts += e.kind == event_kind::candidate_start ? 1 : 0;
        }
        CHECK(ends == s.candidates);
        CHECK(starts <= 2 * s.candidates);
    }
}

TEST_CASE("a candidate whose loss explodes (finite) is infeasible after `patience` measurements", "[controller][divergence]") {
    auto s = base();  // h = 1: LRs above 2 diverge
    s.divergence_factor = 5.0;
    s.divergence_patience = 3;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 300);
    const auto events = all_events(trace);
    REQUIRE(count(events, event_kind::candidate_diverged) >= 1);
    for (const auto& e : events) {
        if (e.stage != 0) continue;  // the first stage starts at loss 0.5
        if (e.kind == event_kind::candidate_diverged) {
            CHECK(e.learning_rate > 2.0);
            CHECK(std::isfinite(e.loss));
            CHECK(e.loss > 5.0 * 0.5);  // above factor * the starting loss (0.5)
            CHECK(e.length >= 3);
            CHECK(e.length < 10);  // stopped before the candidate's end
        }
        if (e.kind == event_kind::stage_lr_chosen) CHECK(e.learning_rate <= 2.0);
    }
}

TEST_CASE("a stage that diverges is restored and re-decided under a lowered ceiling", "[controller][divergence]") {
    auto s = base();
    s.total_steps = 1500;
    s.budget_aware = true;
    s.lr_max = 1.5;
    s.initial_design = 0;  // the search's order, whose first stage picks an LR above 0.5
    sharpening_trainer trainer(60);  // candidates (ages 0-10) see h = 1, the stage h = 4 from age 60
    auto ctl = make_test_controller(s);
    const auto trace = run_traced(ctl, trainer);
    const auto events = all_events(trace);
    REQUIRE(count(events, event_kind::stage_diverged) >= 1);
    CHECK(ctl.divergences() == count(events, event_kind::stage_diverged));
    // After each divergence: restore slot 0, then train again at an LR under the new ceiling.
    double diverged_lr = 0.0;
    bool expect_restore = false;
    for (const auto& e : trace) {
        for (const auto& ev : e.events) {
            if (ev.kind == event_kind::stage_diverged) {
                diverged_lr = ev.learning_rate;
                expect_restore = true;
            }
        }
        if (expect_restore) {
            REQUIRE(e.directive.kind == directive_kind::restore);
            CHECK(e.directive.slot == 0);
            expect_restore = false;
            continue;
        }
        if (diverged_lr > 0.0 && e.directive.kind == directive_kind::train) {
            CHECK(e.directive.learning_rate <= diverged_lr * s.divergence_backoff * (1 + 1e-12));
        }
    }
    CHECK(ctl.learning_rate_ceiling() <= 0.5);  // h = 4 needs LR < 0.5
    // The wasted stage steps count as search; the schedule holds only the redone stage.
    CHECK(ctl.steps_trained() + ctl.steps_searched() == ctl.steps_total());
    CHECK(ctl.steps_total() == 1500);
    for (const auto& seg : ctl.schedule_rows()) {
        if (seg.start_step > 0) CHECK(seg.lr <= ctl.learning_rate_ceiling() * (1 + 1e-12));
    }
    CHECK(ctl.schedule_rows().front().lr <= 0.5);
    CHECK(std::isfinite(trainer.v()));
    CHECK(trainer.v() < 0.01);
}

TEST_CASE("every candidate diverging falls back to lr_min; diverging there stops training", "[controller][divergence]") {
    auto s = base();
    s.lr_min = 3.0;  // with h = 1, every LR above 2 diverges
    s.lr_max = 10.0;
    s.total_steps = 5000;
    s.budget_aware = true;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    autolrs::run_result result;
    std::vector<autolrs::event> events;
    result = autolrs::run(trainer, ctl, [&](const autolrs::event& e) { events.push_back(e); });
    CHECK(count(events, event_kind::fallback) == 1);
    for (const auto& e : events) {
        if (e.kind == event_kind::fallback) CHECK(e.learning_rate == 3.0);
    }
    REQUIRE(count(events, event_kind::stage_diverged) == 1);
    CHECK(events.back().kind == event_kind::done);
    CHECK(std::string(events.back().message).find("lr_min") != std::string::npos);
    CHECK_FALSE(result.completed);
    CHECK(result.steps_total < 5000);
    // The model was left at the stage's start, not in its diverged state.
    CHECK(std::isfinite(trainer.v()));
    CHECK(trainer.v() == 1.0);
}

TEST_CASE("validation divergence compares validation losses with the validation loss at the stage start", "[controller][divergence]") {
    // Validation losses 100x the training losses: comparing them with a training loss (the
    // reference's guard) would call every candidate diverged.
    struct scaled_validation : recording_trainer {
        double validation_loss() { return 100.0 * recording_trainer::validation_loss(); }
    };
    auto s = base();
    s.lr_max = 1.5;
    s.signal = autolrs::loss_signal::validation;
    auto ctl = make_test_controller(s);
    scaled_validation trainer;
    const auto trace = run_traced(ctl, trainer, 600);
    std::vector<autolrs::event> first_stage;
    for (const auto& e : all_events(trace)) {
        if (e.stage == 0) first_stage.push_back(e);
    }
    CHECK(count(first_stage, event_kind::candidate_end) == 6);
    CHECK(count(first_stage, event_kind::candidate_diverged) == 0);
}

TEST_CASE("noise near a noise floor is not divergence", "[controller][divergence]") {
    // At small LRs the noisy quadratic's loss x^2/2 fluctuates slowly (correlation time
    // ~1/(2 lr) steps) by large factors around its mean: a guard against the mean of recent
    // losses fires on it. The guard against the top of their envelope must not stop a stage;
    // it may stop a candidate whose LR is many times the stage's (its stationary loss is
    // that many times higher: a bad LR either way).
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 0.05, .total_steps = 20000};
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        noisy_quadratic trainer(seed);
        auto ctl = make_test_controller(s);
        std::size_t stage_divergences = 0;
        double stage_lr = s.lr_max;
        const auto result = autolrs::run(trainer, ctl, [&](const autolrs::event& e) {
            stage_divergences += e.kind == event_kind::stage_diverged ? 1 : 0;
            if (e.kind == event_kind::stage_lr_chosen) stage_lr = e.learning_rate;
            if (e.kind == event_kind::candidate_diverged) CHECK(e.learning_rate > 4.0 * stage_lr);
        });
        INFO("seed " << seed);
        CHECK(result.completed);
        CHECK(stage_divergences == 0);
    }
}
