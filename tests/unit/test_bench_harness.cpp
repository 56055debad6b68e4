// The benchmark harness's own pieces: the simulated trainers' closed forms, the replay of
// recorded curves, the regret bookkeeping, the statistics and the type-list registry.
#include "catch.hpp"

#include "harness.hpp"
#include "user_acquisition.hpp"

#include <cmath>
#include <memory>
#include <vector>

using namespace autolrs::bench;

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
    const auto rec = loss_recording::load(AUTOLRS_BENCH_DATA_DIR "/fmnist_mlp_sgd_fresh.txt");
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
    const auto rec = loss_recording::load(AUTOLRS_BENCH_DATA_DIR "/fmnist_mlp_b16_sgd_trained5000.txt");
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

TEST_CASE("registry: the cross product of the type lists, with the user's acquisition", "[harness]") {
    std::vector<combination> out;
    add_combinations(out, type_list<autolrs::expected_improvement, scaled_margin_ei>{},
                     type_list<autolrs::matern52, autolrs::matern32>{},
                     type_list<autolrs::exponential_forecaster, autolrs::tail_mean_forecaster, autolrs::power_law_forecaster>{});
    REQUIRE(out.size() == 2 * 2 * 3);
    CHECK(out[0].acquisition == "EI");
    CHECK(out[0].kernel == "Matern52");
    CHECK(out[0].forecaster == "exponential");
    CHECK(out.back().acquisition == "EI_margin");
    CHECK(out.back().kernel == "Matern32");
    CHECK(out.back().forecaster == "power_law");
}

TEST_CASE("run_one: a whole run is complete, finite and deterministic in its outcome", "[harness]") {
    const problem p{"inside", "synthetic", 1e-4, 1.0, 600, [](std::uint64_t seed) -> std::unique_ptr<simulated_trainer> {
                        return std::make_unique<lr_response_trainer>(
                            lr_response_settings{.response = lr_response{{{-2.0, 0.6, 1.0}}}, .seed = seed});
                    }};
    const run_metrics a = run_one<scaled_margin_ei, autolrs::matern52, autolrs::exponential_forecaster>(p, 4);
    const run_metrics b = run_one<scaled_margin_ei, autolrs::matern52, autolrs::exponential_forecaster>(p, 4);
    CHECK(a.completed);
    CHECK(a.stages >= 2);
    CHECK(a.search_steps > 0);
    CHECK(a.decision_ms > 0);
    CHECK(a.regret >= 0);
    CHECK(a.final_loss < 2.3);
    CHECK(a.regret == b.regret);
    CHECK(a.final_loss == b.final_loss);
    CHECK(a.search_steps == b.search_steps);
}
