#pragma once
// The benchmark harness: runs autolrs::controller<gaussian_process<Kernel>, Acquisition,
// Forecaster> for every combination of three type lists on a suite of simulated problems,
// and measures, per run: the regret of each stage's chosen LR, the loss reached at the step
// budget, the search steps, and the wall time spent inside the controller's calls.
//
// Adding a policy: give the type a name (a `static constexpr std::string_view bench_name`
// member, or a specialisation of autolrs::bench::policy_name) and add it to a type list
// (see policy_lists.hpp and user_acquisition.hpp).

#include <autolrs/autolrs.hpp>

#include "problems.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/math/tools/minima.hpp>

namespace autolrs::bench {

template <class... T>
struct type_list {};

// ---- names ------------------------------------------------------------------------------------

template <class T>
struct policy_name {
    static constexpr std::string_view value = T::bench_name;
};
template <> struct policy_name<expected_improvement> { static constexpr std::string_view value = "EI"; };
template <> struct policy_name<lower_confidence_bound> { static constexpr std::string_view value = "LCB"; };
template <> struct policy_name<probability_of_improvement> { static constexpr std::string_view value = "PI"; };
template <> struct policy_name<thompson_sampling> { static constexpr std::string_view value = "Thompson"; };
template <> struct policy_name<matern52> { static constexpr std::string_view value = "Matern52"; };
template <> struct policy_name<matern32> { static constexpr std::string_view value = "Matern32"; };
template <> struct policy_name<squared_exponential> { static constexpr std::string_view value = "SqExp"; };
template <> struct policy_name<exponential_forecaster> { static constexpr std::string_view value = "exponential"; };
template <> struct policy_name<power_law_forecaster> { static constexpr std::string_view value = "power_law"; };
template <> struct policy_name<reference_exponential_forecaster> { static constexpr std::string_view value = "reference"; };
template <> struct policy_name<tail_mean_forecaster> { static constexpr std::string_view value = "tail_mean"; };

// ---- problems ---------------------------------------------------------------------------------

/// One benchmark problem: a seeded trainer factory, the LR interval and the step budget.
struct problem {
    std::string name;
    std::string family;  // "synthetic", "nqm", "replay"
    double lr_min = 0.0;
    double lr_max = 0.0;
    std::uint64_t budget = 0;  // every optimizer step, search included
    std::function<std::unique_ptr<simulated_trainer>(std::uint64_t seed)> make;
    double anneal_probe = controller_settings{}.anneal_probe;  // the controller's, unless asked
};

/// The LR in [lr_min, lr_max] minimising t.expected_loss_after(lr, steps): a 97-point grid
/// in log space, then Brent around the best point (boost::math::tools::brent_find_minima).
inline std::pair<double, double> best_constant_lr(const simulated_trainer& t, double lr_min, double lr_max,
                                                  std::uint64_t steps) {
    constexpr int grid = 97;
    const double a = std::log(lr_min), b = std::log(lr_max);
    const auto loss_at = [&](double x) {
        const double l = t.expected_loss_after(std::exp(x), steps);
        return std::isfinite(l) ? l : std::numeric_limits<double>::max();
    };
    int best = 0;
    double best_loss = std::numeric_limits<double>::infinity();
    for (int i = 0; i < grid; ++i) {
        const double l = loss_at(a + (b - a) * i / (grid - 1));
        if (l < best_loss) best = i, best_loss = l;
    }
    double best_x = a + (b - a) * best / (grid - 1);
    const double lo = a + (b - a) * std::max(best - 1, 0) / (grid - 1);
    const double hi = a + (b - a) * std::min(best + 1, grid - 1) / (grid - 1);
    std::uintmax_t iterations = 30;
    const auto [x, l] = boost::math::tools::brent_find_minima(loss_at, lo, hi, 30, iterations);
    if (l < best_loss) best_x = x, best_loss = l;
    return {std::exp(best_x), best_loss};
}

/// The suite. `data_dir` holds the recorded curves (bench/data); `budget_scale` shrinks the
/// budgets (the quick mode).
inline std::vector<problem> default_suite(const std::string& data_dir, double budget_scale = 1.0) {
    std::vector<problem> suite;
    const auto budget = [&](std::uint64_t b) {
        return std::max<std::uint64_t>(static_cast<std::uint64_t>(static_cast<double>(b) * budget_scale), 200);
    };
    // Synthetic responses over [1e-4, 1]; the optimum's place jitters with the seed.
    const auto jitter = [](std::uint64_t seed, double spread) {
        std::mt19937_64 g(seed ^ 0x5eedULL);
        return std::uniform_real_distribution<double>(-spread, spread)(g);
    };
    const auto synthetic = [&](std::string name, double noise,
                               std::function<lr_response(std::uint64_t)> response) {
        suite.push_back({std::move(name), "synthetic", 1e-4, 1.0, budget(2000),
                         [noise, response](std::uint64_t seed) -> std::unique_ptr<simulated_trainer> {
                             return std::make_unique<lr_response_trainer>(
                                 lr_response_settings{.response = response(seed), .noise_sd = noise, .seed = seed});
                         }});
    };
    synthetic("synthetic_inside", 0.01, [=](std::uint64_t s) {
        return lr_response{{{-2.0 + jitter(s, 0.5), 0.6, 1.0}}};
    });
    synthetic("synthetic_edge", 0.01, [=](std::uint64_t s) {  // peak above lr_max: best is lr_max
        return lr_response{{{0.5 + jitter(s, 0.2), 0.8, 1.0}}};
    });
    synthetic("synthetic_two_minima", 0.01, [=](std::uint64_t s) {  // the higher bump alternates
        const bool left = (s & 1U) == 0;
        return lr_response{{{-3.0 + jitter(s, 0.3), 0.35, left ? 1.0 : 0.8},
                            {-1.0 + jitter(s + 7, 0.3), 0.35, left ? 0.8 : 1.0}}};
    });
    synthetic("synthetic_heavy_noise", 0.08, [=](std::uint64_t s) {
        return lr_response{{{-2.0 + jitter(s, 0.5), 0.6, 1.0}}};
    });
    // Noisy quadratic model: LRs above 2 (SGD) / 3.8 (momentum 0.9) diverge.
    suite.push_back({"nqm_sgd", "nqm", 1e-3, 4.0, budget(2000), [](std::uint64_t seed) -> std::unique_ptr<simulated_trainer> {
                         return std::make_unique<nqm_trainer>(nqm_settings{.seed = seed});
                     }});
    suite.push_back({"nqm_momentum", "nqm", 1e-4, 4.0, budget(2000), [](std::uint64_t seed) -> std::unique_ptr<simulated_trainer> {
                         return std::make_unique<nqm_trainer>(nqm_settings{.momentum = 0.9, .seed = seed});
                     }});
    // Recorded curves: the interval is the recorded LRs' two decades.
    const auto replay = [&](std::string name, std::string file, double lr_min, double lr_max) {
        auto recording = loss_recording::load(data_dir + "/" + file);
        suite.push_back({std::move(name), "replay", lr_min, lr_max, budget(2000),
                         [recording](std::uint64_t seed) -> std::unique_ptr<simulated_trainer> {
                             return std::make_unique<replay_trainer>(recording, 10, seed);
                         }});
    };
    replay("replay_sgd_fresh", "fmnist_mlp_sgd_fresh.txt", 1e-3, 0.1);
    replay("replay_adam_trained1000", "fmnist_mlp_adam_trained1000.txt", 1e-4, 1e-2);
    replay("replay_b16_sgd_trained5000", "fmnist_mlp_b16_sgd_trained5000.txt", 1e-3, 0.1);
    return suite;
}

// ---- one run ------------------------------------------------------------------------------------

struct run_metrics {
    double regret = 0.0;        // stage-length-weighted mean over searched stages
    double final_loss = 0.0;    // noise-free loss when the budget is spent
    double search_steps = 0.0;  // optimizer steps spent on candidates not kept
    double decision_ms = 0.0;   // wall time inside the controller (construction and every call)
    double stages = 0.0;
    bool completed = false;
};

/// Per-stage regret: (L(chosen) - L(best)) / (L(start) - L(best)), where L(lr) is the
/// expected loss after the stage's horizon at lr from the stage's start state, best over the
/// interval: the fraction of the best achievable stage improvement that the choice lost.
class regret_tracker {
public:
    /// When set, every event is printed to stderr (bench_harness --trace).
    static inline bool trace = false;

    regret_tracker(double lr_min, double lr_max) : lr_min_(lr_min), lr_max_(lr_max) {}

    void on_event(const event& e, const simulated_trainer& t) {
        if (trace) {
            std::fprintf(stderr, "  step %llu stage %u %s lr %.4g loss %.4g forecast %.4g (true loss %.4g)\n",
                         static_cast<unsigned long long>(e.step), e.stage, std::string(to_string(e.kind)).c_str(),
                         e.learning_rate, e.loss, e.forecast, t.true_loss());
        }
        if (e.kind == event_kind::stage_start) {
            start_ = t.clone();
            stage_ = e.stage;
            horizon_ = e.length;
        } else if ((e.kind == event_kind::stage_lr_chosen || e.kind == event_kind::fallback) && start_ &&
                   e.stage == stage_ && std::isfinite(e.learning_rate)) {
            const double start = start_->true_loss();
            const double best = best_constant_lr(*start_, lr_min_, lr_max_, horizon_).second;
            const double chosen = start_->expected_loss_after(e.learning_rate, horizon_);
            const double gain = start - best;
            double r = gain > 1e-12 * std::abs(start) ? (chosen - best) / gain : 0.0;
            if (!std::isfinite(r)) r = 1.0;  // a diverging choice: the whole gain lost (at least)
            stages_[stage_] = {static_cast<double>(horizon_), std::max(r, 0.0)};  // a redecision replaces
        }
    }
    [[nodiscard]] double weighted_regret() const {
        double w = 0.0, s = 0.0;
        for (const auto& [stage, v] : stages_) w += v.first, s += v.first * v.second;
        return w > 0.0 ? s / w : 0.0;
    }

private:
    double lr_min_, lr_max_;
    std::unique_ptr<simulated_trainer> start_;
    std::uint32_t stage_ = 0;
    std::uint64_t horizon_ = 0;
    std::map<std::uint32_t, std::pair<double, double>> stages_;
};

/// Forwards the ask/tell protocol to a controller and adds up the wall time spent inside its
/// answers (tell_*), so that a directive_executor can drive it while the trainer's time is
/// left out.
template <class Controller>
class timed_controller {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::uint32_t slot_count = Controller::slot_count;

    explicit timed_controller(Controller& inner) noexcept : inner_(&inner) {}

    [[nodiscard]] directive pending() const { return inner_->pending(); }
    [[nodiscard]] std::span<const event> events() const { return inner_->events(); }
    [[nodiscard]] std::uint64_t steps_total() const { return inner_->steps_total(); }
    directive tell_step(double loss, bool applied) {
        return timed([&] { return inner_->tell_step(loss, applied); });
    }
    directive tell_checkpointed() {
        return timed([&] { return inner_->tell_checkpointed(); });
    }
    directive tell_restored() {
        return timed([&] { return inner_->tell_restored(); });
    }
    directive tell_validation(double loss) {
        return timed([&] { return inner_->tell_validation(loss); });
    }

    [[nodiscard]] clock::duration inside() const noexcept { return inside_; }

private:
    template <class Call>
    directive timed(Call&& call) {
        const clock::time_point start = clock::now();
        const directive next = call();
        inside_ += clock::now() - start;
        return next;
    }

    Controller* inner_;
    clock::duration inside_{};
};

/// autolrs::run's loop (a directive_executor), with the controller's calls timed and the
/// events fed to the tracker.
template <class Controller>
run_metrics drive(Controller& ctl, trainer_handle& trainer, const problem& p, double construction_seconds) {
    regret_tracker regret(p.lr_min, p.lr_max);
    timed_controller<Controller> timed(ctl);
    directive_executor<trainer_handle, Controller::slot_count> host(trainer);
    const auto report = [&] {
        for (const event& e : ctl.events()) regret.on_event(e, trainer.get());
    };
    report();
    for (directive d = ctl.pending(); d.kind != directive_kind::done;) {
        d = host.carry_out(timed);
        report();
    }
    const auto inside = timed.inside();
    run_metrics m;
    m.regret = regret.weighted_regret();
    m.final_loss = trainer.get().true_loss();
    m.search_steps = static_cast<double>(ctl.steps_searched());
    m.decision_ms = (std::chrono::duration<double>(inside).count() + construction_seconds) * 1e3;
    m.stages = ctl.stages();
    m.completed = ctl.steps_total() >= p.budget;
    return m;
}

/// One seeded run of controller<gaussian_process<Kernel>, Acquisition, Forecaster> on `p`.
template <class Acquisition, class Kernel, class Forecaster>
run_metrics run_one(const problem& p, std::uint64_t seed) {
    trainer_handle trainer(p.make(seed));
    const controller_settings settings{
        .lr_min = p.lr_min, .lr_max = p.lr_max, .total_steps = p.budget, .anneal_probe = p.anneal_probe, .seed = seed};
    const auto start = std::chrono::steady_clock::now();
    controller<gaussian_process<Kernel>, Acquisition, Forecaster> ctl(settings);
    const double construction = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return drive(ctl, trainer, p, construction);
}

// ---- the registry of combinations -----------------------------------------------------------------

struct combination {
    std::string acquisition, kernel, forecaster;
    run_metrics (*run)(const problem&, std::uint64_t seed);
};

namespace detail {
template <class A, class K, class... F>
void add_forecasters(std::vector<combination>& out, type_list<F...>) {
    (out.push_back({std::string(policy_name<A>::value), std::string(policy_name<K>::value),
                    std::string(policy_name<F>::value), &run_one<A, K, F>}),
     ...);
}
template <class A, class... K, class Forecasters>
void add_kernels(std::vector<combination>& out, type_list<K...>, Forecasters f) {
    (add_forecasters<A, K>(out, f), ...);
}
}  // namespace detail

/// Appends every (Acquisition, Kernel, Forecaster) of the three type lists to `out`.
template <class... A, class Kernels, class Forecasters>
void add_combinations(std::vector<combination>& out, type_list<A...>, Kernels k, Forecasters f) {
    (detail::add_kernels<A>(out, k, f), ...);
}

// ---- statistics -----------------------------------------------------------------------------------

/// Linear-interpolation quantile (type 7, as numpy's default) of unsorted values.
inline double quantile(std::vector<double> v, double q) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

struct summary {
    double median = 0.0, q25 = 0.0, q75 = 0.0;
};
inline summary summarise(const std::vector<double>& v) { return {quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75)}; }

}  // namespace autolrs::bench
