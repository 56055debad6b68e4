#pragma once
// autolrs::harness::compare: every configuration on every problem over seeds, and the
// fixed-schedule baselines (constant, cosine, warmup-stable-decay) tuned over each problem's
// grid of peak LRs on the same seeds (part of <autolrs/harness.hpp>).
//
//   const autolrs::harness::comparison r = autolrs::harness::compare(problems, configs, {.seeds = 20, .jobs = 2});
//   autolrs::harness::write_markdown(std::cout, r);
//
// Every run is independent and seeded (seed = first_seed + k); results are stored by index,
// so they are the same for any `jobs` (only the measured decision times differ).

#include <autolrs/autolrs.hpp>  // the core: include/ or the single header
#include <autolrs/harness/config.hpp>
#include <autolrs/harness/problem.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace autolrs::harness {

/// The fixed schedules every problem's configurations are compared against.
enum class fixed_schedule { constant, cosine, wsd };
inline constexpr fixed_schedule fixed_schedules[] = {fixed_schedule::constant, fixed_schedule::cosine,
                                                     fixed_schedule::wsd};

[[nodiscard]] constexpr std::string_view to_string(fixed_schedule s) noexcept {
    switch (s) {
        case fixed_schedule::constant: return "constant";
        case fixed_schedule::cosine: return "cosine";
        case fixed_schedule::wsd: return "wsd";
    }
    return "?";
}

/// `s` at peak `lr` over `budget` steps: constant; cosine to 0; warmup-stable-decay with a 5%
/// linear warmup and the last 20% linear to 0.
[[nodiscard]] inline std::function<double(std::uint64_t)> make_fixed_schedule(fixed_schedule s, double lr,
                                                                             std::uint64_t budget) {
    switch (s) {
        case fixed_schedule::constant: return schedule::constant({.lr = lr});
        case fixed_schedule::cosine: return schedule::cosine({.lr_max = lr, .period = budget});
        case fixed_schedule::wsd:
            return schedule::warmup_stable_decay(
                {.lr = lr, .total_steps = budget, .decay_steps = budget / 5, .warmup_steps = budget / 20});
    }
    throw invalid_setting("fixed_schedule", "unknown");
}

/// compare()'s settings.
struct compare_options {
    unsigned seeds = 10;              ///< runs per (problem, config) and per baseline grid point; >= 1
    unsigned jobs = 1;                ///< worker threads; >= 1 (the results do not depend on it)
    std::uint64_t first_seed = 1000;  ///< seeds first_seed, first_seed + 1, ...
    bool baselines = true;            ///< tune constant, cosine and WSD over each problem's grid
    bool regret = true;               ///< the per-stage regret diagnostic (where the problem knows it)
    /// Called after each finished run (from the worker threads, one call at a time).
    std::function<void(std::size_t done, std::size_t total)> progress{};

    void validate() const {
        if (seeds == 0) throw invalid_setting("compare_options.seeds", "must be >= 1");
        if (jobs == 0) throw invalid_setting("compare_options.jobs", "must be >= 1");
        if (jobs > 1024) throw invalid_setting("compare_options.jobs", "must be <= 1024");
    }
};

/// One fixed schedule on one problem, tuned over the grid: the peak LR with the lowest median
/// final loss over the seeds, and that LR's final loss per seed.
struct tuned_schedule {
    fixed_schedule schedule = fixed_schedule::constant;
    double peak_lr = 0.0;
    std::vector<double> final_losses;              ///< at peak_lr, per seed
    std::vector<std::vector<double>> grid_losses;  ///< [grid point][seed]
    std::uint64_t tuning_steps = 0;                ///< grid points x budget: one seed's cost of tuning
};

/// What compare() measured.
struct comparison {
    struct problem_info {
        std::string name, family;
        double lr_min = 0.0, lr_max = 0.0;
        std::uint64_t budget = 0;
        std::vector<double> grid;
    };
    std::vector<problem_info> problems;
    std::vector<std::string> configs;
    std::vector<std::uint64_t> seeds;
    std::vector<std::vector<std::vector<run_metrics>>> runs;  ///< [problem][config][seed]
    std::vector<std::vector<tuned_schedule>> tuned;           ///< [problem][fixed schedule]; empty without baselines
    double cpu_seconds = 0.0, wall_seconds = 0.0;
    unsigned jobs = 1;

    /// The tuned schedule with the lowest median final loss on problem p (nullptr without baselines).
    [[nodiscard]] const tuned_schedule* best_tuned(std::size_t p) const;
};

/// Linear-interpolation quantile (type 7, numpy's default) of unsorted values; NaN when empty.
[[nodiscard]] inline double quantile(std::vector<double> v, double q) {
    std::erase_if(v, [](double x) { return std::isnan(x); });
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    if (v[lo] == v[hi]) return v[lo];  // inf stays inf
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

struct summary {
    double median = 0.0, q25 = 0.0, q75 = 0.0;
};
[[nodiscard]] inline summary summarise(const std::vector<double>& v) {
    return {quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75)};
}

inline const tuned_schedule* comparison::best_tuned(std::size_t p) const {
    if (p >= tuned.size() || tuned[p].empty()) return nullptr;
    const tuned_schedule* best = &tuned[p][0];
    for (const tuned_schedule& t : tuned[p])
        if (quantile(t.final_losses, 0.5) < quantile(best->final_losses, 0.5)) best = &t;
    return best;
}

/// The final loss of fixed schedule `s` at peak `lr` on a fresh trainer of `p` for `seed`.
[[nodiscard]] inline double run_fixed_schedule(const problem& p, fixed_schedule s, double lr, std::uint64_t seed) {
    trainer_handle trainer(p.make(seed));
    run_schedule(trainer, make_fixed_schedule(s, lr, p.budget), p.budget);
    const double l = trainer.get().final_loss();
    return std::isnan(l) ? std::numeric_limits<double>::infinity() : l;
}

/// Runs every config on every problem for `options.seeds` seeds, and (options.baselines) every
/// fixed schedule at every grid point on the same seeds. Throws autolrs::invalid_setting for a
/// bad problem, config or option before anything runs; a run that throws stops the comparison
/// with a std::runtime_error naming the problem, config and seed (the exception nested).
[[nodiscard]] inline comparison compare(const std::vector<problem>& problems, const std::vector<config>& configs,
                                        const compare_options& options = {}) {
    options.validate();
    if (problems.empty()) throw invalid_setting("problems", "must not be empty");
    if (configs.empty()) throw invalid_setting("configs", "must not be empty");
    for (std::size_t i = 0; i < problems.size(); ++i) {
        problems[i].validate();
        for (std::size_t j = 0; j < i; ++j)
            if (problems[j].name == problems[i].name)
                throw invalid_setting("problem.name", "two problems are named '" + problems[i].name + "'");
    }
    for (std::size_t i = 0; i < configs.size(); ++i) {
        if (configs[i].name.empty()) throw invalid_setting("config.name", "must not be empty");
        for (std::size_t j = 0; j < i; ++j)
            if (configs[j].name == configs[i].name)
                throw invalid_setting("config.name", "two configs are named '" + configs[i].name + "'");
        for (const problem& p : problems) (void)configs[i].settings_for(p, options.first_seed);  // validates
    }

    comparison r;
    r.jobs = options.jobs;
    for (const problem& p : problems)
        r.problems.push_back({p.name, p.family, p.lr_min, p.lr_max, p.budget, p.baseline_grid()});
    for (const config& c : configs) r.configs.push_back(c.name);
    for (unsigned s = 0; s < options.seeds; ++s) r.seeds.push_back(options.first_seed + s);
    const std::size_t n_seeds = options.seeds;
    r.runs.assign(problems.size(), std::vector<std::vector<run_metrics>>(configs.size(), std::vector<run_metrics>(n_seeds)));

    // The tasks: controller runs first, then the baselines' grid runs.
    struct grid_task {
        std::size_t problem, schedule, point;
    };
    std::vector<grid_task> grid_tasks;
    if (options.baselines) {
        r.tuned.resize(problems.size());
        for (std::size_t p = 0; p < problems.size(); ++p) {
            const std::size_t points = r.problems[p].grid.size();
            for (std::size_t s = 0; s < std::size(fixed_schedules); ++s) {
                tuned_schedule t;
                t.schedule = fixed_schedules[s];
                t.grid_losses.assign(points, std::vector<double>(n_seeds));
                t.tuning_steps = points * problems[p].budget;
                r.tuned[p].push_back(std::move(t));
                for (std::size_t g = 0; g < points; ++g) grid_tasks.push_back({p, s, g});
            }
        }
    }
    const std::size_t controller_tasks = problems.size() * configs.size() * n_seeds;
    const std::size_t total = controller_tasks + grid_tasks.size() * n_seeds;

    const auto wall_start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::size_t done = 0;
    std::size_t failed_at = total;
    std::string failure;
    std::exception_ptr failure_ptr;
    std::mutex mutex;
    const auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < total && !failed.load();) {
            std::string what;
            try {
                if (i < controller_tasks) {
                    const std::size_t seed = i % n_seeds, c = (i / n_seeds) % configs.size(),
                                      p = i / (n_seeds * configs.size());
                    what = "problem '" + problems[p].name + "', config '" + configs[c].name + "', seed " +
                           std::to_string(r.seeds[seed]);
                    r.runs[p][c][seed] = configs[c].run(problems[p], r.seeds[seed], options.regret);
                } else {
                    const std::size_t k = i - controller_tasks, seed = k % n_seeds;
                    const grid_task& g = grid_tasks[k / n_seeds];
                    tuned_schedule& t = r.tuned[g.problem][g.schedule];
                    const double lr = r.problems[g.problem].grid[g.point];
                    what = "problem '" + problems[g.problem].name + "', " + std::string(to_string(t.schedule)) +
                           " at " + std::to_string(lr) + ", seed " + std::to_string(r.seeds[seed]);
                    t.grid_losses[g.point][seed] = run_fixed_schedule(problems[g.problem], t.schedule, lr, r.seeds[seed]);
                }
            } catch (...) {
                const std::lock_guard lock(mutex);
                if (i < failed_at) {  // the first failing task in order, whatever the threads did
                    failed_at = i;
                    failure = what;
                    failure_ptr = std::current_exception();
                }
                failed = true;
                continue;
            }
            if (options.progress) {
                const std::lock_guard lock(mutex);
                options.progress(++done, total);
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < options.jobs; ++t) threads.emplace_back(worker);
    worker();
    for (std::thread& t : threads) t.join();
    if (failed) {
        try {
            std::rethrow_exception(failure_ptr);
        } catch (...) {
            std::throw_with_nested(std::runtime_error("autolrs::harness::compare: " + failure + " threw"));
        }
    }

    for (auto& per_problem : r.tuned)
        for (tuned_schedule& t : per_problem) {
            std::size_t best = 0;
            for (std::size_t g = 1; g < t.grid_losses.size(); ++g)
                if (quantile(t.grid_losses[g], 0.5) < quantile(t.grid_losses[best], 0.5)) best = g;
            t.final_losses = t.grid_losses[best];
            t.peak_lr = r.problems[&per_problem - r.tuned.data()].grid[best];
        }
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    r.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    return r;
}

}  // namespace autolrs::harness
