// Controller overhead: the per-step call when no decision is due (target < 100 ns), and a
// whole stage's decisions (forecasts, GP fits, asks) with the default policies.
//   cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release && cmake --build build/release --target bench_controller
//   build/release/bench/bench_controller --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <autolrs/autolrs.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <optional>

namespace {

/// Carries out the directives that are not steps (nothing to save in these benchmarks).
template <class Controller>
autolrs::directive skip_to_train(Controller& ctl, autolrs::directive d) {
    while (d.kind != autolrs::directive_kind::train && d.kind != autolrs::directive_kind::done) {
        switch (d.kind) {
            case autolrs::directive_kind::checkpoint: d = ctl.tell_checkpointed(); break;
            case autolrs::directive_kind::restore: d = ctl.tell_restored(); break;
            case autolrs::directive_kind::evaluate: d = ctl.tell_validation(1.0); break;
            default: break;
        }
    }
    return d;
}

/// tell_step inside a long stage: what every training step pays for the controller.
void BM_tell_step_no_decision(benchmark::State& state) {
    autolrs::controller_settings s{.lr_min = 1e-3,
                                   .lr_max = 1.0,
                                   .candidates = 2,
                                   .min_candidates = 2,
                                   .tau0 = 4'000'000'000ULL,
                                   .candidate_fraction = 1e-8,  // 40-step candidates
                                   .tau_max = 4'000'000'000ULL};
    autolrs::controller<> ctl(s);
    autolrs::directive d = ctl.pending();
    double loss = 1.0;
    // Through the search, into the stage's training.
    while (ctl.stages() == 1 && ctl.steps_trained() == 0) {
        d = skip_to_train(ctl, d);
        loss *= 0.999;
        d = ctl.tell_step(loss);
    }
    for (auto _ : state) {
        loss = loss * 0.9999999 + 1e-9;
        d = ctl.tell_step(loss);
        benchmark::DoNotOptimize(d);
    }
    if (ctl.steps_trained() == 0 || d.kind != autolrs::directive_kind::train) state.SkipWithError("not in a stage");
    state.counters["ns_per_step"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_tell_step_no_decision);

/// One whole stage with the defaults' policies: k = 6 candidates of tau' = 100 steps on a
/// synthetic decaying loss, their forecasts, the GP's fits and asks, the choice; the
/// stage's 1000 training steps included (they cost microseconds in all).
void BM_stage_decisions(benchmark::State& state) {
    autolrs::controller_settings s{.lr_min = 1e-3,
                                   .lr_max = 1.0,
                                   .candidates = 6,
                                   .min_candidates = 6,
                                   .early_stop_gain = 0.0,
                                   .tau0 = 1000,
                                   .candidate_fraction = 0.1,
                                   .growth = 1.0,
                                   .tau_max = 1000};
    autolrs::controller<> ctl(s);
    autolrs::directive d = ctl.pending();
    std::uint64_t t = 0;
    std::uint32_t stage = ctl.stages();
    for (auto _ : state) {
        // One stage: until the next one starts.
        while (ctl.stages() == stage) {
            d = skip_to_train(ctl, d);
            const double lr = d.learning_rate;
            // Loss after t steps of a stage: faster decay and a higher floor for larger LRs.
            const double loss = 0.2 + 0.3 * lr + std::exp(-lr * static_cast<double>(++t % 1000) / 50.0) +
                                1e-3 * std::sin(static_cast<double>(t));
            d = ctl.tell_step(loss);
        }
        stage = ctl.stages();
    }
    state.counters["ms_per_stage"] = benchmark::Counter(static_cast<double>(state.iterations()) * 1e-3,
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_stage_decisions)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
