// THE SUITE: every task, its half (development or hold-out), seeds, budget, baseline grid and
// the one interval AutoLRS is given. The split below was fixed before any tuning on the suite
// (bench/suite/README.md, "The split", says why each task is where it is). Do not move a task
// between halves, change a hold-out task, or add hold-out seeds after looking at hold-out
// results: add new tasks instead, and say so in the README.

#include "suite.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace autolrs::suite {

namespace {

std::vector<std::uint64_t> seeds_from(std::uint64_t first, std::uint64_t count) {
    std::vector<std::uint64_t> s;
    for (std::uint64_t i = 0; i < count; ++i) s.push_back(first + i);
    return s;
}

// `count` peak LRs half a decade apart from `low`, each rounded to 3 significant digits as
// bench_schedule_table's grids are (3.16e-4, 1e-3, 3.16e-3, ...).
std::vector<double> half_decades(double low, int count) {
    const double start = std::round(2.0 * std::log10(low)) / 2.0;
    std::vector<double> g;
    for (int i = 0; i < count; ++i) {
        const double v = std::pow(10.0, start + 0.5 * i);
        const double unit = std::pow(10.0, std::floor(std::log10(v)) - 2.0);
        g.push_back(std::round(v / unit) * unit);
    }
    return g;
}

}  // namespace

std::vector<task> all_tasks(const task_options& o) {
    std::vector<task> tasks;
    // Seeds: the development half uses seeds from 1, the hold-out half seeds from 101.
    const auto seeds = [&](half h, std::uint64_t count) {
        return seeds_from(h == half::dev ? 1 : 101, o.quick ? 1 : count);
    };
    const auto scaled = [&](std::uint64_t budget, std::uint64_t quick_budget) { return o.quick ? quick_budget : budget; };

    // ---- Fashion-MNIST networks (LibTorch, CPU, batch 128; metric: test accuracy on the 10k test set)
    // AutoLRS gets bench_schedule_table's wide intervals: SGD [1e-3, 1], Adam [1e-5, 3e-2];
    // the baselines its grids (half-decade steps): SGD 0.01 .. 1, Adam 1e-4 .. 1e-2 (the CNN:
    // 3.16e-4 .. 3.16e-2, as a one-seed cosine pilot at 500 steps was best at 1e-2, the old top).
    const auto fmnist = [&](std::string name, half h, std::string description, const fmnist_problem& p,
                            std::uint64_t budget, std::uint64_t quick_budget, double seconds_per_step) {
        const bool sgd = p.optimizer == "sgd";
        task t{.name = std::move(name),
               .family = "fmnist",
               .which = h,
               .description = std::move(description),
               .metric = "test accuracy %",
               .higher_is_better = true,
               .budget = scaled(budget, quick_budget),
               .seeds = seeds(h, 3),
               .grid = sgd ? half_decades(0.01, 5) : half_decades(p.model == "cnn" ? 3.16e-4 : 1e-4, 5),
               .lr_min = sgd ? 1e-3 : 1e-5,
               .lr_max = sgd ? 1.0 : 3e-2,
               // quick: at most a quarter of the tiny budget, as the library's zero-setting mode requires
               .range_test_steps = o.quick ? std::clamp<std::uint64_t>(quick_budget / 4, 2, 20)
                                           : std::clamp<std::uint64_t>(budget / 20, 100, 200),
               .seconds_per_step = seconds_per_step,
               .make = fmnist_factory(p, o.quick)};
        if (o.quick) t.grid = {t.grid[1], t.grid[3]};
        tasks.push_back(std::move(t));
    };
    // Development: the budget the library's defaults were chosen at (bench/schedule_table).
    fmnist("mlp_sgd_4000", half::dev, "MLP 784-256-10, SGD momentum 0.9, 4000 steps",
           {.model = "mlp", .optimizer = "sgd"}, 4000, 300, 1.45e-3);
    fmnist("mlp_adam_4000", half::dev, "MLP 784-256-10, Adam, 4000 steps", {.model = "mlp", .optimizer = "adam"}, 4000,
           300, 1.65e-3);
    fmnist("cnn_adam_500", half::dev, "CNN conv32-conv64-fc128-fc10, Adam, 500 steps",
           {.model = "cnn", .optimizer = "adam"}, 500, 40, 12.5e-3);
    // Hold-out: three times the budget, and the CNN at three times the dev CNN's budget.
    fmnist("mlp_sgd_12000", half::holdout, "MLP 784-256-10, SGD momentum 0.9, 12000 steps",
           {.model = "mlp", .optimizer = "sgd"}, 12000, 300, 1.45e-3);
    fmnist("mlp_adam_12000", half::holdout, "MLP 784-256-10, Adam, 12000 steps", {.model = "mlp", .optimizer = "adam"},
           12000, 300, 1.55e-3);
    fmnist("cnn_adam_1500", half::holdout, "CNN conv32-conv64-fc128-fc10, Adam, 1500 steps",
           {.model = "cnn", .optimizer = "adam"}, 1500, 40, 12.5e-3);

    // ---- Noisy quadratic model (1000 dims, h_i = 1/i, x0 = 1, momentum 0.9, gradient noise
    // variance h_i / batch; metric: the exact expected loss at the budget). Stable for LR < 3.8.
    // AutoLRS: [1e-4, 1] (4 decades below the edge of stability); baselines: 1e-3 .. 1 (7 points).
    const auto nqm = [&](std::string name, half h, std::uint64_t batch, std::uint64_t budget) {
        tasks.push_back({.name = std::move(name),
                         .family = "nqm",
                         .which = h,
                         .description = "NQM 1000 dims, momentum 0.9, batch " + std::to_string(batch) + ", " +
                                        std::to_string(budget) + " steps",
                         .metric = "expected loss",
                         .higher_is_better = false,
                         .budget = scaled(budget, budget / 10),
                         .seeds = seeds(h, 5),
                         .grid = o.quick ? std::vector<double>{0.01, 0.1} : half_decades(1e-3, 7),
                         .lr_min = 1e-4,
                         .lr_max = 1.0,
                         .range_test_steps = o.quick ? 50U : 200U,
                         .seconds_per_step = 30e-6,
                         .make = nqm_factory({.dimensions = 1000, .momentum = 0.9, .batch = batch})});
    };
    // The diagonal split: each half has both noise levels and both budgets.
    nqm("nqm_b32_6000", half::dev, 32, 6000);
    nqm("nqm_b8_20000", half::dev, 8, 20000);
    nqm("nqm_b8_6000", half::holdout, 8, 6000);
    nqm("nqm_b32_20000", half::holdout, 32, 20000);

    // ---- Replayed loss curves (bench/data: 8 recorded LRs over two decades per file; a schedule
    // walks over the curves by loss level; metric: the recorded smoothed loss where it ends).
    // AutoLRS and the baselines get the recorded LRs (nothing outside them exists).
    // Batch 64 (the forecasting benchmark's main set) is development, batch 16 (its hold-out) hold-out.
    const auto replay = [&](const std::string& file, half h) {
        const std::string path = o.data_dir + "/" + file + ".txt";
        const std::vector<double> lrs = replay_lrs(path);
        std::string name = "replay_" + file.substr(std::string("fmnist_mlp_").size());
        tasks.push_back({.name = std::move(name),
                         .family = "replay",
                         .which = h,
                         .description = "recorded curves " + file + ", 2000 steps",
                         .metric = "replayed loss",
                         .higher_is_better = false,
                         .budget = scaled(2000, 400),
                         .seeds = seeds(h, 5),
                         .grid = o.quick ? std::vector<double>{lrs[2], lrs[5]} : lrs,
                         .lr_min = lrs.front(),
                         .lr_max = lrs.back(),
                         .range_test_steps = o.quick ? 40U : 100U,
                         .seconds_per_step = 2e-6,
                         .make = replay_factory(path)});
    };
    for (const char* optimizer : {"sgd", "adam"})
        for (const char* start : {"fresh", "trained1000", "trained5000"}) {
            replay(std::string("fmnist_mlp_") + optimizer + "_" + start, half::dev);
            replay(std::string("fmnist_mlp_b16_") + optimizer + "_" + start, half::holdout);
        }
    std::stable_sort(tasks.begin(), tasks.end(), [](const task& a, const task& b) { return a.which < b.which; });
    return tasks;
}

}  // namespace autolrs::suite
