#include <autolrs/autolrs.hpp>

#include "catch.hpp"
#include "controller_test_support.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
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
                                   .keep_winner_state = false,
                                   .warm_start = false};
    autolrs::basic_controller<grid_search, three_point_exponential_forecaster> ctl(
        s, grid_search(std::log(s.lr_min), std::log(s.lr_max), 21));
    recording_trainer trainer(1.0, model);
    const grid_search grid(std::log(s.lr_min), std::log(s.lr_max), 21);
    std::optional<recording_trainer::checkpoint_type> slots[2];
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
        switch (d.kind) {
            case directive_kind::train:
                trainer.set_learning_rate(d.learning_rate);
                d = ctl.tell_step(trainer.train_step());
                break;
            case directive_kind::checkpoint:
                if (d.slot == 0) stage_v = trainer.v();
                slots[d.slot] = trainer.checkpoint();
                d = ctl.tell_checkpointed();
                break;
            case directive_kind::restore:
                trainer.restore(*slots[d.slot]);
                d = ctl.tell_restored();
                break;
            default: FAIL("unexpected directive"); break;
        }
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
    autolrs::controller_settings s{.lr_min = 1e-3, .lr_max = 1.5, .total_steps = 3000, .warmup_steps = 50};
    auto ctl = make_test_controller(s);
    std::vector<autolrs::event> events;
    const auto result = autolrs::run(trainer, ctl, [&](const autolrs::event& e) { events.push_back(e); });
    CHECK(result.completed);
    CHECK(result.steps_total == 3000);
    CHECK(result.steps_trained + result.steps_searched == 3000);
    CHECK(result.steps_searched > 0);
    CHECK(result.search_overhead() == Approx(static_cast<double>(result.steps_searched) / result.steps_trained));
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
          "{\"kind\":\"candidate_end\",\"step\":12,\"stage\":1,\"candidate\":2,\"learning_rate\":0.5,\"loss\":null,"
          "\"forecast\":0.25,\"stddev\":0.125,\"status\":\"fitted\",\"length\":10,"
          "\"message\":\"say \\\"hi\\\",\\nback\\\\slash\\u0001\"}\n");
    std::ostringstream csv;
    autolrs::csv_event_writer writer(csv);
    writer(e);
    CHECK(csv.str() ==
          "kind,step,stage,candidate,learning_rate,loss,forecast,stddev,status,length,message\n"
          "candidate_end,12,1,2,0.5,,0.25,0.125,fitted,10,\"say \"\"hi\"\",\nback\\slash\x01\"\n");

    // Doubles round-trip; a run's events all reach a writer.
    e.message = "plain";
    e.learning_rate = 0.1 / 3.0;
    std::ostringstream one;
    autolrs::write_csv_row(one, e);
    const std::string row = one.str();
    const auto first = row.find(',', row.find(',', row.find(',', row.find(',') + 1) + 1) + 1);
    CHECK(std::stod(row.substr(first + 1)) == e.learning_rate);

    noisy_quadratic trainer;
    auto ctl = make_test_controller({.lr_min = 1e-3, .lr_max = 1.5, .total_steps = 1000});
    std::ostringstream lines;
    const auto result = autolrs::run(trainer, ctl, autolrs::json_lines_event_writer(lines));
    std::size_t count = 0;
    for (const char c : lines.str()) count += c == '\n' ? 1 : 0;
    CHECK(count == result.events);
}
