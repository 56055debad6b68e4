// Trainer faults (exceptions from every call, NaN and infinite losses) and damaged saved
// states: the controller's state stays consistent and the error reaches the host with
// its context.
#include <autolrs/autolrs.hpp>

#include "../fuzz/harness.hpp"
#include "catch.hpp"

#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/// What the faulty trainer throws: a type of the host's own.
struct device_lost : std::runtime_error {
    explicit device_lost(int call) : std::runtime_error("device lost"), call(call) {}
    int call;
};

/// A toy trainer (the fuzz harness's model) that throws at its `fail_at`-th call of
/// `fail_op`, or returns `poison` from its `poison_at`-th train step / validation loss.
struct faulty_trainer {
    using checkpoint_type = double;

    autolrs_fuzz::toy_model model;
    double lr = 0.0;
    std::string fail_op;
    int fail_at = -1;
    int calls = 0;
    std::function<void()> before_throw;
    int poison_at = -1;
    double poison = 0.0;
    int losses = 0;
    std::vector<double> lrs;  // the LR of every step

    void maybe_fail(const char* op) {
        if (fail_op != op || calls++ != fail_at) return;
        if (before_throw) before_throw();
        throw device_lost(fail_at);
    }
    double maybe_poison(double loss) { return losses++ == poison_at ? poison : loss; }

    void set_learning_rate(double v) {
        maybe_fail("set_learning_rate");
        lr = v;
    }
    double train_step() {
        maybe_fail("train_step");
        const double loss = model.loss();
        model.step(lr);
        lrs.push_back(lr);
        return maybe_poison(loss);
    }
    double validation_loss() {
        maybe_fail("validation_loss");
        return maybe_poison(model.loss() * 1.05);
    }
    double checkpoint() {
        maybe_fail("checkpoint");
        return model.v;
    }
    void restore(const double& v) {
        maybe_fail("restore");
        model.v = v;
    }
};

autolrs::controller_settings fault_settings() {
    return {.lr_min = 1e-3,
            .lr_max = 2.0,
            .total_steps = 500,
            .candidates = 3,
            .min_candidates = 2,
            .tau0 = 30,
            .candidate_fraction = 0.2,
            .tau_max = 120,
            .warmup_steps = 10,
            .signal = autolrs::loss_signal::validation,
            .validation_interval = 2,
            .seed = 4};
}

}  // namespace

TEST_CASE("a trainer that throws: trainer_error with context, the original nested, the controller untouched",
          "[reliability][faults]") {
    for (const char* op : {"set_learning_rate", "train_step", "validation_loss", "checkpoint", "restore"}) {
        for (const int at : {0, 1, 7, 25}) {
            INFO(op << " fails at its call " << at);
            autolrs::controller<> ctl(fault_settings());
            faulty_trainer t;
            t.fail_op = op;
            t.fail_at = at;
            std::string state_before;
            t.before_throw = [&] { state_before = ctl.save(); };
            std::optional<std::uint32_t> last_candidate;
            std::uint32_t last_stage = 0;
            bool in_search = false;
            try {
                autolrs::run(t, ctl, [&](const autolrs::event& e) {
                    last_stage = e.stage;
                    if (e.kind == autolrs::event_kind::candidate_start) last_candidate = e.candidate;
                    in_search = e.kind == autolrs::event_kind::candidate_start ||
                                (in_search && (e.kind == autolrs::event_kind::candidate_end ||
                                               e.kind == autolrs::event_kind::candidate_diverged));
                });
                CHECK(t.calls <= at);  // no exception: the run never made that call
            } catch (const autolrs::trainer_error& e) {
                CHECK(e.operation() == op);
                CHECK(e.step() == ctl.steps_total());
                CHECK(e.stage() == last_stage);
                CHECK(e.candidate() == (in_search ? last_candidate : std::nullopt));
                CHECK(std::string(e.what()).find(op) != std::string::npos);
                CHECK(std::string(e.what()).find("device lost") != std::string::npos);
                const bool stepping = std::string(op) == "set_learning_rate" || std::string(op) == "train_step";
                CHECK(std::isfinite(e.learning_rate()) == stepping);
                if (stepping) CHECK(e.learning_rate() == ctl.pending().learning_rate);
                // The controller was not told: same pending directive, same state.
                const autolrs::directive_kind expected =
                    stepping ? autolrs::directive_kind::train
                    : std::string(op) == "validation_loss" ? autolrs::directive_kind::evaluate
                    : std::string(op) == "checkpoint"      ? autolrs::directive_kind::checkpoint
                                                           : autolrs::directive_kind::restore;
                CHECK(ctl.pending().kind == expected);
                CHECK(ctl.save() == state_before);
                try {
                    std::rethrow_if_nested(e);
                    FAIL("nothing nested");
                } catch (const device_lost& original) {
                    CHECK(original.call == at);
                }
            }
        }
    }
}

TEST_CASE("a host that retries the failed directive ends with the same decisions as a run without faults",
          "[reliability][faults]") {
    const auto drive = [](std::mt19937_64* faults) {
        autolrs::controller<> ctl(fault_settings());
        faulty_trainer t;
        autolrs::directive_executor host(t, ctl);
        std::vector<std::string> trace;
        int failures = 0;
        const auto report = [&] {
            for (const autolrs::event& e : ctl.events()) {
                trace.push_back(std::string(autolrs::to_string(e.kind)) + " " + autolrs::detail::exact_text(e.learning_rate));
            }
        };
        report();
        for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done;) {
            // Every call fails with probability 1/20 before doing anything: the host retries.
            if (faults != nullptr && (*faults)() % 20 == 0) {
                t.fail_op = d.kind == autolrs::directive_kind::train        ? "train_step"
                            : d.kind == autolrs::directive_kind::evaluate   ? "validation_loss"
                            : d.kind == autolrs::directive_kind::checkpoint ? "checkpoint"
                                                                            : "restore";
                t.fail_at = t.calls = 0;
            }
            try {
                d = host.carry_out(ctl);
                report();
            } catch (const autolrs::trainer_error& e) {
                ++failures;
                CHECK(e.operation() == t.fail_op);
                CHECK_THROWS_AS(std::rethrow_if_nested(e), device_lost);
                REQUIRE(ctl.pending() == d);  // retry the same directive
            }
            t.fail_op.clear();
        }
        trace.push_back("steps " + std::to_string(ctl.steps_total()) + " model " + autolrs::detail::exact_text(t.model.v));
        return std::pair{trace, failures};
    };
    const auto clean = drive(nullptr);
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        std::mt19937_64 faults(seed);
        const auto faulty = drive(&faults);
        CHECK(faulty.second > 5);
        CHECK(faulty.first == clean.first);
    }
}

TEST_CASE("NaN and infinite losses at any point: the run finishes inside the LR bounds", "[reliability][faults]") {
    const autolrs::controller_settings s = fault_settings();
    for (const double poison : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(), 1e308}) {
        for (int at = 0; at < 260; at += 13) {
            INFO("loss " << poison << " at loss " << at);
            faulty_trainer t;
            t.poison_at = at;
            t.poison = poison;
            autolrs::controller<> ctl(s);
            bool cooldown = false;
            const autolrs::run_result r = autolrs::run(t, ctl, [&](const autolrs::event& e) {
                if (e.kind == autolrs::event_kind::cooldown_start) cooldown = true;
            });
            CHECK(r.steps_total <= s.total_steps);
            CHECK((r.completed || ctl.divergences() > 0));
            for (std::size_t i = 0; i < t.lrs.size(); ++i) {
                REQUIRE(std::isfinite(t.lrs[i]));
                REQUIRE(t.lrs[i] > 0.0);
                REQUIRE(t.lrs[i] <= s.lr_max);
                if (!cooldown) REQUIRE(t.lrs[i] >= s.lr_min);
            }
        }
    }
}

TEST_CASE("damaged states that once crashed or misled the loader are refused", "[reliability][faults][resume]") {
    const autolrs::controller_settings s = autolrs_fuzz::load_target_settings();
    const std::vector<std::string> states = autolrs_fuzz::seed_states(41);
    const std::string& mid = states[states.size() / 2];
    const auto with = [&](const std::string& key, const std::string& value) {
        std::string text = mid;
        const std::size_t at = text.find("\n" + key + " ");
        REQUIRE(at != std::string::npos);
        const std::size_t end = text.find('\n', at + 1);
        text.replace(at + 1, end - at - 1, key + " " + value);
        return text;
    };
    autolrs::controller<> ctl(s);
    REQUIRE_NOTHROW(ctl.load(mid));
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"pending_slot", "7"},
                                                          {"pending_kind", "9"},
                                                          {"wait", "200"},
                                                          {"recent_next", "99"},
                                                          {"saved_recent_count", "17"},
                                                          {"window", "4294967296"},
                                                          {"window", "100000 1 2"},
                                                          {"ceiling", "nan"},
                                                          {"ceiling", "0x1p-100"},
                                                          {"stage_lr", "inf"},
                                                          {"val_interval", "0"},
                                                          {"tau_prime", "1000000"},
                                                          {"stage_schedule_size", "1000000000000"},
                                                          {"steps_total", "123456"},
                                                          {"winner", "5"},
                                                          {"schedule", "1 0 nan"},
                                                          {"warm", "1 0 nan 0"}}) {
        INFO(key << " " << value);
        autolrs::controller<> fresh(s);
        const std::string before = fresh.save();
        CHECK_THROWS_AS(fresh.load(with(key, value)), autolrs::invalid_state);
        CHECK(fresh.save() == before);  // a refused state changes nothing
    }
}
