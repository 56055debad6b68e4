#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using autolrs::directive_kind;
using autolrs::event_kind;
using namespace autolrs_test;

TEST_CASE("the chosen stage LRs track a best LR that falls as training goes on", "[run][tracking]") {
    // Expected-value SGD on a quadratic: the loss of a stage is exactly c + a r^t, so the
    // three-point forecaster is exact and the stage's choice must be the grid point with
    // the lowest true loss at the horizon, from that stage's starting state.
    const expected_quadratic model{.h = 1.0, .sigma2 = 0.01};
    autolrs::controller_settings s{.lr_min = 0.01,
                                   .lr_max = 1.9,
                                   .candidates = 21,
                                   .min_candidates = 21,
                                   .early_stop_gain = 0.0,
                                   .tau0 = 100,
                                   .candidate_fraction = 0.1,
                                   .growth = 1.5,
                                   .tau_max = 400,
                                   .anneal_probe = 0.0,  // the raw forecast is the exact oracle here
                                   .incumbent_margin = 0.0,
                                   .keep_winner_state = false,
                                   .warm_start = false};
    autolrs::basic_controller<grid_search, three_point_exponential_forecaster, autolrs::horizon_forecast_objective> ctl(
        s, grid_search(std::log(s.lr_min), std::log(s.lr_max), 21));
    recording_trainer trainer(1.0, model);
    const grid_search grid(std::log(s.lr_min), std::log(s.lr_max), 21);
    autolrs::directive_executor host(trainer, ctl);
    std::vector<double> chosen, best;
    double stage_v = 0.0;
    std::uint64_t horizon = 0;
    autolrs::directive d = ctl.pending();
    while (chosen.size() < 7) {
        for (const auto& e : ctl.events()) {
            if (e.kind == event_kind::stage_start) horizon = e.length;
            if (e.kind == event_kind::stage_lr_chosen) {
                chosen.push_back(e.learning_rate);
                // The grid point whose loss reported at step `horizon` is lowest (that loss is
                // measured before the step's update: after horizon - 1 updates).
                double best_lr = 0.0, best_loss = 1e300;
                for (const double x : grid.grid()) {
                    const double loss = model.loss(model.after(stage_v, std::exp(x), horizon - 1));
                    if (loss < best_loss) {
                        best_loss = loss;
                        best_lr = std::exp(x);
                    }
                }
                best.push_back(best_lr);
            }
        }
        REQUIRE((d.kind != directive_kind::evaluate && d.kind != directive_kind::done));
        if (d.kind == directive_kind::checkpoint && d.slot == 0) stage_v = trainer.v();  // the stage's start
        d = host.carry_out(ctl);
    }
    for (std::size_t i = 0; i < chosen.size(); ++i) {
        INFO("stage " << i);
        CHECK(chosen[i] == Approx(best[i]).epsilon(1e-12));
    }
    // The best LR really moves, and the choices follow it down.
    CHECK(best.front() / best.back() > 3.0);
    CHECK(chosen.front() / chosen.back() > 3.0);
}

TEST_CASE("run spends exactly the budget and reports how it was spent", "[run]") {
    noisy_quadratic trainer(11);
    // horizon_stages: several searched stages (the defaults' two would not both fit after the warmup)
    autolrs::controller_settings s = autolrs::controller_settings::horizon_stages(1e-3, 1.5, 3000);
    s.warmup_steps = 50;
    auto ctl = make_test_controller(s);
    std::vector<autolrs::event> events;
    const auto result = autolrs::run(trainer, ctl, [&](const autolrs::event& e) { events.push_back(e); });
    CHECK(result.completed);
    CHECK(result.steps_total == 3000);
    CHECK(result.steps_trained + result.steps_searched == 3000);
    CHECK(result.steps_searched > 0);
    CHECK(result.steps_range_test == 0);
    CHECK(result.searched_per_trained_step() == Approx(static_cast<double>(result.steps_searched) / result.steps_trained));
    CHECK(result.budget_share_searched() == Approx(static_cast<double>(result.steps_searched) / 3000.0));
    CHECK(result.budget_share_trained() + result.budget_share_searched() == Approx(1.0));
    CHECK(result.budget_share_range_test() == 0.0);
    CHECK(result.events == events.size());
    CHECK(result.stages >= 3);
    CHECK(events.back().kind == event_kind::done);
    CHECK(std::isfinite(result.final_loss));
    CHECK(result.schedule_rows.front().start_step == 0);
}

TEST_CASE("a found schedule replays with no search to the same model", "[run][replay]") {
    // The trainer's checkpoint holds its RNG, so the final model's trajectory is exactly
    // reproducible: a second run that replays the found schedule must land on the same x.
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.5, .total_steps = 2500, .warmup_steps = 30};
    noisy_quadratic searched(3);
    auto ctl = make_test_controller(s);
    const auto result = autolrs::run(searched, ctl);
    REQUIRE(result.completed);
    const autolrs::schedule::piecewise_constant schedule = result.found_schedule();
    CHECK(schedule.rows().size() > 30 + 3);  // warmup and cooldown steps, stages

    noisy_quadratic replayed(3);
    const double loss = autolrs::run_schedule(replayed, schedule, result.steps_trained);
    CHECK(replayed.x() == searched.x());
    CHECK(loss == result.final_loss);

    // A replay of another schedule lands elsewhere: the comparison above can fail.
    noisy_quadratic other(3);
    (void)autolrs::run_schedule(other, autolrs::schedule::constant({.lr = 0.5}), result.steps_trained);
    CHECK(other.x() != searched.x());
}

TEST_CASE("run: skipped steps do not count; a reusing trainer's checkpoints are overwritten in place", "[run]") {
    struct skipping : recording_trainer {
        std::uint64_t calls = 0, reused = 0, fresh = 0;
        autolrs::step_result train_step() {
            const double loss = recording_trainer::train_step();
            return {loss, ++calls % 5 != 0};
        }
        checkpoint_type checkpoint() {
            ++fresh;
            return recording_trainer::checkpoint();
        }
        void checkpoint(checkpoint_type& into) {
            ++reused;
            into = recording_trainer::checkpoint();
        }
    };
    static_assert(autolrs::reusing_trainer<skipping>);
    skipping trainer;
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.5, .total_steps = 2000};
    auto ctl = make_test_controller(s);
    const auto result = autolrs::run(trainer, ctl);
    CHECK(result.steps_total == 2000);
    CHECK(result.steps_skipped == trainer.calls / 5);
    CHECK(trainer.calls == 2000 + result.steps_skipped);
    CHECK(trainer.fresh <= 2);  // one per slot
    CHECK(trainer.reused > 2);
}

TEST_CASE("every stage starts with stage_start, searched or not; stage numbers do not jump", "[run][events]") {
    std::size_t skipped = 0, searched = 0;
    for (const std::uint64_t total : {1500u, 2500u, 4000u}) {
        noisy_quadratic trainer(5);
        autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 1.5, .total_steps = total, .seed = 5});
        std::vector<autolrs::event> events;
        (void)autolrs::run(trainer, ctl, [&](const autolrs::event& e) { events.push_back(e); });
        std::optional<std::uint32_t> stage;  // of the last stage_start
        for (std::size_t i = 0; i < events.size(); ++i) {
            const autolrs::event& e = events[i];
            CAPTURE(total, i, autolrs::to_string(e.kind), e.stage);
            if (e.kind == event_kind::stage_start) {
                CHECK(e.stage == (stage ? *stage + 1 : 0u));
                stage = e.stage;
                if (e.candidates == 0) {  // no search: search_skipped right after it
                    REQUIRE(i + 1 < events.size());
                    CHECK(events[i + 1].kind == event_kind::search_skipped);
                    CHECK(events[i + 1].stage == e.stage);
                    ++skipped;
                } else {
                    CHECK(e.candidates == ctl.settings().candidates);
                    ++searched;
                }
            } else if (e.kind == event_kind::search_skipped) {
                REQUIRE(i > 0);
                CHECK(events[i - 1].kind == event_kind::stage_start);
            } else if (e.kind != event_kind::warmup_start && e.kind != event_kind::cooldown_start &&
                       e.kind != event_kind::done) {
                REQUIRE(stage.has_value());  // inside a stage: the one its stage_start opened
                CHECK(e.stage == *stage);
            }
            // The doubles a kind does not use are NaN: expected_gain and loss_scale are the stop's.
            if (e.kind != event_kind::search_stopped_early) {
                CHECK(std::isnan(e.expected_gain));
                CHECK(std::isnan(e.loss_scale));
            }
        }
    }
    CHECK(skipped >= 1);
    CHECK(searched >= 3);
}

TEST_CASE("events are written as CSV and JSON Lines, with text escaped", "[run][events]") {
    autolrs::event e;
    e.kind = event_kind::candidate_end;
    e.step = 12;
    e.stage = 1;
    e.candidate = 2;
    e.learning_rate = 0.5;
    e.forecast = 0.25;
    e.stddev = 0.125;
    e.status = autolrs::forecast_status::fitted;
    e.length = 10;
    e.message = "say \"hi\",\nback\\slash\x01";
    std::ostringstream json;
    autolrs::write_json_line(json, e);
    CHECK(json.str() ==
          "{\"kind\":\"candidate_end\",\"step\":12,\"stage\":1,\"candidate\":2,\"candidates\":0,\"learning_rate\":0.5,"
          "\"loss\":null,\"forecast\":0.25,\"stddev\":0.125,\"expected_gain\":null,\"loss_scale\":null,"
          "\"status\":\"fitted\",\"length\":10,"
          "\"message\":\"say \\\"hi\\\",\\nback\\\\slash\\u0001\"}\n");
    std::ostringstream csv;
    autolrs::csv_event_writer writer(csv);
    writer(e);
    CHECK(csv.str() ==
          "kind,step,stage,candidate,candidates,learning_rate,loss,forecast,stddev,expected_gain,loss_scale,status,"
          "length,message\n"
          "candidate_end,12,1,2,0,0.5,,0.25,0.125,,,fitted,10,\"say \"\"hi\"\",\nback\\slash\x01\"\n");

    // search_stopped_early: its own columns, not the loss and forecast ones.
    autolrs::event stop;
    stop.kind = autolrs::event_kind::search_stopped_early;
    stop.step = 40;
    stop.candidates = 3;
    stop.expected_gain = 0.125;
    stop.loss_scale = 2.0;
    stop.message = "m";
    std::ostringstream stop_csv, stop_json;
    autolrs::write_csv_row(stop_csv, stop);
    autolrs::write_json_line(stop_json, stop);
    CHECK(stop_csv.str() == "search_stopped_early,40,0,0,3,,,,,0.125,2,,0,m\n");
    CHECK(stop_json.str() ==
          "{\"kind\":\"search_stopped_early\",\"step\":40,\"stage\":0,\"candidate\":0,\"candidates\":3,"
          "\"learning_rate\":null,\"loss\":null,\"forecast\":null,\"stddev\":null,\"expected_gain\":0.125,"
          "\"loss_scale\":2,\"status\":null,\"length\":0,\"message\":\"m\"}\n");

    // Doubles round-trip; a run's events all reach a writer.
    e.message = "plain";
    e.learning_rate = 0.1 / 3.0;
    std::ostringstream one;
    autolrs::write_csv_row(one, e);
    const std::string row = one.str();
    const auto first = row.find(',', row.find(',', row.find(',', row.find(',', row.find(',') + 1) + 1) + 1) + 1);
    CHECK(std::stod(row.substr(first + 1)) == e.learning_rate);

    noisy_quadratic trainer;
    auto ctl = make_test_controller({.lr_min = 1e-3, .lr_max = 1.5, .total_steps = 1000});
    std::ostringstream lines;
    const auto result = autolrs::run(trainer, ctl, autolrs::json_lines_event_writer(lines));
    std::size_t count = 0;
    for (const char c : lines.str()) count += c == '\n' ? 1 : 0;
    CHECK(count == result.events);
}

// ---- directive_executor: one directive carried out and answered ---------------------------------

namespace {

/// Hands out the directives of its script, one per answer, and records the answers: the
/// smallest answerable_controller (it does not check that an answer fits its directive).
struct scripted_controller {
    static constexpr std::uint32_t slot_count = 2;
    std::vector<autolrs::directive> script{};
    std::size_t at = 0;
    std::vector<std::string> answers{};
    std::vector<autolrs::event> last_events{};
    std::uint64_t steps = 0;

    [[nodiscard]] autolrs::directive pending() const { return at < script.size() ? script[at] : autolrs::directive{}; }
    [[nodiscard]] std::span<const autolrs::event> events() const { return last_events; }
    [[nodiscard]] std::uint64_t steps_total() const { return steps; }
    autolrs::directive tell_step(double loss, bool applied) {
        steps += applied ? 1 : 0;
        return answer("step " + std::to_string(loss) + (applied ? "" : " skipped"));
    }
    autolrs::directive tell_checkpointed() { return answer("checkpointed"); }
    autolrs::directive tell_restored() { return answer("restored"); }
    autolrs::directive tell_validation(double loss) { return answer("validation " + std::to_string(loss)); }

private:
    autolrs::directive answer(std::string text) {
        answers.push_back(std::move(text));
        last_events.clear();
        ++at;
        return pending();
    }
};

/// x <- x - lr x per step (reporting x before it); logs every call; `fail_op` throws once.
struct logging_trainer {
    using checkpoint_type = double;
    double x = 1.0;
    double lr = 0.0;
    std::vector<std::string> log;
    std::string fail_op;

    void maybe_fail(const std::string& op) {
        if (op != fail_op) return;
        fail_op.clear();
        throw std::runtime_error("device lost in " + op);
    }
    void set_learning_rate(double v) {
        maybe_fail("set_learning_rate");
        log.push_back("lr " + std::to_string(v));
        lr = v;
    }
    double train_step() {
        maybe_fail("train_step");
        log.push_back("step");
        const double loss = x;
        x -= lr * x;
        return loss;
    }
    double validation_loss() {
        maybe_fail("validation_loss");
        log.push_back("validation");
        return 2.0 * x;
    }
    checkpoint_type checkpoint() {
        maybe_fail("checkpoint");
        log.push_back("checkpoint");
        return x;
    }
    void restore(const checkpoint_type& saved) {
        maybe_fail("restore");
        log.push_back("restore");
        x = saved;
    }
};

autolrs::directive train_directive(double lr) { return {directive_kind::train, lr, 0}; }
autolrs::directive checkpoint_directive(std::uint32_t slot) { return {directive_kind::checkpoint, 0.0, slot}; }
autolrs::directive restore_directive(std::uint32_t slot) { return {directive_kind::restore, 0.0, slot}; }
autolrs::directive evaluate_directive() { return {directive_kind::evaluate, 0.0, 0}; }

}  // namespace

TEST_CASE("directive_executor: each directive is carried out and answered; the LR is set when it changes and after a restore",
          "[run][carry_out]") {
    STATIC_REQUIRE(autolrs::explain_answerable_controller<scripted_controller>());
    STATIC_REQUIRE(autolrs::answerable_controller<test_controller>);
    logging_trainer trainer;
    scripted_controller ctl{.script = {train_directive(0.5), train_directive(0.5), train_directive(0.25),
                                       checkpoint_directive(1), train_directive(0.25), restore_directive(1),
                                       train_directive(0.25), evaluate_directive()}};
    autolrs::directive_executor host(trainer, ctl);
    STATIC_REQUIRE(std::is_same_v<decltype(host), autolrs::directive_executor<logging_trainer, 2>>);
    CHECK_FALSE(host.last_step().has_value());
    for (std::size_t i = 0; i + 1 < ctl.script.size(); ++i) CHECK(host.carry_out(ctl) == ctl.script[i + 1]);
    CHECK(host.carry_out(ctl).kind == directive_kind::done);
    CHECK(trainer.log == std::vector<std::string>{"lr 0.500000", "step", "step", "lr 0.250000", "step", "checkpoint",
                                                  "step", "restore", "lr 0.250000", "step", "validation"});
    // Losses: 1, 0.5, 0.25 (-> x = 0.1875, saved), 0.1875, restored 0.1875, x = 0.140625.
    CHECK(ctl.answers == std::vector<std::string>{"step 1.000000", "step 0.500000", "step 0.250000", "checkpointed",
                                                  "step 0.187500", "restored", "step 0.187500", "validation 0.281250"});
    REQUIRE(host.last_step().has_value());
    CHECK(host.last_step()->loss == 0.1875);
    CHECK(host.last_step()->applied);
    CHECK_FALSE(host.slots()[0].has_value());
    CHECK(host.slots()[1] == 0.1875);
    // done: nothing is called, done comes back.
    CHECK(host.carry_out(ctl).kind == directive_kind::done);
    CHECK(trainer.log.size() == 11);
}

TEST_CASE("directive_executor: a skipped step is told as not applied", "[run][carry_out]") {
    struct skipping : logging_trainer {
        autolrs::step_result train_step() { return {logging_trainer::train_step(), false}; }
    } trainer;
    scripted_controller ctl{.script = {train_directive(0.5)}};
    autolrs::directive_executor host(trainer, ctl);
    host.carry_out(ctl);
    CHECK(ctl.answers == std::vector<std::string>{"step 1.000000 skipped"});
    CHECK_FALSE(host.last_step()->applied);
    CHECK(ctl.steps_total() == 0);
}

TEST_CASE("directive_executor: a reusing trainer's checkpoint is overwritten in place", "[run][carry_out]") {
    struct reusing : logging_trainer {
        int fresh = 0, reused = 0;
        checkpoint_type checkpoint() {
            ++fresh;
            return logging_trainer::checkpoint();
        }
        void checkpoint(checkpoint_type& into) {
            ++reused;
            into = logging_trainer::checkpoint();
        }
    } trainer;
    STATIC_REQUIRE(autolrs::reusing_trainer<reusing>);
    scripted_controller ctl{.script = {checkpoint_directive(0), train_directive(0.5), checkpoint_directive(0),
                                       checkpoint_directive(1), train_directive(0.5), checkpoint_directive(1),
                                       restore_directive(0)}};
    autolrs::directive_executor host(trainer, ctl);
    host.carry_out(ctl);
    const double* slot0 = &*host.slots()[0];
    for (int i = 0; i < 5; ++i) host.carry_out(ctl);
    CHECK(trainer.fresh == 2);  // one per slot
    CHECK(trainer.reused == 2);
    CHECK(&*host.slots()[0] == slot0);  // the same object, overwritten
    CHECK(*host.slots()[0] == 0.5);
    CHECK(*host.slots()[1] == 0.25);
    host.carry_out(ctl);
    CHECK(trainer.x == 0.5);
}

TEST_CASE("directive_executor: a restore of an empty slot throws protocol_error; nothing is called or told",
          "[run][carry_out]") {
    logging_trainer trainer;
    scripted_controller ctl{.script = {restore_directive(1)}};
    autolrs::directive_executor host(trainer, ctl);
    CHECK_THROWS_AS(host.carry_out(ctl), autolrs::protocol_error);
    CHECK(trainer.log.empty());
    CHECK(ctl.answers.empty());
    CHECK(ctl.pending() == restore_directive(1));
    // A slot the executor does not have is refused the same way.
    scripted_controller beyond{.script = {checkpoint_directive(2)}};
    CHECK_THROWS_AS(host.carry_out(beyond), autolrs::protocol_error);
    CHECK(trainer.log.empty());
}

TEST_CASE("directive_executor: a trainer exception becomes trainer_error with the run's context; a retry goes on",
          "[run][carry_out]") {
    logging_trainer trainer;
    scripted_controller ctl{.script = {train_directive(0.5), checkpoint_directive(0), train_directive(0.25),
                                       restore_directive(0), train_directive(0.25), evaluate_directive()},
                            .steps = 41};
    autolrs::event stage;
    stage.kind = autolrs::event_kind::stage_start;
    stage.stage = 3;
    autolrs::event candidate;
    candidate.kind = autolrs::event_kind::candidate_start;
    candidate.stage = 3;
    candidate.candidate = 2;
    ctl.last_events = {stage, candidate};
    autolrs::directive_executor host(trainer, ctl);
    const auto fails = [&](const std::string& op) -> autolrs::trainer_error {
        trainer.fail_op = op;
        const std::size_t answered = ctl.answers.size();
        try {
            host.carry_out(ctl);
        } catch (const autolrs::trainer_error& e) {
            CHECK(ctl.answers.size() == answered);  // the controller was not told
            CHECK_THROWS_WITH(std::rethrow_if_nested(e), "device lost in " + op);
            return e;
        }
        FAIL("carry_out did not throw");
        return autolrs::trainer_error("none", 0, 0, std::nullopt, 0.0, "none");
    };
    auto e = fails("set_learning_rate");
    CHECK(e.operation() == "set_learning_rate");
    CHECK(e.step() == 41);
    CHECK(e.stage() == 3);
    CHECK(e.candidate() == std::optional<std::uint32_t>(2));
    CHECK(e.learning_rate() == 0.5);
    CHECK(std::string(e.what()) ==
          "autolrs: the trainer's set_learning_rate() failed at step 41 (stage 3, candidate 2, lr 0.5): "
          "device lost in set_learning_rate");
    e = fails("train_step");  // the retry sets the LR: it was never set
    CHECK(e.operation() == "train_step");
    CHECK(e.learning_rate() == 0.5);
    host.carry_out(ctl);  // the retry steps without setting the LR again
    CHECK(trainer.log == std::vector<std::string>{"lr 0.500000", "step"});
    e = fails("checkpoint");
    CHECK(e.operation() == "checkpoint");
    CHECK(e.step() == 42);
    CHECK(std::isnan(e.learning_rate()));
    CHECK_FALSE(host.slots()[0].has_value());
    host.carry_out(ctl);
    host.carry_out(ctl);  // train at 0.25
    CHECK(fails("restore").candidate() == std::optional<std::uint32_t>(2));  // answers without events keep it
    ctl.last_events = {stage};  // an event outside the candidate's own ends it
    e = fails("restore");
    CHECK(e.operation() == "restore");
    CHECK(e.stage() == 3);
    CHECK_FALSE(e.candidate().has_value());
    host.carry_out(ctl);
    host.carry_out(ctl);  // after a failed and a good restore, the LR is set again
    e = fails("validation_loss");
    CHECK(e.operation() == "validation_loss");
    host.carry_out(ctl);
    CHECK(trainer.log == std::vector<std::string>{"lr 0.500000", "step", "checkpoint", "lr 0.250000", "step", "restore",
                                                  "lr 0.250000", "step", "validation"});
    CHECK(ctl.pending().kind == directive_kind::done);
}

TEST_CASE("run is a loop over directive_executor: the same run, step for step", "[run][carry_out]") {
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.5, .total_steps = 1500, .warmup_steps = 20};
    noisy_quadratic by_run(4), by_hand(4);
    auto ctl_run = make_test_controller(s);
    auto ctl_hand = make_test_controller(s);
    const auto result = autolrs::run(by_run, ctl_run);
    autolrs::directive_executor host(by_hand, ctl_hand);
    for (autolrs::directive d = ctl_hand.pending(); d.kind != directive_kind::done;) d = host.carry_out(ctl_hand);
    CHECK(by_hand.x() == by_run.x());
    CHECK(ctl_hand.save() == ctl_run.save());
    CHECK(host.last_step()->loss == result.final_loss);
}
