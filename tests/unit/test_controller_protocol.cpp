#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

using autolrs::directive_kind;
using autolrs::event_kind;
using namespace autolrs_test;

namespace {

bool has_event(const trace_entry& e, event_kind k) {
    for (const auto& ev : e.events) {
        if (ev.kind == k) return true;
    }
    return false;
}

const autolrs::event* find_event(const trace_entry& e, event_kind k) {
    for (const auto& ev : e.events) {
        if (ev.kind == k) return &ev;
    }
    return nullptr;
}

/// One stage of a trace, cut at its stage_start events.
struct stage_view {
    std::uint64_t horizon = 0;
    std::vector<trace_entry> entries;
};

std::vector<stage_view> stages_of(const std::vector<trace_entry>& trace) {
    std::vector<stage_view> stages;
    for (const trace_entry& e : trace) {
        if (has_event(e, event_kind::cooldown_start) || has_event(e, event_kind::search_skipped)) break;
        if (const auto* ev = find_event(e, event_kind::stage_start)) stages.push_back({ev->length, {}});
        if (!stages.empty()) stages.back().entries.push_back(e);
    }
    return stages;
}

std::size_t count_kind(const std::vector<trace_entry>& t, directive_kind k) {
    std::size_t n = 0;
    for (const auto& e : t) n += e.directive.kind == k ? 1 : 0;
    return n;
}

/// Records what the controller gave the forecaster.
struct recording_forecaster {
    struct input {
        std::size_t size;
        double horizon;
    };
    std::shared_ptr<std::vector<input>> inputs = std::make_shared<std::vector<input>>();
    autolrs::forecast predict(std::span<const double> losses, double horizon) const {
        inputs->push_back({losses.size(), horizon});
        return tail_mean_forecaster{}.predict(losses, horizon);
    }
};

autolrs::controller_settings plain(std::uint64_t total = 0) {
    return {.lr_min = 0.01,
            .lr_max = 1.5,
            .total_steps = total,
            .candidates = 4,
            .min_candidates = 4,
            .early_stop_gain = 0.0,
            .race_fraction = 0.0,
            .tau0 = 50,
            .candidate_fraction = 0.2,
            .growth = 2.0,
            .tau_max = 200,
            .anneal_probe = 0.0,
            .anneal_probe_decay = false,
            .incumbent_margin = 0.0,
            .keep_winner_state = false,
            .warm_start = false,
            .cooldown_fraction = 0.0,
            .divergence_factor = std::numeric_limits<double>::infinity()};
}

}  // namespace

TEST_CASE("a stage: checkpoint, k candidates restored from slot 0, the stage restored and trained", "[controller][protocol]") {
    const auto s = plain();
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 2500);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 4);

    std::uint64_t expected_tau = 50;
    for (std::size_t si = 0; si + 1 < stages.size(); ++si) {
        const auto& st = stages[si].entries;
        INFO("stage " << si);
        CHECK(stages[si].horizon == expected_tau);  // tau growth as configured
        const std::uint64_t tp = expected_tau / 5;
        expected_tau = std::min<std::uint64_t>(expected_tau * 2, 200);

        std::size_t i = 0;
        REQUIRE(st[i].directive.kind == directive_kind::checkpoint);  // before the first candidate
        CHECK(st[i].directive.slot == 0);
        ++i;
        for (std::uint32_t c = 0; c < s.candidates; ++c) {
            INFO("candidate " << c);
            const auto* start = find_event(st[i], event_kind::candidate_start);
            REQUIRE(start != nullptr);
            CHECK(start->candidate == c);
            if (c > 0) {  // restore before every other candidate
                REQUIRE(st[i].directive.kind == directive_kind::restore);
                CHECK(st[i].directive.slot == 0);
                ++i;
            }
            for (std::uint64_t k = 0; k < tp; ++k, ++i) {
                REQUIRE(st[i].directive.kind == directive_kind::train);
                CHECK(st[i].directive.learning_rate == start->learning_rate);
                CHECK(st[i].directive.learning_rate >= s.lr_min);
                CHECK(st[i].directive.learning_rate <= s.lr_max);
            }
            CHECK(has_event(st[i], event_kind::candidate_end));
        }
        const auto* chosen = find_event(st[i], event_kind::stage_lr_chosen);
        REQUIRE(chosen != nullptr);
        REQUIRE(st[i].directive.kind == directive_kind::restore);  // before the stage
        CHECK(st[i].directive.slot == 0);
        ++i;
        std::uint64_t trained = 0;
        for (; i < st.size(); ++i) {
            REQUIRE(st[i].directive.kind == directive_kind::train);
            CHECK(st[i].directive.learning_rate == chosen->learning_rate);
            ++trained;
        }
        CHECK(trained == stages[si].horizon);
    }
    CHECK(ctl.steps_searched() > 0);
}

TEST_CASE("keep_winner_state: the best candidate's state goes to slot 1 and the stage goes on from it", "[controller][protocol]") {
    auto s = plain();
    s.keep_winner_state = true;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 3000);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 3);
    for (std::size_t si = 0; si + 1 < stages.size(); ++si) {
        const auto& st = stages[si].entries;
        const std::uint64_t tp = stages[si].horizon / 5;
        // The candidate with the lowest forecast so far is checkpointed into slot 1 right after it ends.
        double best = std::numeric_limits<double>::infinity();
        std::uint32_t best_index = 0;
        std::size_t i = 0;
        const autolrs::event* chosen = nullptr;
        bool last_was_winner = false;
        for (; i < st.size(); ++i) {
            if (const auto* end = find_event(st[i], event_kind::candidate_end)) {
                const bool improves = end->forecast < best;
                if (improves) {
                    best = end->forecast;
                    best_index = end->candidate;
                }
                CHECK((st[i].directive.kind == directive_kind::checkpoint && st[i].directive.slot == 1) == improves);
                last_was_winner = improves;
            }
            if ((chosen = find_event(st[i], event_kind::stage_lr_chosen)) != nullptr) break;
        }
        REQUIRE(chosen != nullptr);
        CHECK(chosen->candidate == best_index);
        // From the winner's state: restore slot 1 unless the winner was the last candidate.
        if (last_was_winner) {
            CHECK(st[i].directive.kind == directive_kind::train);
        } else {
            REQUIRE(st[i].directive.kind == directive_kind::restore);
            CHECK(st[i].directive.slot == 1);
            ++i;
        }
        std::uint64_t trained = 0;
        for (; i < st.size(); ++i) trained += st[i].directive.kind == directive_kind::train ? 1 : 0;
        CHECK(trained == stages[si].horizon - tp);  // the winner's tau' steps are not retrained
    }
}

TEST_CASE("steps are counted exactly: the budget, trained + searched, skipped steps", "[controller][protocol]") {
    auto s = plain(1500);
    s.keep_winner_state = true;
    s.cooldown_fraction = 0.1;
    auto ctl = make_test_controller(s);
    // Reports its next step as not applied when told to (a rejected mixed-precision step).
    struct skipping_on_demand : recording_trainer {
        bool skip_next = false;
        autolrs::step_result train_step() { return {recording_trainer::train_step(), !skip_next}; }
    } trainer;
    autolrs::directive_executor host(trainer, ctl);
    std::uint64_t applied = 0, skipped = 0, calls = 0;
    autolrs::directive d = ctl.pending();
    while (d.kind != directive_kind::done) {
        ++calls;
        trainer.skip_next = d.kind == directive_kind::train && calls % 7 == 0;
        const autolrs::directive next = host.carry_out(ctl);
        if (trainer.skip_next) {  // a skipped (not applied) step: nothing moves
            CHECK(next == d);
            CHECK(ctl.events().empty());
            ++skipped;
        } else if (d.kind == directive_kind::train) {
            ++applied;
        }
        d = next;
    }
    CHECK(applied == 1500);
    CHECK(ctl.steps_total() == 1500);
    CHECK(ctl.steps_skipped() == skipped);
    CHECK(ctl.steps_trained() + ctl.steps_searched() == 1500);
    CHECK(ctl.steps_searched() > 0);
    CHECK(ctl.finished());
    // The schedule covers exactly the trained steps.
    const auto sched = ctl.schedule_rows();
    REQUIRE_FALSE(sched.empty());
    CHECK(sched.front().start_step == 0);
    CHECK(sched.back().start_step < ctl.steps_trained());
}

TEST_CASE("every LR is inside [lr_min, lr_max]; the cooldown anneals down from the last stage's LR", "[controller][protocol]") {
    auto s = plain(2000);
    s.keep_winner_state = true;
    s.cooldown_fraction = 0.25;
    s.warmup_steps = 40;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer);
    bool in_cooldown = false;
    double last_stage_lr = 0.0, previous = std::numeric_limits<double>::infinity();
    std::uint64_t cooldown_steps = 0, warmup_steps = 0;
    double warmup_previous = 0.0;
    bool in_warmup = false;
    for (const auto& e : trace) {
        if (has_event(e, event_kind::warmup_start)) in_warmup = true;
        if (has_event(e, event_kind::stage_start)) in_warmup = false;
        if (const auto* ev = find_event(e, event_kind::stage_lr_chosen)) last_stage_lr = ev->learning_rate;
        if (const auto* ev = find_event(e, event_kind::cooldown_start)) {
            in_cooldown = true;
            CHECK(ev->learning_rate == last_stage_lr);
            CHECK(ev->length == 500);
        }
        if (e.directive.kind != directive_kind::train) continue;
        const double lr = e.directive.learning_rate;
        if (in_warmup) {
            ++warmup_steps;
            CHECK(lr > warmup_previous);  // rising
            warmup_previous = lr;
        }
        if (in_cooldown) {
            ++cooldown_steps;
            CHECK(lr <= previous);
            CHECK(lr > 0.0);
            CHECK(lr <= last_stage_lr);
            previous = lr;
        } else {
            CHECK(lr >= s.lr_min);
            CHECK(lr <= s.lr_max);
        }
    }
    CHECK(warmup_steps == 40);
    CHECK(warmup_previous == Approx(std::sqrt(s.lr_min * s.lr_max)));
    CHECK(cooldown_steps == 500);
    CHECK(ctl.steps_total() == 2000);
}

TEST_CASE("every step runs at the controller's LR, also the first after a restore", "[controller][protocol]") {
    // recording_trainer's restore puts the checkpoint's OLD LR back, as the reference's
    // optimizer-state reload did. run() must set the LR again.
    auto s = plain(1200);
    s.keep_winner_state = true;
    auto ctl = make_test_controller(s);
    struct checked : recording_trainer {
        const test_controller* ctl = nullptr;
        std::uint64_t mismatches = 0, after_restore = 0;
        bool restored = false;
        double train_step() {
            if (lr() != ctl->pending().learning_rate) ++mismatches;
            if (restored) ++after_restore;
            restored = false;
            return recording_trainer::train_step();
        }
        void restore(const checkpoint_type& c) {
            recording_trainer::restore(c);
            restored = true;
        }
    } trainer;
    trainer.ctl = &ctl;
    const auto result = autolrs::run(trainer, ctl);
    CHECK(result.steps_total == 1200);
    CHECK(trainer.after_restore > 5);  // many restores were followed by steps
    CHECK(trainer.mismatches == 0);

    // The same trainer under a host that sets the LR only when it changes runs steps at
    // the wrong LR (here: one candidate, so the stage, restored from slot 0, runs at the
    // candidate's LR, which that host believes is still set). This host's loop stays written
    // by hand: its mistake is what the test is about.
    s.keep_winner_state = false;
    s.candidates = 1;
    s.min_candidates = 1;
    s.initial_design = 1;
    auto naive_ctl = make_test_controller(s);
    checked naive;
    naive.ctl = &naive_ctl;
    std::optional<recording_trainer::checkpoint_type> slots[2];
    double set_lr = -1.0;
    for (autolrs::directive d = naive_ctl.pending(); d.kind != directive_kind::done;) {
        switch (d.kind) {
            case directive_kind::train:
                if (d.learning_rate != set_lr) naive.set_learning_rate(set_lr = d.learning_rate);
                d = naive_ctl.tell_step(naive.train_step());
                break;
            case directive_kind::checkpoint: slots[d.slot] = naive.checkpoint(); d = naive_ctl.tell_checkpointed(); break;
            case directive_kind::restore: naive.restore(*slots[d.slot]); d = naive_ctl.tell_restored(); break;
            default: d = naive_ctl.tell_validation(naive.validation_loss()); break;
        }
    }
    CHECK(naive.mismatches > 0);
}

TEST_CASE("a tell that does not answer the pending directive throws protocol_error", "[controller][protocol]") {
    auto ctl = make_test_controller(plain(1000));
    REQUIRE(ctl.pending().kind == directive_kind::checkpoint);
    CHECK_THROWS_AS(ctl.tell_step(1.0), autolrs::protocol_error);
    CHECK_THROWS_AS(ctl.tell_restored(), autolrs::protocol_error);
    CHECK_THROWS_AS(ctl.tell_validation(1.0), autolrs::protocol_error);
    CHECK(ctl.tell_checkpointed().kind == directive_kind::train);
    CHECK_THROWS_AS(ctl.tell_checkpointed(), autolrs::protocol_error);
}

TEST_CASE("early stop: the search stops after min_candidates when its expected gain is small", "[controller][protocol]") {
    auto s = plain();
    s.candidates = 8;
    s.min_candidates = 3;
    s.early_stop_gain = 0.05;
    auto small_gain = test_controller(s, grid_search(std::log(s.lr_min), std::log(s.lr_max), 16, 1e-12));
    recording_trainer a;
    const auto trace = run_traced(small_gain, a, 800);
    std::size_t stops = 0, starts = 0;
    for (const auto& e : trace) {
        stops += has_event(e, event_kind::search_stopped_early) ? 1 : 0;
        for (const auto& ev : e.events) {
            if (ev.kind == event_kind::search_stopped_early) {
                CHECK(ev.candidates == 3);
                CHECK(ev.expected_gain < ev.loss_scale * s.early_stop_gain);
                CHECK(std::isnan(ev.loss));
                CHECK(std::isnan(ev.forecast));
            }
            if (ev.kind == event_kind::candidate_start) ++starts;
        }
    }
    CHECK(stops >= 2);
    CHECK(starts == 3 * stops + (starts % 3));

    auto large_gain = test_controller(s, grid_search(std::log(s.lr_min), std::log(s.lr_max), 16, 1e12));
    recording_trainer b;
    const auto full = run_traced(large_gain, b, 800);
    for (const auto& e : full) CHECK_FALSE(has_event(e, event_kind::search_stopped_early));
    const auto st = stages_of(full);
    REQUIRE(st.size() >= 2);
    std::size_t candidates = 0;
    for (const auto& e : st[0].entries) candidates += has_event(e, event_kind::candidate_start) ? 1 : 0;
    CHECK(candidates == 8);
}

TEST_CASE("validation signal: evaluate at the stage start and every n steps; windows and horizon in evaluations", "[controller][protocol]") {
    auto s = plain();
    s.signal = autolrs::loss_signal::validation;
    s.validation_interval = 2;
    recording_forecaster forecaster;
    autolrs::basic_controller<grid_search, recording_forecaster, autolrs::horizon_forecast_objective> ctl(
        s, grid_search(std::log(s.lr_min), std::log(s.lr_max)), forecaster);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 400);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 2);
    const auto& st = stages[0].entries;
    CHECK(st[0].directive.kind == directive_kind::evaluate);  // the stage's starting loss
    CHECK(st[1].directive.kind == directive_kind::checkpoint);
    // tau = 50, tau' = 10, n = 2: five evaluations per candidate, horizon 25 evaluations.
    REQUIRE(forecaster.inputs->size() >= 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK((*forecaster.inputs)[i].size == 5);
        CHECK((*forecaster.inputs)[i].horizon == 25.0);
    }
    CHECK(count_kind(st, directive_kind::evaluate) == 1 + 4 * 5);
}

TEST_CASE("reference switch: training loss while tau grows, validation once it stops", "[controller][protocol]") {
    auto s = plain();
    s.signal = autolrs::loss_signal::reference_switch;
    s.tau_max = 100;
    recording_forecaster forecaster;
    autolrs::basic_controller<grid_search, recording_forecaster, autolrs::horizon_forecast_objective> ctl(
        s, grid_search(std::log(s.lr_min), std::log(s.lr_max)), forecaster);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 1200);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 3);
    CHECK(count_kind(stages[0].entries, directive_kind::evaluate) == 0);  // tau = 50 < tau_max
    CHECK(count_kind(stages[1].entries, directive_kind::evaluate) > 0);   // tau = 100 = tau_max
    // tau' = 20 with tau'/16 = 1 step between evaluations: 20 points, horizon 100.
    const auto& inputs = *forecaster.inputs;
    REQUIRE(inputs.size() >= 8);
    CHECK(inputs[0].size == 10);
    CHECK(inputs[4].size == 20);
    CHECK(inputs[4].horizon == 100.0);
}

TEST_CASE("warm start: a stage's search starts from the previous stage's observations", "[controller][protocol]") {
    auto s = plain();
    s.warm_start = true;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    std::size_t stage_starts = 0, warm_calls = 0;
    autolrs::directive_executor host(trainer, ctl);
    while (stage_starts < 4) {
        for (const auto& e : ctl.events()) stage_starts += e.kind == event_kind::stage_start ? 1 : 0;
        host.carry_out(ctl);
        // The search object is rebuilt for each stage: look at the current one's calls.
        for (const auto& call : ctl.search().calls()) {
            if (call.op == 'w') {
                ++warm_calls;
                CHECK(call.x >= 1.0);  // observations passed on
                CHECK(call.y > 0.0);   // with extra noise
            }
        }
    }
    CHECK(warm_calls > 0);
    CHECK(ctl.search().calls().front().op == 'r');  // reset first, then the warm start
    CHECK(ctl.search().calls()[1].op == 'w');

    s.warm_start = false;
    auto cold = make_test_controller(s);
    recording_trainer t2;
    (void)run_traced(cold, t2, 600);
    for (const auto& call : cold.search().calls()) CHECK(call.op != 'w');
}

TEST_CASE("the same settings and losses give the same directives and events", "[controller][protocol]") {
    auto s = plain(1500);
    s.keep_winner_state = true;
    s.warm_start = true;
    s.early_stop_gain = 0.05;
    s.min_candidates = 2;
    auto a = make_test_controller(s);
    auto b = make_test_controller(s);
    recording_trainer ta, tb;
    const auto x = run_traced(a, ta);
    const auto y = run_traced(b, tb);
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(describe(x[i].directive, x[i].events) == describe(y[i].directive, y[i].events));
    // Another seed gives another search order.
    s.seed = 99;
    auto c = make_test_controller(s);
    recording_trainer tc;
    const auto z = run_traced(c, tc);
    bool differs = z.size() != x.size();
    for (std::size_t i = 0; !differs && i < x.size(); ++i) differs = describe(x[i].directive, x[i].events) != describe(z[i].directive, z[i].events);
    CHECK(differs);
}

TEST_CASE("a stage whose search starts empty first tries a space-filling design", "[controller][protocol]") {
    auto s = plain();
    s.initial_design = 3;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 200);
    std::vector<double> first;
    for (const auto& e : trace) {
        for (const auto& ev : e.events) {
            if (ev.kind == event_kind::candidate_start && ev.stage == 0) first.push_back(ev.learning_rate);
        }
    }
    REQUIRE(first.size() == 4);
    const double lo = std::log(s.lr_min), hi = std::log(s.lr_max);
    CHECK(std::log(first[0]) == Approx(lo + (hi - lo) * 2.0 / 4.0));  // the middle first,
    CHECK(std::log(first[1]) == Approx(lo + (hi - lo) * 3.0 / 4.0));  // then higher,
    CHECK(std::log(first[2]) == Approx(lo + (hi - lo) * 1.0 / 4.0));  // then lower,
    // then the search, which was told all three.
    const auto& calls = ctl.search().calls();
    std::size_t tells = 0;
    for (const auto& c : calls) tells += c.op == 't' ? 1 : 0;
    CHECK(tells >= 3);
}

TEST_CASE("prefer_larger_lr picks the largest LR whose forecast is close to the lowest", "[controller][protocol]") {
    const auto chosen_and_candidates = [](double prefer) {
        auto s = plain();
        s.prefer_larger_lr = prefer;
        auto ctl = make_test_controller(s);
        recording_trainer trainer;
        const auto trace = run_traced(ctl, trainer, 120);
        std::vector<autolrs::event> ends;
        autolrs::event chosen{};
        for (const auto& e : trace) {
            for (const auto& ev : e.events) {
                if (ev.stage != 0) continue;
                if (ev.kind == event_kind::candidate_end) ends.push_back(ev);
                if (ev.kind == event_kind::stage_lr_chosen) chosen = ev;
            }
        }
        return std::make_pair(chosen, ends);
    };
    const auto [lowest, ends] = chosen_and_candidates(0.0);
    REQUIRE(ends.size() == 4);
    for (const auto& e : ends) CHECK(lowest.forecast <= e.forecast);
    const auto [largest, ends2] = chosen_and_candidates(1e9);  // every candidate is close enough
    double top = 0.0;
    for (const auto& e : ends2) top = std::max(top, e.learning_rate);
    CHECK(largest.learning_rate == top);
}

TEST_CASE("incumbent_margin: a later stage tries the previous LR first and leaves it only for a clear winner",
          "[controller][protocol]") {
    struct stage_view {
        std::vector<autolrs::event> starts, ends;
        autolrs::event chosen{};
    };
    const auto run = [](double margin) {
        auto s = plain();
        s.incumbent_margin = margin;
        auto ctl = make_test_controller(s);
        recording_trainer trainer;  // its best LR for a horizon falls as training goes on
        const auto trace = run_traced(ctl, trainer, 2500);
        std::vector<stage_view> stages;
        for (const auto& e : trace) {
            for (const auto& ev : e.events) {
                if (ev.stage >= stages.size()) stages.resize(ev.stage + 1);
                if (ev.kind == event_kind::candidate_start) stages[ev.stage].starts.push_back(ev);
                if (ev.kind == event_kind::candidate_end) stages[ev.stage].ends.push_back(ev);
                if (ev.kind == event_kind::stage_lr_chosen) stages[ev.stage].chosen = ev;
            }
        }
        return stages;
    };
    const auto off = run(0.0);
    REQUIRE(off.size() >= 3);
    REQUIRE(off[1].chosen.learning_rate < off[0].chosen.learning_rate);  // without it, the LR comes down

    // A margin no candidate can clear: every later stage keeps the first stage's LR, tried first.
    const auto kept = run(1e9);
    REQUIRE(kept.size() >= 3);
    for (std::size_t i = 1; i < kept.size() && kept[i].chosen.kind == event_kind::stage_lr_chosen; ++i) {
        INFO("stage " << i);
        REQUIRE_FALSE(kept[i].starts.empty());
        CHECK(kept[i].starts[0].learning_rate == kept[0].chosen.learning_rate);
        CHECK(std::string_view(kept[i].starts[0].message).find("previous stage's") != std::string_view::npos);
        CHECK(kept[i].chosen.candidate == 0);
        CHECK(kept[i].chosen.learning_rate == kept[0].chosen.learning_rate);
        CHECK(std::string_view(kept[i].chosen.message).find("incumbent_margin") != std::string_view::npos);
        // the design skips its points within half a spacing of the incumbent: no LR measured twice
        const double spacing = std::log(1.5 / 0.01) / 4.0;  // plain(): 3 design points in [0.01, 1.5]
        for (std::size_t c = 1; c < kept[i].starts.size(); ++c) {
            if (std::string_view(kept[i].starts[c].message).find("design") == std::string_view::npos) continue;
            CHECK(std::abs(std::log(kept[i].starts[c].learning_rate / kept[i].starts[0].learning_rate)) >= 0.5 * spacing);
        }
    }
    CHECK(kept[0].starts[0].learning_rate != kept[0].chosen.learning_rate);  // the first stage has no incumbent

    // A vanishing margin: the lowest judged candidate wins, as without the setting.
    const auto tiny = run(1e-12);
    for (std::size_t i = 1; i < tiny.size() && tiny[i].chosen.kind == event_kind::stage_lr_chosen; ++i) {
        for (const auto& e : tiny[i].ends) CHECK(tiny[i].chosen.forecast <= e.forecast);
    }
    CHECK_THROWS_AS(autolrs::controller_settings({.lr_min = 0.01, .lr_max = 1.0, .incumbent_margin = -1.0}).validate(),
                    autolrs::invalid_setting);
}

TEST_CASE("search_below_incumbent: a later stage tries no LR above the previous stage's", "[controller][protocol]") {
    const auto above_incumbent = [](bool below) {
        auto s = plain();
        s.incumbent_margin = 2.0;
        s.search_below_incumbent = below;
        s.candidates = 5;
        s.min_candidates = 5;  // every stage asks the search past its design
        auto ctl = make_test_controller(s);
        recording_trainer trainer;
        const auto trace = run_traced(ctl, trainer, 2500);
        std::vector<double> incumbent;  // per stage, its first candidate's LR (stage 0: none)
        std::size_t later = 0, above = 0;
        for (const auto& e : trace) {
            for (const auto& ev : e.events) {
                if (ev.kind != event_kind::candidate_start || ev.stage == 0) continue;
                if (ev.candidate == 0) {
                    if (incumbent.size() <= ev.stage) incumbent.resize(ev.stage + 1, 0.0);
                    incumbent[ev.stage] = ev.learning_rate;
                    continue;
                }
                ++later;
                REQUIRE(incumbent.size() > ev.stage);
                if (ev.learning_rate > incumbent[ev.stage] * (1.0 + 1e-12)) ++above;
            }
        }
        REQUIRE(later >= 8);  // several later stages, each with rivals
        return above;
    };
    CHECK(above_incumbent(false) > 0);  // without it, the design and the search go above
    CHECK(above_incumbent(true) == 0);
}

TEST_CASE("move_to_nearest_tie: a stage that leaves its incumbent moves least among the lowest's ties",
          "[controller][protocol]") {
    const auto run = [](bool nearest) {
        auto s = plain();
        s.incumbent_margin = 1e-12;  // leave the incumbent for any lower candidate
        s.move_to_nearest_tie = nearest;
        s.candidates = 5;
        s.min_candidates = 5;
        auto ctl = make_test_controller(s);
        recording_trainer trainer(1.0, {.h = 1.0, .sigma2 = 0.5});
        // a loss that jitters from step to step (the curvature alternates): noisy judgements, ties
        trainer.hook_ = [](recording_trainer& t) { t.model().h = t.age() % 2 != 0 ? 1.0 : 0.5; };
        const auto trace = run_traced(ctl, trainer, 1500);
        std::size_t left = 0, moved_less = 0;
        autolrs::detail::candidate_table table;
        for (const auto& e : trace) {
            for (const auto& ev : e.events) {
                if (ev.kind == event_kind::stage_start) table.clear();
                if (ev.kind == event_kind::candidate_end) {
                    (void)table.add({std::log(ev.learning_rate), ev.learning_rate, ev.forecast, ev.stddev, ev.status, true});
                }
                if (ev.kind != event_kind::stage_lr_chosen || ev.stage == 0 || ev.candidate == 0) continue;
                ++left;
                const std::uint32_t lowest = table.best(std::numeric_limits<double>::infinity());
                const std::uint32_t expected =
                    nearest ? table.nearest_tie(lowest, table[0].x, std::numeric_limits<double>::infinity(), 0) : lowest;
                INFO("stage " << ev.stage);
                CHECK(ev.candidate == expected);
                if (ev.candidate != lowest) {
                    ++moved_less;
                    CHECK(std::string_view(ev.message).find("nearest") != std::string_view::npos);
                    CHECK(std::abs(table[ev.candidate].x - table[0].x) < std::abs(table[lowest].x - table[0].x));
                }
            }
        }
        REQUIRE(left >= 2);
        return moved_less;
    };
    CHECK(run(false) == 0);
    CHECK(run(true) > 0);  // this problem has ties nearer the incumbent than the lowest
}

TEST_CASE("interpolate_choice: the stage trains at the parabola's vertex, from the stage's start",
          "[controller][protocol]") {
    auto s = plain();
    s.keep_winner_state = true;
    s.interpolate_choice = true;
    s.candidates = 6;
    s.min_candidates = 6;
    auto ctl = make_test_controller(s);
    // gradient noise large enough that the best LR for the stage lies inside the interval
    recording_trainer trainer(1.0, {.h = 1.0, .sigma2 = 0.5});
    const auto trace = run_traced(ctl, trainer, 400);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 2);
    std::vector<autolrs::event> ends;
    const autolrs::event* chosen = nullptr;
    std::size_t at = 0;
    for (std::size_t i = 0; i < stages[0].entries.size() && chosen == nullptr; ++i) {
        for (const auto& ev : stages[0].entries[i].events) {
            if (ev.kind == event_kind::candidate_end) ends.push_back(ev);
            if (ev.kind == event_kind::stage_lr_chosen) {
                chosen = &ev;
                at = i;
            }
        }
    }
    REQUIRE(chosen != nullptr);
    // the table the controller chose from, rebuilt from the events
    autolrs::detail::candidate_table table;
    for (const auto& e : ends) {
        (void)table.add({std::log(e.learning_rate), e.learning_rate, e.forecast, e.stddev, e.status, true});
    }
    const std::uint32_t best = table.best(std::numeric_limits<double>::infinity());
    const double vertex = table.parabola_vertex(best, std::numeric_limits<double>::infinity());
    INFO("best candidate " << best << " at LR " << table[best].learning_rate << " of " << table.size());
    REQUIRE(vertex != table[best].x);  // this problem's best candidate has a neighbour on each side
    CHECK(chosen->learning_rate == Approx(std::exp(vertex)).epsilon(1e-12));
    CHECK(std::string_view(chosen->message).find("parabola") != std::string_view::npos);
    // not a candidate's state: the stage starts again from slot 0 and trains at the vertex
    const auto& st = stages[0].entries;
    CHECK(st[at].directive.kind == directive_kind::restore);
    CHECK(st[at].directive.slot == 0);
    REQUIRE(at + 1 < st.size());
    CHECK(st[at + 1].directive.kind == directive_kind::train);
    CHECK(st[at + 1].directive.learning_rate == chosen->learning_rate);
    CHECK(count_kind(st, directive_kind::train) >= 6 * 10 + 50);  // six candidates of 10 steps, then tau0 = 50 at the vertex
}

TEST_CASE("racing drops a clearly dominated candidate halfway and tells the search its forecast", "[controller][protocol]") {
    const auto stage0 = [](double race_fraction) {
        auto s = plain();
        s.race_fraction = race_fraction;
        s.race_stddevs = 2.0;
        auto ctl = make_test_controller(s);
        recording_trainer trainer;
        const auto trace = run_traced(ctl, trainer, 120);
        std::vector<autolrs::event> ends;
        autolrs::event chosen{};
        std::uint64_t candidate_steps = 0;
        bool searching = true;
        for (const auto& e : trace) {
            for (const auto& ev : e.events) {
                if (ev.stage != 0) continue;
                if (ev.kind == event_kind::candidate_end) ends.push_back(ev);
                if (ev.kind == event_kind::stage_lr_chosen) {
                    chosen = ev;
                    searching = false;
                }
            }
            if (searching && e.directive.kind == directive_kind::train) ++candidate_steps;
        }
        return std::make_tuple(chosen, ends, candidate_steps);
    };
    const std::uint64_t tau_prime = 10;  // plain(): tau0 50, candidate_fraction 0.2
    const auto [chosen, ends, steps] = stage0(0.5);
    REQUIRE(ends.size() == 4);  // raced candidates still count: the search was told their forecast
    std::size_t raced = 0;
    for (const auto& e : ends) {
        if (std::string_view(e.message).starts_with("dropped by racing")) {
            ++raced;
            CHECK(e.length == tau_prime / 2);
            CHECK(e.forecast > chosen.forecast);
        } else {
            CHECK(e.length == tau_prime);
        }
    }
    CHECK(raced >= 1);
    const auto [chosen_off, ends_off, steps_off] = stage0(0.0);
    for (const auto& e : ends_off) CHECK(e.length == tau_prime);
    CHECK(steps_off == steps + raced * (tau_prime / 2));
    CHECK(chosen_off.learning_rate == chosen.learning_rate);  // a dominated candidate never wins
}

TEST_CASE("anneal probe: each candidate trains on at a tenth of its LR and is judged by its forecast less the probe's gain",
          "[controller][protocol]") {
    auto s = plain();
    s.anneal_probe = 0.5;
    s.keep_winner_state = true;
    auto ctl = make_test_controller(s);
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 400);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 2);
    const std::uint64_t tau_prime = 10, probe = 5;  // plain(): tau0 50, candidate_fraction 0.2
    const auto& st = stages[0].entries;
    std::size_t i = 1;  // after the stage's checkpoint
    for (std::uint32_t c = 0; c < s.candidates; ++c) {
        INFO("candidate " << c);
        const auto* start = find_event(st[i], event_kind::candidate_start);
        REQUIRE(start != nullptr);
        if (c > 0) ++i;  // the restore of slot 0
        const double lr = start->learning_rate;
        std::vector<double> losses;
        for (std::uint64_t k = 0; k < tau_prime + probe; ++k, ++i) {
            REQUIRE(st[i].directive.kind == directive_kind::train);
            CHECK(st[i].directive.learning_rate == (k < tau_prime ? lr : std::max(s.lr_min, 0.1 * lr)));
            losses.push_back(st[i].loss);
        }
        const auto* end = find_event(st[i], event_kind::candidate_end);
        REQUIRE(end != nullptr);
        // The forecast of the first tau' losses, less the drop from the mean of their last
        // fifth (2 points) to the mean of the probe's second half (2 points), at least the
        // forecast scaled by after / before.
        const auto raw = tail_mean_forecaster{}.predict(std::span<const double>(losses.data(), tau_prime), 50.0);
        const double before = (losses[8] + losses[9]) / 2.0;
        const double after = (losses[13] + losses[14]) / 2.0;
        const double gain = before - after;
        const double expected = gain > 0.0 ? std::max(raw.value - gain, raw.value * after / before) : raw.value;
        CHECK(end->forecast == Approx(expected).epsilon(1e-12));
        CHECK(end->stddev >= raw.stddev);
        if (st[i].directive.kind == directive_kind::checkpoint) ++i;  // a new best: kept in slot 1
    }
    // The kept winner's probe is on the trajectory: the schedule has the probe's LR from
    // step tau' of the stage and the stage's LR again after it.
    const auto* chosen = find_event(st[i], event_kind::stage_lr_chosen);
    REQUIRE(chosen != nullptr);
    const auto rows = ctl.schedule_rows();
    REQUIRE(rows.size() >= 3);
    CHECK(rows[0].start_step == 0);
    CHECK(rows[0].lr == chosen->learning_rate);
    CHECK(rows[1].start_step == tau_prime);
    CHECK(rows[1].lr == std::max(s.lr_min, 0.1 * chosen->learning_rate));
    CHECK(rows[2].start_step == tau_prime + probe);
    CHECK(rows[2].lr == chosen->learning_rate);
    // The stage trains its horizon in all: the winner's tau' + probe steps and the rest.
    std::uint64_t trained = 0;
    for (; i < st.size(); ++i) trained += st[i].directive.kind == directive_kind::train ? 1 : 0;
    CHECK(trained == stages[0].horizon - tau_prime - probe);
    CHECK(ctl.steps_trained() + ctl.steps_searched() == ctl.steps_total());
}

namespace {
/// What each judged window held: (the candidate's points, all points). A stage objective that
/// judges as horizon_forecast_objective does.
std::vector<std::pair<std::size_t, std::size_t>> judged_windows;
struct recording_objective {
    template <class F>
    autolrs::forecast judge(const F& forecaster, const autolrs::candidate_window& w) const {
        judged_windows.emplace_back(w.candidate_points, w.losses.size());
        return autolrs::horizon_forecast_objective{}.judge(forecaster, w);
    }
};
}  // namespace

TEST_CASE("anneal probe on a validation signal: its evaluations join the window; invalid probe settings name the field",
          "[controller][protocol]") {
    auto s = plain();
    s.anneal_probe = 0.5;  // tau' = 10: a probe of 5 steps
    s.anneal_probe_decay = true;
    s.signal = autolrs::loss_signal::validation;
    s.validation_interval = 3;
    judged_windows.clear();
    autolrs::basic_controller<grid_search, tail_mean_forecaster, recording_objective> ctl(
        s, grid_search(std::log(s.lr_min), std::log(s.lr_max)));
    recording_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 400);
    const auto stages = stages_of(trace);
    REQUIRE(stages.size() >= 2);
    // Each candidate: 10 steps at its LR with evaluations after steps 3, 6 and 9, then the
    // probe's 5 steps at falling LRs with evaluations after steps 12 and 15 (its last).
    std::string pattern;
    double candidate_lr = 0.0;
    std::size_t probe_step = 0;
    for (const auto& e : stages[0].entries) {
        if (const auto* start = find_event(e, event_kind::candidate_start)) {
            candidate_lr = start->learning_rate;
            probe_step = 0;
            pattern += '|';
        }
        if (find_event(e, event_kind::stage_lr_chosen) != nullptr) break;
        if (candidate_lr == 0.0) continue;
        if (e.directive.kind == directive_kind::evaluate) pattern += 'v';
        if (e.directive.kind != directive_kind::train) continue;
        if (e.directive.learning_rate == candidate_lr) {
            pattern += 's';
        } else {
            ++probe_step;  // linear from the candidate's LR to a tenth of it over the probe, not below lr_min
            CHECK(e.directive.learning_rate ==
                  Approx(std::max(s.lr_min, candidate_lr * (1.0 - 0.9 * static_cast<double>(probe_step) / 5.0))));
            pattern += 'p';
        }
    }
    CHECK(pattern == "|sssvsssvsssvsppvpppv|sssvsssvsssvsppvpppv|sssvsssvsssvsppvpppv|sssvsssvsssvsppvpppv");
    REQUIRE(judged_windows.size() >= 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(judged_windows[i].first == 3);   // the candidate's own evaluations
        CHECK(judged_windows[i].second == 5);  // then the probe's two
    }
    auto bad = plain();
    bad.anneal_probe = -0.1;
    CHECK_THROWS_WITH(bad.validate(), Catch::Matchers::Contains("anneal_probe"));
    bad = plain();
    bad.anneal_probe_ratio = 1.0;
    CHECK_THROWS_WITH(bad.validate(), Catch::Matchers::Contains("anneal_probe_ratio"));
}

namespace {
/// Forecasts half the window's last loss: a fall the window does not show.
struct halving_forecaster {
    autolrs::forecast predict(std::span<const double> losses, double) const {
        return {0.5 * losses.back(), 0.01, autolrs::forecast_status::fitted, 0};
    }
};
/// Loss 1 at LRs in (0.05, 0.5], 0.1 elsewhere: a candidate there looks noisy, its probe calm.
struct step_response_trainer {
    using checkpoint_type = int;
    double lr = 0.0;
    void set_learning_rate(double x) { lr = x; }
    double train_step() const { return lr > 0.05 && lr <= 0.5 ? 1.0 : 0.1; }
    double validation_loss() const { return 0.1; }
    checkpoint_type checkpoint() const { return 0; }
    void restore(const checkpoint_type&) {}
};
}  // namespace

TEST_CASE("anneal probe: a positive loss's forecast is credited at most in proportion, never below zero",
          "[controller][protocol]") {
    auto s = plain();
    s.anneal_probe = 0.5;
    autolrs::basic_controller<grid_search, halving_forecaster, autolrs::horizon_forecast_objective> ctl(s, grid_search(std::log(s.lr_min), std::log(s.lr_max), 16));
    step_response_trainer trainer;
    const auto trace = run_traced(ctl, trainer, 300);
    std::size_t probed = 0;
    for (const auto& e : trace) {
        for (const auto& ev : e.events) {
            if (ev.kind != event_kind::candidate_end) continue;
            CHECK(ev.forecast > 0.0);
            const bool noisy = ev.learning_rate > 0.05 && ev.learning_rate <= 0.5;
            const bool calm_probe = std::max(s.lr_min, 0.1 * ev.learning_rate) <= 0.05;
            if (noisy && calm_probe) {
                // forecast 0.5, drop 0.9: 0.5 - 0.9 < 0, so 0.5 * (0.1 / 1.0)
                CHECK(ev.forecast == Approx(0.05));
                ++probed;
            } else {
                CHECK(ev.forecast == Approx(0.5 * (noisy ? 1.0 : 0.1)));  // no drop, no credit
            }
        }
    }
    CHECK(probed > 0);
}
