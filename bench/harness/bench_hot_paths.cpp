// Microbenchmarks of the hot paths that bench_bayes_opt, bench_forecast_speed and
// bench_controller do not time on their own: the kernel matrix, the Gaussian process's
// incremental add, prediction and hyperparameter fit, the acquisition maximiser, the
// forecasters' cost against the window length, and the controller's state bookkeeping
// (save/load mid-stage). ->Complexity() fits the growth in n (observations, window length,
// candidates tried).
//   build/release/bench/bench_hot_paths --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <autolrs/autolrs.hpp>

#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <sstream>
#include <vector>

namespace {

/// n observations of a smooth noisy function on [0, 1] (bayes_opt's unit interval).
std::vector<autolrs::observation> observations(std::size_t n) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::normal_distribution<double> noise(0.0, 0.01);
    std::vector<autolrs::observation> out;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = u(rng);
        out.push_back({x, 1.0 + (x - 0.6) * (x - 0.6) + 0.05 * std::sin(9.0 * x) + noise(rng), 0.0});
    }
    return out;
}

template <class Kernel = autolrs::matern52>
autolrs::gaussian_process<Kernel> gp_with(std::size_t n, std::size_t refit_every = 1) {
    autolrs::gaussian_process_settings s;
    s.refit_every = refit_every;
    autolrs::gaussian_process<Kernel> gp(s);
    gp.clear(7);
    for (const auto& o : observations(n)) gp.add(o.x, o.y, o.noise_variance);
    return gp;
}

/// The n x n covariance matrix with the kernel's default hyperparameters.
template <class Kernel>
void BM_kernel_matrix(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto obs = observations(n);
    const Kernel k{};
    Eigen::MatrixXd m(n, n);
    for (auto _ : state) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j <= i; ++j)
                m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = k(obs[i].x, obs[j].x);
        benchmark::DoNotOptimize(m.data());
        benchmark::ClobberMemory();
    }
    state.SetComplexityN(state.range(0));
}

/// add() of the n-th observation between refits: one new row of the Cholesky factor.
void BM_gp_add_incremental(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto prepared = gp_with(n - 1, 1'000'000);
    for (auto _ : state) {
        auto gp = prepared;
        const auto start = std::chrono::steady_clock::now();
        gp.add(0.31, 1.02, 0.0);
        const auto stop = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(gp.size());
        state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    }
    state.SetComplexityN(state.range(0));
}

/// The posterior at the maximiser's 64 grid points, with n observations.
void BM_gp_predict_grid(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto gp = gp_with(n, 1'000'000);
    std::vector<double> xs(64);
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<double>(i) / 63.0;
    std::vector<autolrs::prediction> out(xs.size());
    for (auto _ : state) {
        gp.predict(std::span<const double>(xs), std::span<autolrs::prediction>(out));
        benchmark::DoNotOptimize(out.data());
    }
    state.SetComplexityN(state.range(0));
}

/// refit(): output normalisation, hyperparameters by L-BFGS (+ screened restarts), full factor.
template <class Kernel>
void BM_gp_hyperparameter_fit(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto prepared = gp_with<Kernel>(n, 1'000'000);
    for (auto _ : state) {
        auto gp = prepared;
        const auto start = std::chrono::steady_clock::now();
        gp.refit();
        const auto stop = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(gp.size());
        state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    }
    state.SetComplexityN(state.range(0));
}

/// One acquisition maximisation (64-point grid + Brent) with n observations.
template <class Acquisition>
void BM_acquisition_maximise(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto gp = gp_with(n);
    const auto obs = observations(n);
    std::vector<double> avoid;
    double incumbent = obs[0].y;
    for (const auto& o : obs) avoid.push_back(o.x), incumbent = std::min(incumbent, o.y);
    std::mt19937_64 rng(3);
    const autolrs::acquisition_maximiser_settings settings{.min_separation = 0.01};
    for (auto _ : state) {
        const auto choice =
            autolrs::maximise_acquisition(gp, Acquisition{}, incumbent, 0.0, 1.0, std::span<const double>(avoid), settings, rng);
        benchmark::DoNotOptimize(choice);
    }
    state.SetComplexityN(state.range(0));
}

/// A forecaster's fit and prediction against the window length.
template <class Forecaster>
void BM_forecast_window(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::mt19937_64 rng(5);
    std::normal_distribution<double> noise(0.0, 0.02);
    std::vector<double> losses(n);
    for (std::size_t t = 0; t < n; ++t) losses[t] = 0.3 + 2.0 * std::exp(-static_cast<double>(t + 1) / (0.4 * n)) + noise(rng);
    const Forecaster f{};
    for (auto _ : state) {
        const auto fc = f.predict(std::span<const double>(losses), 10.0 * static_cast<double>(n));
        benchmark::DoNotOptimize(fc);
    }
    state.SetComplexityN(state.range(0));
}

/// A synthetic loss stream as an autolrs::trainer: faster decay and a higher floor for larger
/// LRs, restarting every 20 steps. Its checkpoints hold nothing (a restore does not rewind the
/// stream): only the controller's decisions matter here.
struct synthetic_loss_stream {
    struct checkpoint_type {};
    double lr = 0.0;
    std::uint64_t t = 0;

    void set_learning_rate(double v) { lr = v; }
    double train_step() {
        ++t;
        return 0.2 + 0.3 * lr + std::exp(-lr * static_cast<double>(t % 20) / 5.0);
    }
    [[nodiscard]] double validation_loss() const { return 1.0; }
    [[nodiscard]] checkpoint_type checkpoint() const { return {}; }
    void restore(const checkpoint_type&) {}
};

/// A default controller in the middle of a stage's search, after `tried` candidates ended.
autolrs::controller<> controller_after(std::uint32_t tried) {
    autolrs::controller<> ctl({.lr_min = 1e-4, .lr_max = 1.0, .candidates = 16, .min_candidates = 16,
                               .initial_design = 3, .early_stop_gain = 0.0, .tau0 = 1000, .candidate_fraction = 0.02});
    synthetic_loss_stream losses;
    autolrs::directive_executor host(losses, ctl);
    std::uint32_t ended = 0;
    for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done && ended < tried;) {
        d = host.carry_out(ctl);
        for (const auto& e : ctl.events()) ended += e.kind == autolrs::event_kind::candidate_end;
    }
    return ctl;
}

/// save() of the whole state mid-stage: grows with the stage's logged search calls.
void BM_controller_save(benchmark::State& state) {
    const auto ctl = controller_after(static_cast<std::uint32_t>(state.range(0)));
    for (auto _ : state) {
        std::string text = ctl.save();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(ctl.save().size());
    state.SetComplexityN(state.range(0));
}

/// load() mid-stage: parses the text and replays the stage's search calls (its GP fits).
void BM_controller_load(benchmark::State& state) {
    const auto saved = controller_after(static_cast<std::uint32_t>(state.range(0)));
    const std::string text = saved.save();
    auto ctl = saved;
    for (auto _ : state) {
        ctl.load(std::string_view(text));
        benchmark::DoNotOptimize(ctl.steps_total());
    }
    state.SetComplexityN(state.range(0));
}

}  // namespace

BENCHMARK(BM_kernel_matrix<autolrs::matern52>)->RangeMultiplier(2)->Range(8, 128)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_kernel_matrix<autolrs::squared_exponential>)->RangeMultiplier(2)->Range(8, 128)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_gp_add_incremental)->RangeMultiplier(2)->Range(8, 128)->UseManualTime()->Complexity(benchmark::oNSquared);
BENCHMARK(BM_gp_predict_grid)->RangeMultiplier(2)->Range(8, 128)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_gp_hyperparameter_fit<autolrs::matern52>)->RangeMultiplier(2)->Range(8, 64)->UseManualTime()->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oNCubed);
BENCHMARK(BM_gp_hyperparameter_fit<autolrs::squared_exponential>)->RangeMultiplier(2)->Range(8, 64)->UseManualTime()->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oNCubed);
BENCHMARK(BM_acquisition_maximise<autolrs::expected_improvement>)->RangeMultiplier(2)->Range(8, 64)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_acquisition_maximise<autolrs::lower_confidence_bound>)->RangeMultiplier(2)->Range(8, 64)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_acquisition_maximise<autolrs::probability_of_improvement>)->RangeMultiplier(2)->Range(8, 64)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_acquisition_maximise<autolrs::thompson_sampling>)->RangeMultiplier(2)->Range(8, 64)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oNSquared);
BENCHMARK(BM_forecast_window<autolrs::exponential_forecaster>)->RangeMultiplier(2)->Range(25, 1600)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oN);
BENCHMARK(BM_forecast_window<autolrs::power_law_forecaster>)->RangeMultiplier(2)->Range(25, 1600)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oN);
BENCHMARK(BM_forecast_window<autolrs::reference_exponential_forecaster>)->RangeMultiplier(2)->Range(25, 1600)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oN);
BENCHMARK(BM_controller_save)->DenseRange(2, 14, 4)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oN);
BENCHMARK(BM_controller_load)->DenseRange(2, 14, 4)->Unit(benchmark::kMicrosecond)->Complexity(benchmark::oAuto);

BENCHMARK_MAIN();
