// <autolrs/harness.hpp>: the problems' closed forms, the replay of recorded curves, the regret
// diagnostic, the statistics, the configuration makers (types, values, factories), compare()'s
// tuned baselines, determinism, validation and errors, the adapter for a user's trainer and the
// writers.
#include "catch.hpp"

#include <autolrs/harness.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace autolrs::harness;

namespace {
double steps_then_loss(simulated_trainer& t, double lr, int n) {
    t.set_learning_rate(lr);
    for (int i = 0; i < n; ++i) t.train_step();
    return t.true_loss();
}
}  // namespace

TEST_CASE("nqm: the expected-loss recursion is exact without gradient noise", "[harness]") {
    for (double momentum : {0.0, 0.9}) {
        for (double lr : {0.05, 0.7, 1.9}) {
            nqm_trainer t({.dimensions = 16, .gradient_noise = 0.0, .momentum = momentum, .seed = 1});
            steps_then_loss(t, 0.3, 7);  // a non-trivial start (momentum: v != 0)
            const double predicted = t.expected_loss_after(lr, 37);
            const double actual = steps_then_loss(t, lr, 37);
            CHECK_THAT(actual, Catch::Matchers::WithinRel(predicted, 1e-9));
        }
    }
}

TEST_CASE("nqm: the expected loss matches the Monte Carlo mean under gradient noise", "[harness]") {
    for (double momentum : {0.0, 0.9}) {
        const double lr = momentum == 0.0 ? 0.8 : 0.08;
        const nqm_settings s{.dimensions = 8, .gradient_noise = 0.5, .momentum = momentum};
        const double predicted = nqm_trainer(s).expected_loss_after(lr, 40);
        const int trials = 4000;
        double sum = 0.0, sum2 = 0.0;
        for (int k = 0; k < trials; ++k) {
            auto settings = s;
            settings.seed = 100 + static_cast<std::uint64_t>(k);
            nqm_trainer t(settings);
            const double l = steps_then_loss(t, lr, 40);
            sum += l, sum2 += l * l;
        }
        const double mean = sum / trials;
        const double se = std::sqrt((sum2 / trials - mean * mean) / trials);
        CHECK(std::abs(mean - predicted) < 4.0 * se);
        // The noise matters here: without it the loss would be far lower.
        CHECK(nqm_trainer({.dimensions = 8, .gradient_noise = 0.0, .momentum = momentum}).expected_loss_after(lr, 40) <
              0.5 * predicted);
    }
}

TEST_CASE("nqm: LRs above the stability limit diverge in expectation", "[harness]") {
    const nqm_trainer t({.seed = 3});
    CHECK(t.expected_loss_after(2.5, 200) > 1e6);
    CHECK(std::isfinite(t.expected_loss_after(1.0, 200)));
}

TEST_CASE("lr_response: closed form, and the best LR is the response's peak", "[harness]") {
    lr_response_trainer t({.response = lr_response{{{-2.0, 0.5, 1.0}}}, .noise_sd = 0.0});
    const double predicted = t.expected_loss_after(0.003, 50);
    CHECK_THAT(steps_then_loss(t, 0.003, 50), Catch::Matchers::WithinRel(predicted, 1e-12));
    const auto [lr, loss] = best_constant_lr(t, 1e-4, 1.0, 300);
    CHECK_THAT(std::log10(lr), Catch::Matchers::WithinAbs(-2.0, 1e-3));
    CHECK(loss < t.expected_loss_after(0.02, 300));
    // At an edge: the best LR in the interval is the bound.
    lr_response_trainer edge({.response = lr_response{{{0.5, 0.8, 1.0}}}});
    CHECK_THAT(best_constant_lr(edge, 1e-4, 1.0, 300).first, Catch::Matchers::WithinRel(1.0, 1e-6));
}

TEST_CASE("replay: nearest recorded LR, loss-level matching on a switch, exact restore", "[harness]") {
    const auto rec = loss_recording::load(AUTOLRS_HARNESS_DATA_DIR "/fmnist_mlp_sgd_fresh.txt");
    REQUIRE(rec->lrs.size() == 8);
    REQUIRE(rec->steps() >= 2000);
    replay_trainer t(rec);
    t.set_learning_rate(rec->lrs[2] * 1.1);  // nearest: column 2
    CHECK(t.column() == 2);
    for (int i = 0; i < 100; ++i) {
        const double l = t.train_step();
        CHECK(l == rec->losses[2][static_cast<std::size_t>(i)]);
    }
    const auto saved = t.clone();
    const double level = t.true_loss();
    t.set_learning_rate(rec->lrs[5]);  // a faster LR: continues where its curve reaches `level`
    CHECK(t.column() == 5);
    CHECK(t.offset() < 100);
    CHECK(rec->level(5, t.offset()) <= level);
    CHECK(rec->level(5, t.offset() - 1) > level);
    t.train_step();
    t.restore_from(*saved);
    CHECK(t.column() == 2);
    CHECK(t.offset() == 100);
    CHECK(t.expected_loss_after(rec->lrs[2], 50) == rec->level(2, 150));
}

TEST_CASE("replay: a diverged recorded LR reports non-finite losses", "[harness]") {
    const auto rec = loss_recording::load(AUTOLRS_HARNESS_DATA_DIR "/fmnist_mlp_b16_sgd_trained5000.txt");
    replay_trainer t(rec);
    CHECK(std::isinf(t.expected_loss_after(rec->lrs.back(), 2000)));
}

TEST_CASE("quantile: type 7 interpolation", "[harness]") {
    CHECK(quantile({3.0, 1.0, 2.0, 4.0}, 0.5) == 2.5);
    CHECK(quantile({3.0, 1.0, 2.0, 4.0}, 0.25) == 1.75);
    CHECK(quantile({5.0}, 0.75) == 5.0);
    CHECK(std::isnan(quantile({}, 0.5)));
}

TEST_CASE("regret: zero at the best LR, positive away from it, a redecision replaces", "[harness]") {
    lr_response_trainer t({.response = lr_response{{{-2.0, 0.5, 1.0}}}, .noise_sd = 0.0});
    regret_tracker best(1e-4, 1.0), worse(1e-4, 1.0);
    const auto make = [](autolrs::event_kind kind, double lr, std::uint64_t length) {
        autolrs::event e;
        e.kind = kind;
        e.learning_rate = lr;
        e.length = length;
        return e;
    };
    const autolrs::event start = make(autolrs::event_kind::stage_start, autolrs::event::none, 400);
    best.on_event(start, t);
    worse.on_event(start, t);
    best.on_event(make(autolrs::event_kind::stage_lr_chosen, 0.01, 0), t);
    worse.on_event(make(autolrs::event_kind::stage_lr_chosen, 0.1, 0), t);
    CHECK(best.weighted_regret() < 1e-6);
    const double r = worse.weighted_regret();
    CHECK(r > 0.1);
    CHECK(r < 1.0);
    worse.on_event(make(autolrs::event_kind::stage_lr_chosen, 0.01, 0), t);
    CHECK(worse.weighted_regret() < 1e-6);
}

TEST_CASE("nqm: final_loss is the exact expected loss of the schedule trained, carried by checkpoints", "[harness]") {
    for (double momentum : {0.0, 0.9}) {
        const nqm_settings s{.dimensions = 8, .gradient_noise = 0.3, .momentum = momentum, .seed = 5};
        nqm_trainer fresh(s);
        const double predicted = fresh.expected_loss_after(0.2, 60);  // from the initial iterate
        nqm_trainer t(s);
        steps_then_loss(t, 0.2, 60);
        CHECK_THAT(t.final_loss(), Catch::Matchers::WithinRel(predicted, 1e-10));
        CHECK(t.final_loss() != t.true_loss());  // the sample is not the expectation
        // A detour restored away leaves no trace in the moments.
        nqm_trainer u(s);
        steps_then_loss(u, 0.2, 30);
        const auto saved = u.checkpoint();
        steps_then_loss(u, 1.5, 25);
        u.restore(saved);
        steps_then_loss(u, 0.2, 30);
        CHECK_THAT(u.final_loss(), Catch::Matchers::WithinRel(predicted, 1e-10));
    }
}

namespace {

/// A user's own trainer (autolrs::trainer): a noiseless 1-d quadratic, x <- x - lr x.
struct toy_trainer {
    using checkpoint_type = double;
    double x = 1.0, lr = 0.0;
    void set_learning_rate(double v) { lr = v; }
    double train_step() {
        x -= lr * x;
        return x * x;
    }
    double validation_loss() const { return x * x + 0.5; }
    double checkpoint() const { return x; }
    void restore(double saved) { x = saved; }
};

problem toy_problem() {
    return from_trainer({.name = "toy", .lr_min = 1e-3, .lr_max = 1.0, .budget = 300},
                        [](std::uint64_t) { return toy_trainer{}; });
}

problem small_nqm() { return nqm_problem("nqm_small", {.dimensions = 8, .gradient_noise = 0.2}, 1e-3, 4.0, 400); }

/// An acquisition whose value carries state: counts its calls.
struct counting_ei {
    std::shared_ptr<std::atomic<int>> calls;
    [[nodiscard]] double operator()(const autolrs::prediction& p, double incumbent) const {
        ++*calls;
        return autolrs::expected_improvement{}(p, incumbent);
    }
};

template <class F>
std::string invalid_field(F&& f) {
    try {
        f();
    } catch (const autolrs::invalid_setting& e) {
        return e.field();
    }
    return "(nothing thrown)";
}

}  // namespace

TEST_CASE("from_trainer: any autolrs::trainer is a problem; final loss = its validation loss", "[harness]") {
    const problem p = toy_problem();
    CHECK(p.family == "user");
    trainer_handle h(p.make(1));
    autolrs::run_schedule(h, autolrs::schedule::constant({.lr = 0.5}), 4);
    CHECK_THAT(h.get().final_loss(), Catch::Matchers::WithinRel(std::pow(0.5, 8) + 0.5, 1e-12));
    CHECK(std::isnan(h.get().expected_loss_after(0.1, 10)));  // unknown: no regret
    const run_metrics m = configuration<>("default").run(p, 3);
    CHECK(m.completed);
    CHECK(std::isnan(m.regret));
    CHECK(m.final_loss >= 0.5);
    CHECK(m.final_loss < 1.0);
}

TEST_CASE("from_trainer: a measure of one's own; a skipped step is not counted", "[harness]") {
    // The final loss: the measure, not the validation loss.
    const problem measured = from_trainer({.name = "toy", .lr_min = 1e-3, .lr_max = 1.0, .budget = 300},
                                          [](std::uint64_t) { return toy_trainer{}; },
                                          [](const toy_trainer& t) { return 10.0 + t.x * t.x; });
    trainer_handle h(measured.make(1));
    autolrs::run_schedule(h, autolrs::schedule::constant({.lr = 0.5}), 2);
    CHECK_THAT(h.get().final_loss(), Catch::Matchers::WithinRel(10.0 + std::pow(0.5, 4), 1e-12));
    // A trainer that returns step_result: every third step skipped.
    struct skipping : toy_trainer {
        int calls = 0;
        autolrs::step_result train_step() {
            if (++calls % 3 == 0) return {x * x, false};
            return {toy_trainer::train_step(), true};
        }
    };
    const problem p = from_trainer({.name = "skips", .lr_min = 1e-3, .lr_max = 1.0, .budget = 300},
                                   [](std::uint64_t) { return skipping{}; });
    trainer_handle s(p.make(1));
    autolrs::run_schedule(s, autolrs::schedule::constant({.lr = 0.5}), 4);  // 4 applied steps: 6 calls
    CHECK_THAT(s.get().final_loss(), Catch::Matchers::WithinRel(std::pow(0.5, 8) + 0.5, 1e-12));
    CHECK(configuration<>("default").run(p, 2).completed);
}

TEST_CASE("configurations: types, values and factories reach the controller", "[harness]") {
    const problem p = small_nqm();
    const auto calls = std::make_shared<std::atomic<int>>(0);
    const config by_value = configuration_of("counting", counting_ei{calls});
    const run_metrics m = by_value.run(p, 7);
    CHECK(m.completed);
    CHECK(*calls > 0);
    // Settings: the base's fields are used; lr_min/lr_max/total_steps/seed are the problem's.
    const config no_probe = configuration<>("no probe", {.anneal_probe = 0.0});
    const autolrs::controller_settings s = no_probe.settings_for(p, 11);
    CHECK(s.anneal_probe == 0.0);
    CHECK(s.total_steps == 400);
    CHECK(s.seed == 11);
    CHECK(s.lr_max == 4.0);
    // adjust(): fields relative to the budget, after the problem's and the run's are set.
    const config relative = configuration<autolrs::never_stop_early>(
        "never stop, tau0 a tenth", {}, [](autolrs::controller_settings& st) { st.tau0 = st.total_steps / 10; });
    CHECK(relative.settings_for(p, 1).tau0 == 40);
    CHECK(relative.run(p, 7).completed);
    // A factory: the reference preset.
    const config reference = from_factory("reference", [](const autolrs::controller_settings& st) {
        return autolrs::make_reference_controller(st.lr_min, st.lr_max, st.total_steps, st.seed);
    });
    CHECK(reference.run(p, 7).completed);
    // Different policies, different runs (the same seed).
    CHECK(configuration<autolrs::lower_confidence_bound>("LCB").run(p, 7).final_loss !=
          configuration<>("EI").run(p, 7).final_loss);
}

TEST_CASE("compare: the tuned baselines, paired seeds, and results independent of jobs", "[harness]") {
    const std::vector<problem> problems{small_nqm(), synthetic_problems(0.15)[0]};
    const std::vector<config> configs{configuration<>("EI"), configuration<autolrs::lower_confidence_bound>("LCB")};
    const comparison one = compare(problems, configs, {.seeds = 3, .jobs = 1});
    const comparison two = compare(problems, configs, {.seeds = 3, .jobs = 3});
    REQUIRE(one.runs.size() == 2);
    REQUIRE(one.tuned.size() == 2);
    for (std::size_t p = 0; p < 2; ++p) {
        for (std::size_t c = 0; c < 2; ++c)
            for (std::size_t s = 0; s < 3; ++s) {
                CHECK(one.runs[p][c][s].final_loss == two.runs[p][c][s].final_loss);
                CHECK(one.runs[p][c][s].search_share == two.runs[p][c][s].search_share);
                CHECK(one.runs[p][c][s].completed);
            }
        for (std::size_t k = 0; k < 3; ++k) {
            CHECK(one.tuned[p][k].final_losses == two.tuned[p][k].final_losses);
            CHECK(one.tuned[p][k].peak_lr == two.tuned[p][k].peak_lr);
            CHECK(one.tuned[p][k].tuning_steps == one.problems[p].grid.size() * one.problems[p].budget);
        }
    }
    // The tuned peak LR is the grid point with the lowest median, and its losses are that point's.
    const tuned_schedule& constant = one.tuned[0][0];
    for (const auto& losses : constant.grid_losses) CHECK(quantile(constant.final_losses, 0.5) <= quantile(losses, 0.5));
    // On the NQM the constant LR's expected loss is independent of the seed, and annealing wins.
    CHECK(constant.final_losses[0] == constant.final_losses[2]);
    const tuned_schedule* best = one.best_tuned(0);
    REQUIRE(best != nullptr);
    CHECK(best->schedule != fixed_schedule::constant);
    CHECK(quantile(best->final_losses, 0.5) < quantile(constant.final_losses, 0.5));
    // The fixed-schedule run agrees with compare()'s.
    CHECK(run_fixed_schedule(problems[0], fixed_schedule::cosine, one.tuned[0][1].peak_lr, one.seeds[1]) ==
          one.tuned[0][1].final_losses[1]);
}

TEST_CASE("compare: bad input names the field, before anything runs", "[harness]") {
    const std::vector<problem> problems{small_nqm()};
    const std::vector<config> configs{configuration<>("EI")};
    CHECK(invalid_field([&] { (void)compare(problems, configs, {.seeds = 0}); }) == "compare_options.seeds");
    CHECK(invalid_field([&] { (void)compare(problems, configs, {.jobs = 0}); }) == "compare_options.jobs");
    CHECK(invalid_field([&] { (void)compare({}, configs); }) == "problems");
    CHECK(invalid_field([&] { (void)compare(problems, {}); }) == "configs");
    CHECK(invalid_field([&] {
              (void)compare(problems, {configuration<>("same"), configuration<autolrs::lower_confidence_bound>("same")});
          }) == "config.name");
    CHECK(invalid_field([&] { (void)compare({small_nqm(), small_nqm()}, configs); }) == "problem.name");
    problem bad = small_nqm();
    bad.lr_max = bad.lr_min / 2;
    CHECK(invalid_field([&] { (void)compare({bad}, configs); }) == "problem 'nqm_small'.lr_max");
    bad = small_nqm();
    bad.budget = 10;
    CHECK(invalid_field([&] { (void)compare({bad}, configs); }) == "problem 'nqm_small'.budget");
    CHECK(invalid_field([&] { (void)nqm_problem("x", {.momentum = 1.0}, 1e-3, 1.0); }) == "nqm_settings.momentum");
    // A controller setting that does not fit: the controller's own field name.
    CHECK(invalid_field([&] { (void)compare(problems, {configuration<>("bad", {.anneal_probe = -1.0})}); }) ==
          "anneal_probe");
    CHECK(invalid_field([] { (void)from_trainer({.name = "t", .lr_min = 1.0, .lr_max = 0.1, .budget = 300},
                                                [](std::uint64_t) { return toy_trainer{}; }); }) == "problem 't'.lr_max");
}

TEST_CASE("compare: a run that throws stops it, naming the problem, config and seed", "[harness]") {
    problem p = small_nqm();
    p.name = "throws";
    p.make = [](std::uint64_t seed) -> std::unique_ptr<problem_trainer> {
        if (seed == 1001) throw std::runtime_error("no GPU");
        return std::make_unique<nqm_trainer>(nqm_settings{.seed = seed});
    };
    try {
        (void)compare({p}, {configuration<>("EI")}, {.seeds = 3, .jobs = 2, .baselines = false});
        FAIL("compare did not throw");
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        CHECK(what.find("problem 'throws', config 'EI', seed 1001") != std::string::npos);
    }
}

TEST_CASE("writers: the headline comes first; CSV rows per problem and method", "[harness]") {
    const std::vector<problem> problems{small_nqm(), toy_problem()};
    const comparison r = compare(problems, {configuration<>("EI"), configuration<autolrs::tail_mean_forecaster>("tail \"mean\"")},
                                 {.seeds = 2, .jobs = 2});
    std::ostringstream md, csv, runs;
    write_markdown(md, r);
    write_csv(csv, r);
    write_runs_csv(runs, r);
    const std::string text = md.str();
    const auto headline = text.find("## Final loss against tuned schedules");
    const auto diagnostic = text.find("## Diagnostic: per-stage regret");
    REQUIRE(headline != std::string::npos);
    REQUIRE(diagnostic != std::string::npos);
    CHECK(headline < diagnostic);
    CHECK(text.find("tuned cosine") < diagnostic);
    std::size_t lines = 0;
    for (const char ch : csv.str()) lines += ch == '\n' ? 1 : 0;
    CHECK(lines == 1 + problems.size() * (2 + 3));
    CHECK(csv.str().find("\"tail \"\"mean\"\"\"") != std::string::npos);
    lines = 0;
    for (const char ch : runs.str()) lines += ch == '\n' ? 1 : 0;
    std::size_t grid_runs = 0;
    for (const auto& info : r.problems) grid_runs += 3 * info.grid.size() * 2;
    CHECK(lines == 1 + problems.size() * 2 * 2 + grid_runs);
}

TEST_CASE("problems: the standard families and where the curves are", "[harness]") {
    const std::vector<problem> all = standard_problems(0.1);
    CHECK(all.size() == 4 + 4 + 3);
    for (const problem& p : all) CHECK_NOTHROW(p.validate());
    CHECK(all.back().grid.size() == 8);  // a replay's grid: the recorded LRs
    CHECK(problem{.name = "g", .lr_min = 1e-3, .lr_max = 1.0, .budget = 100}.baseline_grid().size() == 7);
    CHECK(curves_dir() == std::string(AUTOLRS_HARNESS_DATA_DIR));
    CHECK(invalid_field([] { (void)replay_problems("/nonexistent-autolrs-curves"); }) == "loss_recording path");
}
