// Controller overhead: the per-step call when no decision is due (target < 100 ns; Time is
// per step), and a whole stage's decisions (forecasts, GP fits, asks) with the default
// policies (Time is per stage).
//   cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release && cmake --build build/release --target bench_controller
//   build/release/bench/bench_controller --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <autolrs/autolrs.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <utility>

namespace {

/// A synthetic loss stream as an autolrs::trainer, `loss(lr, t)` at the t-th step (from 1).
/// Its checkpoints hold nothing (a restore does not rewind the stream): these benchmarks time
/// the controller's decisions, not a model.
template <class Loss>
class synthetic_loss_stream {
public:
    struct checkpoint_type {};

    explicit synthetic_loss_stream(Loss loss) : loss_(std::move(loss)) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() { return loss_(lr_, ++t_); }
    [[nodiscard]] double validation_loss() const { return 1.0; }
    [[nodiscard]] checkpoint_type checkpoint() const { return {}; }
    void restore(const checkpoint_type&) {}

private:
    Loss loss_;
    double lr_ = 0.0;
    std::uint64_t t_ = 0;
};

/// tell_step inside a long stage: what every training step pays for the controller.
void BM_tell_step_no_decision(benchmark::State& state) {
    autolrs::controller_settings s{.lr_min = 1e-3,
                                   .lr_max = 1.0,
                                   .candidates = 2,
                                   .min_candidates = 2,
                                   .initial_design = 2,
                                   .tau0 = 4'000'000'000ULL,
                                   .candidate_fraction = 1e-8,  // 40-step candidates
                                   .tau_max = 4'000'000'000ULL};
    autolrs::controller<> ctl(s);
    double loss = 1.0;
    synthetic_loss_stream falling{[&loss](double, std::uint64_t) { return loss *= 0.999; }};
    autolrs::directive_executor host(falling, ctl);
    // Through the search, into the stage's training.
    while (ctl.stages() == 1 && ctl.steps_trained() == 0) host.carry_out(ctl);
    autolrs::directive d = ctl.pending();
    // The timed call: tell_step itself, with no host around it.
    for (auto _ : state) {
        loss = loss * 0.9999999 + 1e-9;
        d = ctl.tell_step(loss);
        benchmark::DoNotOptimize(d);
    }
    if (ctl.steps_trained() == 0 || d.kind != autolrs::directive_kind::train) state.SkipWithError("not in a stage");
}
BENCHMARK(BM_tell_step_no_decision);

/// One whole stage with the defaults' policies: k = 6 candidates of tau' = 100 steps, each
/// with its 100-step anneal probe, on a synthetic decaying loss, their judgements (the
/// default objective: the probe's end, no forecast fit), the GP's fits and asks, the choice;
/// the stage's 1000 training steps included (they cost microseconds in all). No incumbent
/// margin: every stage is a full search (with it, a later stage may keep its LR on fewer).
void BM_stage_decisions(benchmark::State& state) {
    autolrs::controller_settings s{.lr_min = 1e-3,
                                   .lr_max = 1.0,
                                   .candidates = 6,
                                   .min_candidates = 6,
                                   .early_stop_gain = 0.0,
                                   .tau0 = 1000,
                                   .candidate_fraction = 0.1,
                                   .growth = 1.0,
                                   .tau_max = 1000,
                                   .incumbent_margin = 0.0};
    autolrs::controller<> ctl(s);
    // Loss after t steps of a stage: faster decay and a higher floor for larger LRs.
    synthetic_loss_stream stage_curves{[](double lr, std::uint64_t t) {
        return 0.2 + 0.3 * lr + std::exp(-lr * static_cast<double>(t % 1000) / 50.0) +
               1e-3 * std::sin(static_cast<double>(t));
    }};
    autolrs::directive_executor host(stage_curves, ctl);
    std::uint32_t stage = ctl.stages();
    for (auto _ : state) {
        // One stage: until the next one starts.
        while (ctl.stages() == stage) host.carry_out(ctl);
        stage = ctl.stages();
    }
}
BENCHMARK(BM_stage_decisions)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
