// Fit + predict time of the forecasters on a noisy decaying window of 100 and 800 points
// (targets for the default: <= 20 us and <= 100 us).
#include <autolrs/autolrs.hpp>
#include <autolrs/forecast/power_law.hpp>
#include <autolrs/forecast/reference.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

std::vector<double> window(std::size_t n) {
    std::mt19937_64 rng(42);
    std::normal_distribution<double> noise(0.0, 0.05);
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = 1.5 * std::exp(-3.0 * double(i + 1) / double(n)) + 0.4 + noise(rng);
    return y;
}

template <class F>
void fit_and_predict(benchmark::State& state) {
    const F forecaster{};
    const auto y = window(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto f = forecaster.predict(y, 10.0 * double(y.size()));
        benchmark::DoNotOptimize(f);
    }
}

}  // namespace

BENCHMARK(fit_and_predict<autolrs::exponential_forecaster>)->Arg(100)->Arg(800)->Unit(benchmark::kMicrosecond);
BENCHMARK(fit_and_predict<autolrs::power_law_forecaster>)->Arg(100)->Arg(800)->Unit(benchmark::kMicrosecond);
BENCHMARK(fit_and_predict<autolrs::reference_exponential_forecaster>)->Arg(100)->Arg(800)->Unit(benchmark::kMicrosecond);
BENCHMARK(fit_and_predict<autolrs::tail_mean_forecaster>)->Arg(100)->Arg(800)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
