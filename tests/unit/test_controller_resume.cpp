#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <cmath>
#include <string>
#include <vector>

using autolrs::directive_kind;
using namespace autolrs_test;

namespace {

/// A host that can hand its trainer and slots from one controller to another.
struct host {
    recording_trainer trainer;
    autolrs::directive_executor<recording_trainer, test_controller::slot_count> executor{trainer};
    std::vector<std::string> trace;

    host() = default;
    host(const host&) = delete;  // the executor refers to this host's own trainer
    host& operator=(const host&) = delete;

    template <class Controller>
    bool step(Controller& ctl) {
        const autolrs::directive d = ctl.pending();
        trace.push_back(describe(d, ctl.events()));
        if (d.kind == directive_kind::done) return false;
        executor.carry_out(ctl);
        return true;
    }
};

autolrs::controller_settings everything_on() {
    return {.lr_min = 0.01,
            .lr_max = 3.0,
            .total_steps = 700,
            .candidates = 4,
            .min_candidates = 2,
            .early_stop_gain = 0.3,
            .tau0 = 40,
            .candidate_fraction = 0.2,
            .tau_max = 160,
            .warmup_steps = 15,
            .keep_winner_state = true,
            .warm_start = true,
            .cooldown_fraction = 0.1,
            .seed = 5};
}

/// Runs uninterrupted, then cut (save, load into a fresh controller, go on) at every call:
/// each resumed run must make exactly the uninterrupted run's decisions.
void check_resume_everywhere(const autolrs::controller_settings& s, double nan_above, double gain_scale,
                             const std::vector<std::string>& must_happen,
                             void (*hook)(recording_trainer&) = nullptr) {
    const auto make = [&] { return make_test_controller(s, 16, gain_scale); };
    host reference;
    reference.trainer.nan_above(nan_above);
    reference.trainer.hook_ = hook;
    {
        auto ctl = make();
        while (reference.step(ctl)) {
        }
    }
    const std::size_t calls = reference.trace.size();
    std::uint64_t first_steps_total = 0;
    {
        host again;
        again.trainer.nan_above(nan_above);
        again.trainer.hook_ = hook;
        auto ctl = make();
        while (again.step(ctl)) {
        }
        first_steps_total = ctl.steps_total();
    }
    REQUIRE(calls > 100);
    for (const std::string& kind : must_happen) {  // the cut points cover these decisions
        bool seen = false;
        for (const std::string& line : reference.trace) seen = seen || line.find(" " + kind + "@") != std::string::npos;
        INFO("event " << kind);
        REQUIRE(seen);
    }
    for (std::size_t cut = 0; cut < calls; ++cut) {
        host h;
        h.trainer.nan_above(nan_above);
        h.trainer.hook_ = hook;
        auto first = make();
        for (std::size_t i = 0; i < cut; ++i) h.step(first);
        const std::string state = first.save();
        auto second = make();
        second.load(state);
        REQUIRE(second.save() == state);  // what was loaded is what was saved
        REQUIRE(second.pending() == first.pending());
        while (h.step(second)) {
        }
        INFO("cut after call " << cut << " of " << calls);
        REQUIRE(h.trace.size() == calls);
        // Entry `cut` lists the events of the call before the cut, which a state does not keep.
        for (std::size_t i = cut + 1; i < calls; ++i) {
            if (h.trace[i] != reference.trace[i]) {
                INFO("call " << i << "\n  resumed:       " << h.trace[i] << "\n  uninterrupted: " << reference.trace[i]);
                REQUIRE(h.trace[i] == reference.trace[i]);
            }
        }
        REQUIRE(second.steps_total() == first_steps_total);
    }
}

}  // namespace

TEST_CASE("resume at every call: warmup, keep-winner, warm start, early stop, cooldown", "[controller][resume]") {
    check_resume_everywhere(everything_on(), 0.0, 0.05,
                            {"warmup_start", "stage_start", "search_stopped_early", "stage_lr_chosen", "cooldown_start", "done"});
}

TEST_CASE("resume at every call: anneal probes, racing and smoothed choices", "[controller][resume]") {
    auto s = everything_on();
    s.anneal_probe = 0.5;
    s.race_fraction = 0.5;
    s.smooth_choice = true;
    s.warm_start = false;
    check_resume_everywhere(s, 0.0, 0.05, {"stage_lr_chosen", "cooldown_start", "done"});
}

TEST_CASE("resume at every call: validation signal, anneal probes and diverging candidates", "[controller][resume]") {
    auto s = everything_on();
    s.signal = autolrs::loss_signal::validation;
    s.validation_interval = 3;
    s.anneal_probe = 0.5;  // the probe's evaluations too
    s.total_steps = 600;
    check_resume_everywhere(s, 1.2, 0.05, {"candidate_diverged", "stage_lr_chosen", "done"});
}

TEST_CASE("resume at every call: a stage that diverges and is re-decided", "[controller][resume]") {
    autolrs::controller_settings s{.lr_min = 0.01,
                                   .lr_max = 1.5,
                                   .total_steps = 700,
                                   .candidates = 6,
                                   .min_candidates = 6,
                                   .initial_design = 0,
                                   .early_stop_gain = 0.0,
                                   .tau0 = 100,
                                   .candidate_fraction = 0.1,
                                   .tau_max = 100,
                                   .keep_winner_state = false,
                                   .warm_start = false,
                                   .cooldown_fraction = 0.1};
    // The curvature jumps from 1 to 4 at age 60: the first stage's LR, fine for its
    // candidates, diverges mid-stage and is re-decided under a ceiling of half of it.
    check_resume_everywhere(s, 0.0, 0.05, {"stage_diverged", "stage_lr_chosen", "cooldown_start", "done"},
                            [](recording_trainer& t) { t.model().h = t.age() < 60 ? 1.0 : 4.0; });
}

TEST_CASE("resume at every call: a stage that diverges at lr_min stops training", "[controller][resume]") {
    auto s = everything_on();
    s.lr_min = 0.85;
    s.lr_max = 1.5;
    s.warmup_steps = 0;
    s.early_stop_gain = 0.0;
    check_resume_everywhere(s, 0.0, 0.05, {"stage_diverged", "done"},
                            [](recording_trainer& t) { t.model().h = t.age() < 60 ? 1.0 : 2.5; });
}

TEST_CASE("a state saved under other settings is refused, naming the setting", "[controller][resume]") {
    auto s = everything_on();
    auto a = make_test_controller(s);
    const std::string state = a.save();
    s.candidates = 5;
    auto b = make_test_controller(s);
    try {
        b.load(state);
        FAIL("a state saved with other settings was loaded");
    } catch (const autolrs::invalid_state& e) {
        CHECK(std::string(e.what()).find("'candidates'") != std::string::npos);
    }
    s = everything_on();
    s.lr_max = 2.5;
    auto c = make_test_controller(s);
    CHECK_THROWS_WITH(c.load(state), Catch::Matchers::Contains("'lr_max'"));
}

TEST_CASE("a validation-signal state saved before the probe ran on that signal still loads", "[controller][resume]") {
    // Such a stage planned no probe (probe_steps 0); it finishes that way, later stages probe.
    auto s = everything_on();
    s.signal = autolrs::loss_signal::validation;
    s.validation_interval = 3;
    s.anneal_probe = 0.5;
    const auto first_candidate = [](const autolrs::controller_settings& settings) {
        auto probe = make_test_controller(settings);
        recording_trainer r;
        const auto trace = run_traced(probe, r, 2000);
        for (std::size_t i = 0; i < trace.size(); ++i)
            for (const auto& e : trace[i].events)
                if (e.kind == autolrs::event_kind::candidate_start) return i;
        return trace.size();
    };
    const std::size_t cut = first_candidate(s) + 4;  // inside the first candidate, before its probe
    auto a = make_test_controller(s);
    recording_trainer t;
    (void)run_traced(a, t, cut);
    const std::string state = a.save();
    const auto at = state.find("\nprobe_steps ");
    REQUIRE(at != std::string::npos);
    const auto end = state.find('\n', at + 1);
    REQUIRE(state.substr(at + 13, end - at - 13) != "0");
    const std::string old = state.substr(0, at) + "\nprobe_steps 0" + state.substr(end);
    auto b = make_test_controller(s);
    CHECK_NOTHROW(b.load(old));
    CHECK(b.pending().kind == a.pending().kind);
    auto training = s;  // on the training signal a stage with tau' always plans its probe
    training.signal = autolrs::loss_signal::training;
    auto c = make_test_controller(training);
    recording_trainer u;
    (void)run_traced(c, u, first_candidate(training) + 4);
    const std::string trained = c.save();
    const auto p = trained.find("\nprobe_steps ");
    REQUIRE(p != std::string::npos);
    const std::string no_probe = trained.substr(0, p) + "\nprobe_steps 0" + trained.substr(trained.find('\n', p + 1));
    auto d = make_test_controller(training);
    CHECK_THROWS_WITH(d.load(no_probe), Catch::Matchers::Contains("probe_steps"));
}

TEST_CASE("damaged states are refused with invalid_state", "[controller][resume]") {
    const auto s = everything_on();
    auto a = make_test_controller(s);
    recording_trainer t;
    (void)run_traced(a, t, 200);
    const std::string state = a.save();
    auto b = make_test_controller(s);
    const std::string before = b.save();

    std::string wrong_version = state;
    const std::string version = " " + std::to_string(decltype(a)::state_version) + "\n";
    wrong_version.replace(wrong_version.find(version), version.size(), " 7\n");
    CHECK_THROWS_WITH(b.load(wrong_version), Catch::Matchers::Contains("version 7"));
    CHECK_THROWS_AS(b.load(state.substr(0, state.size() / 2)), autolrs::invalid_state);
    CHECK_THROWS_AS(b.load(std::string("not a state\n")), autolrs::invalid_state);
    std::string bad_number = state;
    const auto at = bad_number.find("steps_total ");
    bad_number.replace(at, 13, "steps_total x");
    CHECK_THROWS_WITH(b.load(bad_number), Catch::Matchers::Contains("steps_total"));
    CHECK(b.save() == before);  // a failed load leaves the controller as it was
    CHECK_NOTHROW(b.load(state));
    CHECK(b.save() == state);
}

TEST_CASE("saved doubles round-trip exactly", "[controller][resume]") {
    auto s = everything_on();
    s.lr_min = 0.1 / 3.0;  // not a short decimal
    auto a = make_test_controller(s);
    recording_trainer t;
    (void)run_traced(a, t, 150);
    auto b = make_test_controller(s);
    b.load(a.save());
    CHECK(b.learning_rate_ceiling() == a.learning_rate_ceiling());
    CHECK(b.pending() == a.pending());
    REQUIRE(b.schedule_rows().size() == a.schedule_rows().size());
    for (std::size_t i = 0; i < a.schedule_rows().size(); ++i) CHECK(b.schedule_rows()[i] == a.schedule_rows()[i]);
}
