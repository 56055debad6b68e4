// One full Bayesian-optimisation iteration (tell + hyperparameter refit + ask) at n
// observations, and the same without the refit (the Cholesky factor grows by one row).
// Reported time: microseconds per iteration (manual timing; copying the prepared
// optimiser is excluded). Target: <= 50 us median at n = 10 with refit.
#include <autolrs/autolrs.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>

namespace {

double loss(double x) { return 1.0 + 0.05 * (x + 4.0) * (x + 4.0) + 0.02 * std::sin(3.0 * x); }

template <class Acquisition>
void bo_iteration(benchmark::State& state, std::size_t refit_every, Acquisition acquisition) {
    const auto n = static_cast<int>(state.range(0));
    autolrs::gaussian_process_settings gp_settings;
    gp_settings.refit_every = refit_every;
    using bo_type = autolrs::bayes_opt<autolrs::gaussian_process<>, Acquisition>;
    bo_type prepared({.x_min = std::log(1e-4), .x_max = std::log(1.0), .seed = 1},
                     autolrs::gaussian_process<>(gp_settings), acquisition);
    for (int i = 0; i + 1 < n; ++i) {
        const double x = prepared.ask();
        prepared.tell(x, loss(x));
    }
    const double next_x = prepared.ask();
    for (auto _ : state) {
        bo_type bo = prepared;
        const auto start = std::chrono::steady_clock::now();
        bo.tell(next_x, loss(next_x));  // the n-th observation (and the refit, when due)
        double x = bo.ask();
        benchmark::DoNotOptimize(x);
        const auto stop = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    }
    state.counters["observations"] = n;
}

void BM_bo_iteration_refit_ei(benchmark::State& s) { bo_iteration(s, 1, autolrs::expected_improvement{}); }
void BM_bo_iteration_no_refit_ei(benchmark::State& s) { bo_iteration(s, 1000, autolrs::expected_improvement{}); }
void BM_bo_iteration_refit_lcb(benchmark::State& s) { bo_iteration(s, 1, autolrs::lower_confidence_bound{}); }
void BM_bo_iteration_refit_thompson(benchmark::State& s) { bo_iteration(s, 1, autolrs::thompson_sampling{}); }

}  // namespace

BENCHMARK(BM_bo_iteration_refit_ei)->Arg(5)->Arg(10)->Arg(20)->Arg(40)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bo_iteration_no_refit_ei)->Arg(5)->Arg(10)->Arg(20)->Arg(40)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bo_iteration_refit_lcb)->Arg(10)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bo_iteration_refit_thompson)->Arg(10)->UseManualTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
