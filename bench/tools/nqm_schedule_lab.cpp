// The noisy-quadratic schedule lab: how far a schedule is from the best one on the noisy
// quadratic model, measured exactly (the expected final loss of an LR sequence follows from
// the per-direction moment recursion, no sampling noise), for tuned fixed schedules and for
// AutoLRS variants (run on the stochastic model, then their found schedule evaluated exactly).
// A quick place to try a decision rule before the suite (bench/suite).
//
//   nqm_schedule_lab --what baselines   # tuned constant / cosine / WSD, and cosine on a fraction of the budget
//   nqm_schedule_lab --what autolrs     # our defaults and a few variants, 5 seeds
//   nqm_schedule_lab --what shapes      # which schedule shape is best with a tuned peak (also on 85% of the budget)
//   nqm_schedule_lab --what optimum     # the best knotted schedule against the tuned cosine
//   nqm_schedule_lab --what proxies     # which stage objective picks the LR that is best for the end
//   nqm_schedule_lab --what lawfit      # a loss law fitted to the first 10% choosing the rest (issue 17)
//   nqm_schedule_lab --what once        # search_once's plan on the suite's NQMs: which horizon picks its best LR
//   nqm_schedule_lab --what jointfit    # one search's candidates judged per candidate and by one joint LR-area model
//   nqm_schedule_lab --what drift       # the best LR at three points of the window, extrapolated to the stage's end
//   nqm_schedule_lab --what plan        # the defaults' plan with every LR chosen by an oracle, search charged
//   nqm_schedule_lab --what plancurve   # that plan's final loss against the second stage's LR
//   nqm_schedule_lab --what stage2      # which judge of the second search's candidates picks its best LR
//   nqm_schedule_lab --what geometric   # one stage, then a geometric decay: how the start and the ratio matter
//   nqm_schedule_lab --what autolrs --set candidate_fraction=0.05 --set candidates=4   # one variant
//
// Model: 1000 directions, curvatures h_i = 1/i, x_i = 1 at the start, heavy-ball momentum 0.9,
// gradient noise of variance c h_i (c = 1/batch); tasks: c = 1/32 and 1/8 at 6000 steps,
// c = 1/32 at 2000 steps.

#include <autolrs/autolrs.hpp>

#include <CLI/CLI.hpp>
#include <Eigen/QR>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct nqm_task {
    const char* name;
    double noise;  // c: gradient noise variance c h_i
    std::uint64_t budget;
};

constexpr int dimensions = 1000;
constexpr double momentum = 0.9;

/// The stochastic model, as an autolrs::trainer.
class nqm_trainer {
public:
    using checkpoint_type = std::pair<std::vector<double>, std::vector<double>>;

    nqm_trainer(double noise, std::uint64_t seed) : noise_(noise), x_(dimensions, 1.0), v_(dimensions, 0.0), rng_(seed) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        double loss = 0.0;
        for (int i = 0; i < dimensions; ++i) {
            const double h = 1.0 / (i + 1);
            const double g = h * x_[i] + std::sqrt(noise_ * h) * normal_(rng_);
            v_[i] = momentum * v_[i] - lr_ * g;
            x_[i] += v_[i];
            loss += 0.5 * h * x_[i] * x_[i];
        }
        return std::isfinite(loss) ? loss : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] double validation_loss() const {
        double loss = 0.0;
        for (int i = 0; i < dimensions; ++i) loss += 0.5 / (i + 1) * x_[i] * x_[i];
        return loss;
    }
    [[nodiscard]] checkpoint_type checkpoint() const { return {x_, v_}; }
    void restore(const checkpoint_type& c) {
        x_ = c.first;
        v_ = c.second;
    }

private:
    double noise_;
    double lr_ = 0.0;
    std::vector<double> x_, v_;
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_;
};

/// The exact expected loss after `steps` steps at lr(0), lr(1), ... from x = 1, v = 0.
double expected_final_loss(double noise, const std::function<double(std::uint64_t)>& lr, std::uint64_t steps) {
    std::vector<double> lrs(steps);
    for (std::uint64_t t = 0; t < steps; ++t) lrs[t] = lr(t);
    double total = 0.0;
    for (int i = 0; i < dimensions; ++i) {
        const double h = 1.0 / (i + 1);
        double xx = 1.0, xv = 0.0, vv = 0.0;  // E[x^2], E[xv], E[v^2]
        for (const double a : lrs) {
            // v' = -a h x + b v - a e, x' = x + v' = (1 - a h) x + b v - a e
            const double p = 1.0 - a * h, q = -a * h, b = momentum, injected = a * a * noise * h;
            const double nxx = p * p * xx + 2.0 * p * b * xv + b * b * vv + injected;
            const double nxv = p * q * xx + (p + q) * b * xv + b * b * vv + injected;
            const double nvv = q * q * xx + 2.0 * q * b * xv + b * b * vv + injected;
            xx = nxx;
            xv = nxv;
            vv = nvv;
            if (!(xx < 1e30)) return std::numeric_limits<double>::infinity();
        }
        total += 0.5 * h * xx;
    }
    return total;
}

/// The exact per-direction second moments (E x^2, E xv, E v^2) of the model: its state in expectation.
struct moments {
    std::vector<double> xx, xv, vv;
    moments() : xx(dimensions, 1.0), xv(dimensions, 0.0), vv(dimensions, 0.0) {}
    void step(double noise, double a) {
        for (int i = 0; i < dimensions; ++i) {
            const double h = 1.0 / (i + 1);
            const double p = 1.0 - a * h, q = -a * h, b = momentum, injected = a * a * noise * h;
            const double nxx = p * p * xx[i] + 2.0 * p * b * xv[i] + b * b * vv[i] + injected;
            const double nxv = p * q * xx[i] + (p + q) * b * xv[i] + b * b * vv[i] + injected;
            const double nvv = q * q * xx[i] + 2.0 * q * b * xv[i] + b * b * vv[i] + injected;
            xx[i] = std::min(nxx, 1e30);
            xv[i] = nxv;
            vv[i] = nvv;
        }
    }
    [[nodiscard]] double loss() const {
        double l = 0.0;
        for (int i = 0; i < dimensions; ++i) l += 0.5 / (i + 1) * xx[i];
        return l;
    }
};

std::vector<double> peak_grid() {  // 8 per decade, 0.01 .. 3
    std::vector<double> grid;
    for (double g = 0.01; g < 3.01; g *= std::pow(10.0, 0.125)) grid.push_back(g);
    return grid;
}

double cosine(double peak, std::uint64_t t, double length) {
    return 0.5 * peak * (1.0 + std::cos(std::numbers::pi * static_cast<double>(t) / length));
}

double wsd(double peak, std::uint64_t t, double length) {  // 5% linear warmup, last 20% linear to 0
    const double s = static_cast<double>(t);
    if (s < 0.05 * length) return peak * (s + 1.0) / (0.05 * length);
    if (s < 0.8 * length) return peak;
    return peak * (length - s) / (0.2 * length);
}

/// The best peak of `peak_grid()` for `schedule(peak, t, length)` over `fraction` of the task's
/// budget, and its exact expected final loss.
struct tuned_peak {
    double loss = std::numeric_limits<double>::infinity();
    double peak = 0.0;
};
template <class Schedule>
tuned_peak tune_peak(const nqm_task& task, Schedule schedule, double fraction = 1.0) {
    const double length = fraction * static_cast<double>(task.budget);
    const auto steps = static_cast<std::uint64_t>(length);
    tuned_peak best;
    for (const double g : peak_grid()) {
        const double l = expected_final_loss(task.noise, [&](std::uint64_t t) { return schedule(g, t, length); }, steps);
        if (l < best.loss) best = {l, g};
    }
    return best;
}

void baselines(const std::vector<nqm_task>& tasks) {
    std::printf("| task | best constant | best cosine | best WSD | cosine on 95 / 90 / 80 / 70%% of the budget |\n");
    std::printf("| --- | --- | --- | --- | --- |\n");
    for (const nqm_task& task : tasks) {
        const tuned_peak c = tune_peak(task, [](double g, std::uint64_t, double) { return g; });
        const tuned_peak cos = tune_peak(task, cosine);
        const tuned_peak w = tune_peak(task, wsd);
        std::printf("| %s | %.4g (lr %.3g) | %.4g (peak %.3g) | %.4g (peak %.3g) | %.4g / %.4g / %.4g / %.4g |\n", task.name,
                    c.loss, c.peak, cos.loss, cos.peak, w.loss, w.peak, tune_peak(task, cosine, 0.95).loss,
                    tune_peak(task, cosine, 0.9).loss, tune_peak(task, cosine, 0.8).loss, tune_peak(task, cosine, 0.7).loss);
    }
}

/// Which schedule SHAPE is best when its peak is tuned: cosine, linear decay to 0 over the whole
/// budget, and a stable phase then a linear decay to 0 over the last 20 / 40 / 60% (WSD without
/// warmup); each on the whole budget and on 85% of it (what is left after a search that costs 15%).
void shapes(const std::vector<nqm_task>& tasks) {
    std::printf("| task | budget share | cosine | linear to 0 | stable, decay last 20%% | last 40%% | last 60%% |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
    const auto stable_decay = [](double decay_share) {
        return [decay_share](double peak, std::uint64_t t, double length) {
            const double s = static_cast<double>(t), start = (1.0 - decay_share) * length;
            return s < start ? peak : peak * (length - s) / (decay_share * length);
        };
    };
    for (const nqm_task& task : tasks) {
        for (const double share : {1.0, 0.85}) {
            const auto cell = [&](auto schedule) {
                const tuned_peak best = tune_peak(task, schedule, share);
                char text[64];
                std::snprintf(text, sizeof text, "%.4g (peak %.3g)", best.loss, best.peak);
                return std::string(text);
            };
            std::printf("| %s | %.0f%% | %s | %s | %s | %s | %s |\n", task.name, 100.0 * share, cell(cosine).c_str(),
                        cell(stable_decay(1.0)).c_str(), cell(stable_decay(0.2)).c_str(),
                        cell(stable_decay(0.4)).c_str(), cell(stable_decay(0.6)).c_str());
        }
    }
}

/// How far the tuned cosine is from the best schedule: log(LR) piecewise linear between 9 evenly
/// spaced knots (the last at the final step), each knot improved in turn by a coordinate search
/// on the exact expected final loss, starting from the tuned cosine (its end at peak / 1000).
void optimum(const std::vector<nqm_task>& tasks) {
    std::printf("| task | tuned cosine | best knotted schedule | its LR at 0, 12.5, 25, ..., 100%% of the budget |\n");
    std::printf("| --- | --- | --- | --- |\n");
    for (const nqm_task& task : tasks) {
        const auto T = static_cast<double>(task.budget);
        const auto [cos_best, peak] = tune_peak(task, cosine);
        constexpr int knots = 9;
        std::vector<double> log_lr(knots);
        for (int k = 0; k < knots; ++k) {
            log_lr[k] = std::log(std::max(cosine(peak, static_cast<std::uint64_t>(k * T / (knots - 1)), T), peak * 1e-3));
        }
        const auto loss_of = [&](const std::vector<double>& y) {
            return expected_final_loss(task.noise, [&](std::uint64_t t) {
                const double u = static_cast<double>(t) / T * (knots - 1);
                const int k = std::min(knots - 2, static_cast<int>(u));
                return std::exp(y[k] + (y[k + 1] - y[k]) * (u - k));
            }, task.budget);
        };
        double best = loss_of(log_lr);
        for (double step = 1.0; step > 0.02; step *= 0.5) {
            for (int round = 0; round < 2; ++round) {
                for (int k = 0; k < knots; ++k) {
                    for (const double d : {step, -step}) {
                        std::vector<double> y = log_lr;
                        y[k] += d;
                        const double l = loss_of(y);
                        if (l < best) { best = l; log_lr = y; }
                    }
                }
            }
        }
        std::string lrs;
        for (const double y : log_lr) {
            char text[32];
            std::snprintf(text, sizeof text, "%s%.3g", lrs.empty() ? "" : " ", std::exp(y));
            lrs += text;
        }
        std::printf("| %s | %.4g (peak %.3g) | %.4g (x%.3f) | %s |\n", task.name, cos_best, peak, best, best / cos_best, lrs.c_str());
    }
}

/// The index of the smallest value.
std::size_t best_index(const std::vector<double>& v) {
    return static_cast<std::size_t>(std::min_element(v.begin(), v.end()) - v.begin());
}

/// "LR (+regret%)": the LR of `lrs` that `judged` ranks best, and its regret in `truth`.
std::string choice_cell(const std::vector<double>& lrs, const std::vector<double>& truth, const std::vector<double>& judged) {
    const std::size_t i = best_index(judged), b = best_index(truth);
    char text[64];
    std::snprintf(text, sizeof text, "%.3g (+%.0f%%)", lrs[i], 100.0 * (truth[i] / truth[b] - 1.0));
    return text;
}

/// Which stage objective, measured exactly (in expectation: no noise), chooses the LR that is best
/// for the END of the budget? From states on the tuned cosine's trajectory (at 10-70% of the
/// budget), each candidate LR of a grid is scored by: the loss after its tau' steps (the
/// greedy short horizon), after the stage's tau steps (a perfect forecaster), after tau' steps
/// and the default anneal probe (tau'/2 at a tenth of its LR), after tau steps less that
/// probe's drop (the default objective, forecast perfect), and after tau' steps then a linear
/// decay to 0 over L steps (a cooldown-shaped probe, L = tau' and 4 tau'). The truth: the final
/// loss when the stage trains at the LR, then a cosine from it to 0 over the rest of the budget.
/// Printed: each objective's choice and its regret in that final loss.
void proxies(const std::vector<nqm_task>& tasks) {
    std::printf("| task | at | best LR for the end (final loss) | short horizon tau' | horizon tau | tau' + probe | "
                "tau less probe drop (default) | tau' + decay over tau' | tau' + decay over 4 tau' |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (const nqm_task& task : tasks) {
        const auto T = static_cast<double>(task.budget);
        const double peak = tune_peak(task, cosine).peak;
        const std::uint64_t tau = task.budget / 8, tau_prime = tau / 10;
        for (const double at : {0.0, 0.1, 0.3, 0.5, 0.7}) {
            moments start;
            const auto t0 = static_cast<std::uint64_t>(at * T);
            for (std::uint64_t t = 0; t < t0; ++t) start.step(task.noise, cosine(peak, t, T));
            const auto after = [&](const moments& from, auto lr_at, std::uint64_t steps) {
                moments m = from;
                for (std::uint64_t t = 0; t < steps; ++t) m.step(task.noise, lr_at(t));
                return m;
            };
            std::vector<double> lrs, truth, greedy, horizon, probed, less_drop, decay1, decay4;
            for (double g = 0.003; g < 3.01; g *= std::pow(10.0, 0.125)) {
                const auto constant = [g](std::uint64_t) { return g; };
                const moments stage = after(start, constant, tau);
                const std::uint64_t rest = task.budget - t0 - tau;
                truth.push_back(after(stage, [&](std::uint64_t t) { return cosine(g, t, static_cast<double>(rest)); }, rest).loss());
                const moments cand = after(start, constant, tau_prime);
                greedy.push_back(cand.loss());
                horizon.push_back(stage.loss());
                const std::uint64_t probe = std::max<std::uint64_t>(2, tau_prime / 2);
                const double probe_loss = after(cand, [g](std::uint64_t) { return 0.1 * g; }, probe).loss();
                probed.push_back(probe_loss);
                less_drop.push_back(stage.loss() - std::max(0.0, cand.loss() - probe_loss));
                const auto decay = [&](std::uint64_t length) {
                    return after(cand, [&](std::uint64_t t) { return g * (1.0 - static_cast<double>(t + 1) / static_cast<double>(length)); }, length).loss();
                };
                decay1.push_back(decay(tau_prime));
                decay4.push_back(decay(4 * tau_prime));
                lrs.push_back(g);
            }
            const std::size_t b = best_index(truth);
            const auto cell = [&](const std::vector<double>& v) { return choice_cell(lrs, truth, v); };
            std::printf("| %s | %.0f%% | %.3g (%.4g) | %s | %s | %s | %s | %s | %s |\n", task.name, 100.0 * at, lrs[b], truth[b],
                        cell(greedy).c_str(), cell(horizon).c_str(), cell(probed).c_str(), cell(less_drop).c_str(),
                        cell(decay1).c_str(), cell(decay4).c_str());
        }
    }
}

/// --what once: the search_once plan (one constant stage over the first fifth, then a cosine from
/// its LR to 0) on the suite's four noisy quadratics, measured exactly. For each LR p of a grid:
/// the truth (that plan's final loss), the loss at the stage's end (what a perfect forecast of the
/// stage's horizon sees), after the candidate's window (a tenth of the stage: the greedy short
/// horizon) and at the budget's end at constant p (the best constant). Which p each one picks,
/// and that p's regret in the truth.
void once(const std::vector<nqm_task>& tasks) {
    std::printf("| task | best p for the plan (final loss) | perfect stage-horizon forecast | candidate window (a tenth) | a quarter | half the stage | constant to the end |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (const nqm_task& task : tasks) {
        const std::uint64_t stage = task.budget / 5, window = stage / 10, rest = task.budget - stage;
        std::vector<double> lrs, truth, horizon, greedy, constant, quarter, half;
        for (double g = 0.003; g < 3.01; g *= std::pow(10.0, 0.125)) {
            moments m;
            for (std::uint64_t t = 0; t < stage; ++t) {
                m.step(task.noise, g);
                if (t + 1 == window) greedy.push_back(m.loss());
                if (t + 1 == stage / 4) quarter.push_back(m.loss());
                if (t + 1 == stage / 2) half.push_back(m.loss());
            }
            horizon.push_back(m.loss());
            moments c = m;
            for (std::uint64_t t = 0; t < rest; ++t) c.step(task.noise, g);
            constant.push_back(c.loss());
            for (std::uint64_t t = 0; t < rest; ++t) m.step(task.noise, cosine(g, t, static_cast<double>(rest)));
            truth.push_back(m.loss());
            lrs.push_back(g);
        }
        const std::size_t b = best_index(truth);
        const auto cell = [&](const std::vector<double>& v) { return choice_cell(lrs, truth, v); };
        std::printf("| %s | %.3g (%.4g) | %s | %s | %s | %s | %s |\n", task.name, lrs[b], truth[b], cell(horizon).c_str(),
                    cell(greedy).c_str(), cell(quarter).c_str(), cell(half).c_str(), cell(constant).c_str());
    }
}

/// --what plan: can the defaults' PLAN reach the tuned cosine at all? Each plan's LRs are
/// chosen by an oracle (the exact final loss) and its search is charged as steps not trained:
/// the defaults (p1 over the first tenth, p2 over the next fifth, each less half the search,
/// then a cosine from p2 over the last 70%) and search_once (p1 over the first tenth less the
/// search, then a cosine from p1 over the other 90%). p1 on 4 LRs a decade, p2 on 8.
void plan(const std::vector<nqm_task>& tasks) {
    std::printf("| task | tuned cosine, suite grid (half decades) | tuned cosine, 8 a decade | defaults' plan, perfect choices: no search | 6%% searched | 12%% searched | search_once's plan, perfect choice: no search | 3%% searched | 6%% searched |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    std::vector<double> coarse, fine;
    for (double g = 0.01; g < 3.01; g *= std::pow(10.0, 0.25)) coarse.push_back(g);
    fine = peak_grid();
    for (const nqm_task& task : tasks) {
        const auto B = static_cast<double>(task.budget);
        tuned_peak suite_cos;
        for (double g = 0.001; g < 1.01; g *= std::sqrt(10.0)) {
            const double l = expected_final_loss(task.noise, [&](std::uint64_t t) { return cosine(g, t, B); }, task.budget);
            if (l < suite_cos.loss) suite_cos = {l, g};
        }
        const tuned_peak fine_cos = tune_peak(task, cosine);
        const auto cooldown = [&](moments m, double from, std::uint64_t length) {
            for (std::uint64_t t = 0; t < length; ++t) m.step(task.noise, cosine(from, t, static_cast<double>(length)));
            return m.loss();
        };
        const auto defaults_plan = [&](double o) {
            const auto s1 = static_cast<std::uint64_t>((0.1 - o / 2) * B), s2 = static_cast<std::uint64_t>((0.2 - o / 2) * B);
            const auto c = static_cast<std::uint64_t>(0.7 * B);
            std::vector<tuned_peak> per_p1(coarse.size());
            std::vector<std::thread> workers;
            for (unsigned w = 0; w < 2; ++w)
                workers.emplace_back([&, w] {
                    for (std::size_t i = w; i < coarse.size(); i += 2) {
                        moments m1;
                        for (std::uint64_t t = 0; t < s1; ++t) m1.step(task.noise, coarse[i]);
                        for (const double p2 : fine) {
                            moments m2 = m1;
                            for (std::uint64_t t = 0; t < s2; ++t) m2.step(task.noise, p2);
                            const double l = cooldown(m2, p2, c);
                            if (l < per_p1[i].loss) per_p1[i] = {l, p2};
                        }
                    }
                });
            for (auto& w : workers) w.join();
            std::size_t b = 0;
            for (std::size_t i = 1; i < coarse.size(); ++i)
                if (per_p1[i].loss < per_p1[b].loss) b = i;
            char text[96];
            std::snprintf(text, sizeof text, "%.4g (x%.2f; %.3g, %.3g)", per_p1[b].loss, per_p1[b].loss / suite_cos.loss,
                          coarse[b], per_p1[b].peak);
            return std::string(text);
        };
        const auto once_plan = [&](double o) {
            const auto s1 = static_cast<std::uint64_t>((0.1 - o) * B), c = static_cast<std::uint64_t>(0.9 * B);
            tuned_peak best;
            for (const double p : fine) {
                moments m;
                for (std::uint64_t t = 0; t < s1; ++t) m.step(task.noise, p);
                const double l = cooldown(m, p, c);
                if (l < best.loss) best = {l, p};
            }
            char text[64];
            std::snprintf(text, sizeof text, "%.4g (x%.2f; %.3g)", best.loss, best.loss / suite_cos.loss, best.peak);
            return std::string(text);
        };
        std::printf("| %s | %.4g (%.3g) | %.4g (x%.2f; %.3g) | %s | %s | %s | %s | %s | %s |\n", task.name, suite_cos.loss,
                    suite_cos.peak, fine_cos.loss, fine_cos.loss / suite_cos.loss, fine_cos.peak, defaults_plan(0).c_str(),
                    defaults_plan(0.06).c_str(), defaults_plan(0.12).c_str(), once_plan(0).c_str(), once_plan(0.03).c_str(),
                    once_plan(0.06).c_str());
        std::fflush(stdout);
    }
}

/// --what stage2: the defaults' second search on the noisy quadratic, measured exactly. From the
/// state after the first stage (p1 trained over the first tenth less its search), each p2 of a
/// grid (8 a decade) is judged as the second stage's candidate would be, by several judges of a
/// similar cost, and by the truth: p2 over the rest of the stage (12% searched in all), then a
/// cosine from p2 over the last 70%. Which p2 each judge picks, and its regret in the truth.
void stage2(const std::vector<nqm_task>& tasks) {
    std::printf("| task | p1 | best p2 (final loss) | window | window + probe (default) | window + probe to 0 | "
                "window + probe of 2 windows | window + probe of 4 windows | 2 windows + probe | stage's end | "
                "stage's end + probe | exponential forecast of the stage's end, less the probe's drop | power law, "
                "the same | against the tuned cosine: best p2 / the default's choice |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const nqm_task& task : tasks) {
        const auto B = static_cast<double>(task.budget);
        const auto s1 = static_cast<std::uint64_t>(0.04 * B), s2 = static_cast<std::uint64_t>(0.14 * B);
        const auto stage = static_cast<std::uint64_t>(0.2 * B), window = stage / 10;
        const auto c = static_cast<std::uint64_t>(0.7 * B);
        const double cosine_loss = tune_peak(task, cosine).loss;
        for (const double p1 : {0.1, 0.316, 1.0}) {
            moments start;
            for (std::uint64_t t = 0; t < s1; ++t) start.step(task.noise, p1);
            std::vector<double> lrs, truth, win, probe, probe0, probe2, probe4, win2, end, endprobe, fexp, fpow;
            std::vector<double> curve(window);
            const auto decay = [&](moments m, double from, double to, std::uint64_t length) {
                for (std::uint64_t t = 0; t < length; ++t) {
                    const double f = static_cast<double>(t + 1) / static_cast<double>(length);
                    m.step(task.noise, from + (to - from) * f);
                }
                return m.loss();
            };
            for (double g = 0.01; g < 1.01; g *= std::pow(10.0, 0.125)) {
                moments m = start;
                for (std::uint64_t t = 0; t < window; ++t) {
                    m.step(task.noise, g);
                    curve[t] = m.loss();
                }
                win.push_back(m.loss());
                probe.push_back(decay(m, g, 0.1 * g, window));
                const double drop = std::max(0.0, m.loss() - probe.back());
                fexp.push_back(autolrs::exponential_forecaster{}.predict(curve, static_cast<double>(stage)).value - drop);
                fpow.push_back(autolrs::power_law_forecaster{}.predict(curve, static_cast<double>(stage)).value - drop);
                probe0.push_back(decay(m, g, 0.0, window));
                probe2.push_back(decay(m, g, 0.1 * g, 2 * window));
                probe4.push_back(decay(m, g, 0.1 * g, 4 * window));
                moments w2 = m;
                for (std::uint64_t t = 0; t < window; ++t) w2.step(task.noise, g);
                win2.push_back(decay(w2, g, 0.1 * g, window));
                moments full = start;
                for (std::uint64_t t = 0; t < stage; ++t) full.step(task.noise, g);
                end.push_back(full.loss());
                endprobe.push_back(decay(full, g, 0.1 * g, window));
                moments tr = start;
                for (std::uint64_t t = 0; t < s2; ++t) tr.step(task.noise, g);
                for (std::uint64_t t = 0; t < c; ++t) tr.step(task.noise, cosine(g, t, static_cast<double>(c)));
                truth.push_back(tr.loss());
                lrs.push_back(g);
            }
            const std::size_t b = best_index(truth);
            const auto cell = [&](const std::vector<double>& v) { return choice_cell(lrs, truth, v); };
            std::printf("| %s | %.3g | %.3g (%.4g) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | x%.2f / x%.2f |\n",
                        task.name, p1, lrs[b], truth[b], cell(win).c_str(), cell(probe).c_str(), cell(probe0).c_str(),
                        cell(probe2).c_str(), cell(probe4).c_str(), cell(win2).c_str(), cell(end).c_str(),
                        cell(endprobe).c_str(), cell(fexp).c_str(), cell(fpow).c_str(), truth[b] / cosine_loss,
                        truth[best_index(probe)] / cosine_loss);
            std::fflush(stdout);
        }
    }
}

/// --what geometric: a first stage at p1 over the first tenth (3% of the budget searched), then a
/// geometric decay from p1 to r p1 over the other 90%, with p1 at 1, 3 and 10 times the tuned
/// cosine's peak (the first search from the start picks 3-8x too large) and r = 1e-2 .. 1e-4;
/// the final loss against the tuned cosine's. Also the tuned geometric decay over the whole budget.
void geometric(const std::vector<nqm_task>& tasks) {
    std::printf("| task | tuned cosine | tuned geometric (p, r) | p1 = 1x peak: r 1e-2 / 1e-3 / 1e-4 | 3x | 10x |\n|---|---|---|---|---|---|\n");
    for (const nqm_task& task : tasks) {
        const auto B = static_cast<double>(task.budget);
        const tuned_peak cos = tune_peak(task, cosine);
        const auto geo = [](double p, double r, double t, double length) { return p * std::pow(r, t / length); };
        tuned_peak best_geo;
        double best_r = 0.0;
        for (const double r : {1e-1, 1e-2, 1e-3, 1e-4}) {
            const tuned_peak g = tune_peak(task, [&](double p, std::uint64_t t, double length) { return geo(p, r, static_cast<double>(t), length); });
            if (g.loss < best_geo.loss) { best_geo = g; best_r = r; }
        }
        std::printf("| %s | %.4g (%.3g) | x%.2f (%.3g, %.0e) |", task.name, cos.loss, cos.peak, best_geo.loss / cos.loss, best_geo.peak, best_r);
        const auto s1 = static_cast<std::uint64_t>(0.07 * B), rest = static_cast<std::uint64_t>(0.9 * B);
        for (const double k : {1.0, 3.0, 10.0}) {
            std::printf(" ");
            for (const double r : {1e-2, 1e-3, 1e-4}) {
                const double p1 = k * cos.peak;
                const double l = expected_final_loss(task.noise, [&](std::uint64_t t) {
                    return t < s1 ? p1 : geo(p1, r, static_cast<double>(t - s1), static_cast<double>(rest));
                }, s1 + rest);
                std::printf("x%.2f%s", l / cos.loss, r > 2e-4 ? " / " : "");
            }
            std::printf(" |");
        }
        std::printf("\n");
        std::fflush(stdout);
    }
}

/// --what plancurve: the defaults' plan's final loss against the second stage's LR p2, for a
/// few first-stage LRs p1, with 12% of the budget searched (half in each stage): how much a
/// choice off the best costs.
void plancurve(const std::vector<nqm_task>& tasks) {
    for (const nqm_task& task : tasks) {
        const auto B = static_cast<double>(task.budget);
        const auto s1 = static_cast<std::uint64_t>(0.04 * B), s2 = static_cast<std::uint64_t>(0.14 * B);
        const auto c = static_cast<std::uint64_t>(0.7 * B);
        const tuned_peak cos = tune_peak(task, cosine);
        std::printf("%s (tuned cosine %.4g at %.3g): final loss / the tuned cosine's, by p2 (columns) and p1 (rows)\n|p1 \\ p2 |",
                    task.name, cos.loss, cos.peak);
        const std::vector<double> p2s{0.01, 0.0178, 0.0316, 0.0422, 0.0562, 0.075, 0.1, 0.133, 0.178, 0.316};
        for (const double p2 : p2s) std::printf(" %.3g |", p2);
        std::printf("\n|---|");
        for (std::size_t i = 0; i < p2s.size(); ++i) std::printf("---|");
        std::printf("\n");
        for (const double p1 : {0.1, 0.316, 1.0}) {
            moments m1;
            for (std::uint64_t t = 0; t < s1; ++t) m1.step(task.noise, p1);
            std::printf("| %.3g |", p1);
            for (const double p2 : p2s) {
                moments m = m1;
                for (std::uint64_t t = 0; t < s2; ++t) m.step(task.noise, p2);
                for (std::uint64_t t = 0; t < c; ++t) m.step(task.noise, cosine(p2, t, static_cast<double>(c)));
                std::printf(" x%.2f |", m.loss() / cos.loss);
            }
            std::printf("\n");
            std::fflush(stdout);
        }
    }
}

/// --what jointfit: the search_once plan's one search, on the stochastic model (5 seeds): five
/// candidates (LRs 1e-3 .. 1, a tenth of the stage each, from the start) judged by the default
/// exponential forecaster at the stage's horizon, by their tail mean, and by ONE model fitted to
/// all five windows together, L(p, t) = a + k p + B (s0 + p t)^-alpha (a floor that grows with
/// the LR, and progress that depends on the LR area p t only: the noisy quadratic's own
/// structure), which then predicts every LR of a fine grid at the stage's horizon. Each choice's
/// regret in the plan's exact final loss.
void jointfit(const std::vector<nqm_task>& tasks, double window_fraction) {
    std::printf("| task | seed | best p (final loss) | exponential forecaster | power-law forecaster | tail mean | joint model |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    const std::vector<double> candidates{1e-3, 5.62e-3, 3.16e-2, 0.178, 1.0};
    for (const nqm_task& task : tasks) {
        const std::uint64_t stage = task.budget / 5, window = static_cast<std::uint64_t>(window_fraction * static_cast<double>(stage)), rest = task.budget - stage;
        const auto truth = [&](double g) {
            return expected_final_loss(task.noise, [&](std::uint64_t t) {
                return t < stage ? g : cosine(g, t - stage, static_cast<double>(rest));
            }, task.budget);
        };
        std::vector<double> fine;
        for (double g = 1e-3; g < 1.01; g *= std::pow(10.0, 0.0625)) fine.push_back(g);
        std::vector<double> fine_truth;
        for (const double g : fine) fine_truth.push_back(truth(g));
        const std::size_t b = static_cast<std::size_t>(std::min_element(fine_truth.begin(), fine_truth.end()) - fine_truth.begin());
        for (std::uint64_t seed = 1; seed <= 5; ++seed) {
            std::vector<std::vector<double>> windows;
            for (std::size_t j = 0; j < candidates.size(); ++j) {
                nqm_trainer trainer(task.noise, seed * 7919 + j);
                trainer.set_learning_rate(candidates[j]);
                std::vector<double> w;
                for (std::uint64_t t = 0; t < window; ++t) w.push_back(trainer.train_step());
                windows.push_back(std::move(w));
            }
            const autolrs::exponential_forecaster forecaster;
            const autolrs::power_law_forecaster power_law;
            std::size_t by_exp = 0, by_tail = 0, by_pow = 0;
            double best_exp = std::numeric_limits<double>::infinity(), best_tail = best_exp, best_pow = best_exp;
            for (std::size_t j = 0; j < candidates.size(); ++j) {
                const auto f = forecaster.predict(windows[j], static_cast<double>(stage));
                if (std::isfinite(f.value) && f.value < best_exp) { best_exp = f.value; by_exp = j; }
                const auto fp = power_law.predict(windows[j], static_cast<double>(stage));
                if (std::isfinite(fp.value) && fp.value < best_pow) { best_pow = fp.value; by_pow = j; }
                double tail = 0.0;
                const std::size_t n = windows[j].size(), k = n / 5;
                for (std::size_t i = n - k; i < n; ++i) tail += windows[j][i];
                tail /= static_cast<double>(k);
                if (std::isfinite(tail) && tail < best_tail) { best_tail = tail; by_tail = j; }
            }
            // The joint fit: 20 bin means per window, the first two left out (the start's transient);
            // alpha and s0 on grids, (a, k, B) by least squares on relative residuals.
            struct point { double p, t, loss; };
            std::vector<point> points;
            for (std::size_t j = 0; j < candidates.size(); ++j) {
                const std::size_t n = windows[j].size(), bins = 20;
                for (std::size_t q = 2; q < bins; ++q) {
                    const std::size_t lo = q * n / bins, hi = (q + 1) * n / bins;
                    double sum = 0.0;
                    for (std::size_t i = lo; i < hi; ++i) sum += windows[j][i];
                    const double mean = sum / static_cast<double>(hi - lo);
                    if (std::isfinite(mean)) points.push_back({candidates[j], 0.5 * static_cast<double>(lo + hi), mean});
                }
            }
            double best_rss = std::numeric_limits<double>::infinity(), fa = 0, fk = 0, fB = 0, falpha = 0, fs0 = 0;
            const double area_scale = candidates.back() * static_cast<double>(window);
            for (double alpha = 0.05; alpha < 3.0; alpha *= 1.15) {
                for (double s0 = 1e-4 * area_scale; s0 < 10.0 * area_scale; s0 *= 1.5) {
                    Eigen::MatrixXd X(points.size(), 3);
                    Eigen::VectorXd y(points.size());
                    for (std::size_t i = 0; i < points.size(); ++i) {
                        const double w = 1.0 / points[i].loss;  // relative residuals
                        X(i, 0) = w;
                        X(i, 1) = w * points[i].p;
                        X(i, 2) = w * std::pow(s0 + points[i].p * points[i].t, -alpha);
                        y(i) = 1.0;
                    }
                    const Eigen::VectorXd c = X.colPivHouseholderQr().solve(y);
                    if (c(1) < 0.0 || c(2) < 0.0) continue;
                    const double rss = (X * c - y).squaredNorm();
                    if (rss < best_rss) { best_rss = rss; fa = c(0); fk = c(1); fB = c(2); falpha = alpha; fs0 = s0; }
                }
            }
            double best_joint = std::numeric_limits<double>::infinity(), joint_p = fine.front();
            for (const double g : fine) {
                const double l = fa + fk * g + fB * std::pow(fs0 + g * static_cast<double>(stage), -falpha);
                if (l < best_joint) { best_joint = l; joint_p = g; }
            }
            const auto regret = [&](double g) { return 100.0 * (truth(g) / fine_truth[b] - 1.0); };
            std::printf("| %s | %llu | %.3g (%.4g) | %.3g (+%.0f%%) | %.3g (+%.0f%%) | %.3g (+%.0f%%) | %.3g (+%.0f%%; alpha %.2f) |\n", task.name,
                        static_cast<unsigned long long>(seed), fine[b], fine_truth[b], candidates[by_exp], regret(candidates[by_exp]),
                        candidates[by_pow], regret(candidates[by_pow]),
                        candidates[by_tail], regret(candidates[by_tail]), joint_p, regret(joint_p), falpha);
        }
    }
}

/// --what drift: does the LR that is best at horizon t drift in a way the candidates' windows can
/// show? Exactly (no noise), from the start, five candidates (1e-3 .. 1, half a decade apart):
/// the best LR at t (a parabola in log LR through the three best candidates' losses at t) for t =
/// a quarter, half and all of the window (a tenth of the stage); log p*(t) regressed on log t and
/// extrapolated to the stage's horizon; against the best LR for the plan (the truth).
void drift(const std::vector<nqm_task>& tasks) {
    std::printf("| task | best p for the plan | p* at window/4, /2, window | slope | extrapolated to the stage's end | its regret |\n| --- | --- | --- | --- | --- | --- |\n");
    const std::vector<double> candidates{1e-3, 5.62e-3, 3.16e-2, 0.178, 1.0};
    for (const nqm_task& task : tasks) {
        const std::uint64_t stage = task.budget / 5, window = stage / 10, rest = task.budget - stage;
        const auto truth = [&](double g) {
            return expected_final_loss(task.noise, [&](std::uint64_t t) {
                return t < stage ? g : cosine(g, t - stage, static_cast<double>(rest));
            }, task.budget);
        };
        double best = std::numeric_limits<double>::infinity(), best_p = 0.0;
        for (double g = 1e-3; g < 1.01; g *= std::pow(10.0, 0.0625)) {
            const double l = truth(g);
            if (l < best) { best = l; best_p = g; }
        }
        const std::vector<std::uint64_t> at{window / 4, window / 2, window};
        std::vector<std::vector<double>> loss(at.size(), std::vector<double>(candidates.size()));
        for (std::size_t j = 0; j < candidates.size(); ++j) {
            moments m;
            std::size_t k = 0;
            for (std::uint64_t t = 1; t <= window; ++t) {
                m.step(task.noise, candidates[j]);
                if (k < at.size() && t == at[k]) loss[k++][j] = m.loss();
            }
        }
        std::vector<double> log_t, log_p;
        std::string shown;
        for (std::size_t k = 0; k < at.size(); ++k) {
            const auto& l = loss[k];
            const std::size_t i = std::clamp<std::size_t>(static_cast<std::size_t>(std::min_element(l.begin(), l.end()) - l.begin()), 1, candidates.size() - 2);
            const double x0 = std::log(candidates[i - 1]), x1 = std::log(candidates[i]), x2 = std::log(candidates[i + 1]);
            const double y0 = std::log(l[i - 1]), y1 = std::log(l[i]), y2 = std::log(l[i + 1]);
            // the vertex of the parabola through the three points
            const double num = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0);
            const double den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
            const double x = den != 0.0 ? std::clamp(x1 - 0.5 * num / den, x0, x2) : x1;
            log_t.push_back(std::log(static_cast<double>(at[k])));
            log_p.push_back(x);
            char text[32];
            std::snprintf(text, sizeof text, "%s%.3g", shown.empty() ? "" : ", ", std::exp(x));
            shown += text;
        }
        const double mt = (log_t[0] + log_t[1] + log_t[2]) / 3, mp = (log_p[0] + log_p[1] + log_p[2]) / 3;
        double sxy = 0, sxx = 0;
        for (std::size_t k = 0; k < 3; ++k) { sxy += (log_t[k] - mt) * (log_p[k] - mp); sxx += (log_t[k] - mt) * (log_t[k] - mt); }
        const double slope = sxy / sxx;
        const double p_end = std::exp(mp + slope * (std::log(static_cast<double>(stage)) - mt));
        std::printf("| %s | %.3g | %s | %.2f | %.3g | +%.0f%% |\n", task.name, best_p, shown.c_str(), slope, p_end, 100.0 * (truth(p_end) / best - 1.0));
    }
}

template <class Controller>
double found_schedule_loss(const nqm_task& task, Controller& ctl, std::uint64_t seed, double& overhead, std::string& decisions) {
    nqm_trainer trainer(task.noise, seed * 7919 + 13);
    decisions.clear();
    const autolrs::run_result r = autolrs::run(trainer, ctl, [&](const autolrs::event& e) {
        if (e.kind != autolrs::event_kind::stage_lr_chosen && e.kind != autolrs::event_kind::cooldown_start) return;
        char text[64];
        std::snprintf(text, sizeof text, "%s%.3g@%llu", decisions.empty() ? "" : " ", e.learning_rate,
                      static_cast<unsigned long long>(e.step));
        decisions += text;
    });
    overhead = static_cast<double>(r.steps_searched) / static_cast<double>(task.budget);
    const auto schedule = r.found_schedule();
    return expected_final_loss(task.noise, [&](std::uint64_t t) { return schedule(t); }, r.steps_trained);
}

/// Applies "name=value" to the setting of that name (autolrs::visit_settings' names).
void apply_setting(autolrs::controller_settings& s, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("--set needs name=value: " + assignment);
    const std::string name = assignment.substr(0, eq);
    const double value = std::stod(assignment.substr(eq + 1));
    bool found = false;
    autolrs::visit_settings(s, [&](std::string_view field, auto& member) {
        if (field != name) return;
        found = true;
        member = static_cast<std::remove_cvref_t<decltype(member)>>(value);
    });
    if (!found) throw std::invalid_argument("--set: no setting named " + name);
}

void autolrs_variants(const std::vector<nqm_task>& tasks, std::uint64_t seeds, const std::vector<std::string>& sets) {
    std::printf("| task | variant | final expected loss: median [min, max] | search / budget | seed 1: stage LR@step, cooldown LR@step |\n");
    std::printf("| --- | --- | --- | --- | --- |\n");
    for (const nqm_task& task : tasks) {
        const autolrs::controller_settings defaults{.lr_min = 1e-3, .lr_max = 3.0, .total_steps = task.budget};
        const auto report = [&](const char* name, auto make) {
            std::vector<double> losses, overheads;
            std::string first;
            for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
                auto ctl = make(seed);
                double overhead = 0.0;
                std::string decisions;
                losses.push_back(found_schedule_loss(task, ctl, seed, overhead, decisions));
                overheads.push_back(overhead);
                if (seed == 1) first = decisions;
            }
            std::sort(losses.begin(), losses.end());
            std::sort(overheads.begin(), overheads.end());
            std::printf("| %s | %s | %.4g [%.4g, %.4g] | %.2f | %s |\n", task.name, name, losses[losses.size() / 2],
                        losses.front(), losses.back(), overheads[overheads.size() / 2], first.c_str());
        };
        const auto with = [&](auto change) {
            return [=](std::uint64_t seed) {
                autolrs::controller_settings s = defaults;
                s.seed = seed;
                change(s);
                return autolrs::controller<>(s);
            };
        };
        const auto annealed = [&](auto change) {
            return [=](std::uint64_t seed) {
                autolrs::controller_settings s = defaults;
                s.seed = seed;
                change(s);
                return autolrs::controller<autolrs::annealed_loss_objective>(s);
            };
        };
        if (!sets.empty()) {
            std::string name;
            for (const auto& a : sets) name += (name.empty() ? "" : ", ") + a;
            report(name.c_str(), with([&](auto& s) { for (const auto& a : sets) apply_setting(s, a); }));
            report(("annealed_loss objective, " + name).c_str(), annealed([&](auto& s) { for (const auto& a : sets) apply_setting(s, a); }));
            continue;
        }
        report("defaults", with([](auto&) {}));
        report("early_stop_gain=0", with([](auto& s) { s.early_stop_gain = 0.0; }));
        report("anneal_probe=0", with([](auto& s) { s.anneal_probe = 0.0; }));
        report("anneal_probe=2", with([](auto& s) { s.anneal_probe = 2.0; }));
        report("prefer_larger_lr=0.25", with([](auto& s) { s.prefer_larger_lr = 0.25; }));
        report("annealed_loss objective", annealed([](auto&) {}));
        report("annealed_loss, decaying probe", annealed([](auto& s) { s.anneal_probe_decay = true; }));
        report("annealed_loss, decaying probe, anneal_probe=1, ratio=0.01", annealed([](auto& s) {
            s.anneal_probe_decay = true;
            s.anneal_probe = 1.0;
            s.anneal_probe_ratio = 0.01;
        }));
    }
}


/// --what lawfit (issue 17's first direction, tried offline): what a run has seen by 10% of the
/// budget (the main trajectory at the searched LR p, then candidate windows at p/2 .. p/16 from
/// its checkpoint, each 2% of the budget) fitted by the annealing law of Tissue et al. (2024),
///   L(s) = L0 + A * S1(s)^-alpha - C * S2(s),  S1 = the LR area so far,
///   S2 = sum over steps of m, m = lambda * m + (lr before - lr now)  (the decays so far),
/// which then chooses the rest of the schedule: the peak q of a cosine over the other 90%, the
/// LR q and decay start d of a stable phase then a linear decay to 0, or only the decay start d
/// with the searched LR p kept (the law, fitted without the first 2% of the budget, has no term
/// that penalises a large LR, so it cannot choose a peak). The choice is then
/// evaluated exactly, against the best of the same family (exact) and the tuned cosine over the
/// whole budget. Exact expected losses, no sampling noise: the law's best case.
namespace lawfit {

struct observed {  // one LR sequence from step 0 and the exact loss after each of its last `seen` steps
    std::vector<double> lrs, losses;
    std::size_t seen = 0;
};

/// S1 and S2 (lambda) after each step of `lrs`.
void law_areas(const std::vector<double>& lrs, double lambda, std::vector<double>& s1, std::vector<double>& s2) {
    s1.resize(lrs.size());
    s2.resize(lrs.size());
    double a1 = 0.0, a2 = 0.0, m = 0.0;
    for (std::size_t t = 0; t < lrs.size(); ++t) {
        m = lambda * m + (t == 0 ? 0.0 : lrs[t - 1] - lrs[t]);
        a1 += lrs[t];
        a2 += m;
        s1[t] = a1;
        s2[t] = a2;
    }
}

struct law {
    double l0 = 0.0, a = 0.0, c = 0.0, alpha = 0.0, lambda = 0.0, rms = std::numeric_limits<double>::infinity();
    [[nodiscard]] double at(double s1, double s2) const { return l0 + a * std::pow(s1, -alpha) - c * s2; }
    [[nodiscard]] double final_loss(const std::vector<double>& lrs) const {
        std::vector<double> s1, s2;
        law_areas(lrs, lambda, s1, s2);
        return at(s1.back(), s2.back());
    }
};

/// Least squares over alpha and lambda on grids, L0, A and C linear for each.
law fit(const std::vector<observed>& data) {
    law best;
    std::vector<double> s1, s2;
    for (const double lambda : {0.9, 0.99, 0.995, 0.999, 0.9995}) {
        std::vector<std::array<double, 3>> rows;  // S1, S2, loss
        for (const observed& o : data) {
            law_areas(o.lrs, lambda, s1, s2);
            for (std::size_t t = o.lrs.size() - o.seen; t < o.lrs.size(); ++t) rows.push_back({s1[t], s2[t], o.losses[t]});
        }
        for (double alpha = 0.05; alpha < 2.0; alpha += 0.05) {
            Eigen::MatrixXd x(static_cast<Eigen::Index>(rows.size()), 3);
            Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
            for (std::size_t r = 0; r < rows.size(); ++r) {
                const auto i = static_cast<Eigen::Index>(r);
                x(i, 0) = 1.0;
                x(i, 1) = std::pow(rows[r][0], -alpha);
                x(i, 2) = -rows[r][1];
                y(i) = rows[r][2];
            }
            const Eigen::Vector3d b = x.colPivHouseholderQr().solve(y);
            const double rms = std::sqrt((x * b - y).squaredNorm() / static_cast<double>(rows.size()));
            if (rms < best.rms) best = {b(0), b(1), b(2), alpha, lambda, rms};
        }
    }
    return best;
}

std::vector<double> constant_then(double p, std::uint64_t t1, std::uint64_t total, const std::function<double(std::uint64_t, std::uint64_t)>& rest) {
    std::vector<double> lrs(total);
    for (std::uint64_t t = 0; t < total; ++t) lrs[t] = t < t1 ? p : rest(t - t1, total - t1);
    return lrs;
}

double exact(const nqm_task& task, const std::vector<double>& lrs) {
    return expected_final_loss(task.noise, [&](std::uint64_t t) { return lrs[t]; }, lrs.size());
}

void run(const std::vector<nqm_task>& tasks) {
    std::printf("| task | p (first 10%%) | family | law's choice | its exact loss | best of family (exact) | law / best | vs tuned cosine | law fit: alpha, lambda, rms / loss |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (const nqm_task& task : tasks) {
        const double tuned_cosine = tune_peak(task, cosine).loss;
        const auto t1 = task.budget / 10, window = task.budget / 50;
        for (const double p : {0.1, 0.3}) {
            // What the run has seen: the main trajectory, then the candidate windows.
            std::vector<observed> data;
            moments m;
            observed main_run;
            for (std::uint64_t t = 0; t < t1; ++t) {
                m.step(task.noise, p);
                main_run.lrs.push_back(p);
                main_run.losses.push_back(m.loss());
            }
            main_run.seen = main_run.lrs.size() - t1 / 5;  // the law is fitted after the first transient
            data.push_back(main_run);
            for (const double divisor : {2.0, 4.0, 8.0, 16.0}) {
                observed candidate = main_run;
                moments c = m;
                for (std::uint64_t t = 0; t < window; ++t) {
                    c.step(task.noise, p / divisor);
                    candidate.lrs.push_back(p / divisor);
                    candidate.losses.push_back(c.loss());
                }
                candidate.seen = window;
                data.push_back(candidate);
            }
            const law fitted = fit(data);
            const auto report = [&](const char* family, auto make, const std::vector<std::pair<double, double>>& params) {
                double law_best = std::numeric_limits<double>::infinity(), exact_best = law_best, law_choice_exact = 0.0;
                std::pair<double, double> choice{};
                for (const auto& [q, d] : params) {
                    const std::vector<double> lrs = make(q, d);
                    const double predicted = fitted.final_loss(lrs), truth = exact(task, lrs);
                    if (predicted < law_best) {
                        law_best = predicted;
                        law_choice_exact = truth;
                        choice = {q, d};
                    }
                    exact_best = std::min(exact_best, truth);
                }
                std::printf("| %s | %.3g | %s | q %.3g, d %.2f | %.4g | %.4g | x%.2f | x%.2f | %.2f, %.4g, %.2g |\n", task.name, p,
                            family, choice.first, choice.second, law_choice_exact, exact_best, law_choice_exact / exact_best,
                            law_choice_exact / tuned_cosine, fitted.alpha, fitted.lambda, fitted.rms / main_run.losses.back());
            };
            std::vector<std::pair<double, double>> cosine_params, wsd_params;
            for (const double q : peak_grid()) {
                cosine_params.emplace_back(q, 0.0);
                for (const double d : {0.0, 0.2, 0.4, 0.6, 0.8}) wsd_params.emplace_back(q, d);
            }
            report("cosine from q over the other 90%", [&](double q, double) {
                return constant_then(p, t1, task.budget, [q](std::uint64_t t, std::uint64_t n) {
                    return cosine(q, t, static_cast<double>(n));
                });
            }, cosine_params);
            report("q, then linear to 0 from d of the other 90%", [&](double q, double d) {
                return constant_then(p, t1, task.budget, [q, d](std::uint64_t t, std::uint64_t n) {
                    const double s = static_cast<double>(t), start = d * static_cast<double>(n);
                    return s < start ? q : q * (static_cast<double>(n) - s) / (static_cast<double>(n) - start);
                });
            }, wsd_params);
            // The law choosing only WHEN to decay, at the searched LR (its peak is not the law's to choose).
            std::vector<std::pair<double, double>> start_params;
            for (double d = 0.0; d < 0.95; d += 0.1) start_params.emplace_back(p, d);
            report("p kept, then linear to 0 from d of the other 90%", [&](double q, double d) {
                return constant_then(p, t1, task.budget, [q, d](std::uint64_t t, std::uint64_t n) {
                    const double s = static_cast<double>(t), start = d * static_cast<double>(n);
                    return s < start ? q : q * (static_cast<double>(n) - s) / (static_cast<double>(n) - start);
                });
            }, start_params);
        }
    }
}

}  // namespace lawfit

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"The noisy-quadratic schedule lab: exact expected final losses of schedules"};
    std::string what = "baselines";
    std::uint64_t seeds = 5;
    app.add_option("--what", what, "what to compute (see the functions of the same names)")->check(CLI::IsMember({"baselines", "shapes", "optimum", "autolrs", "proxies", "lawfit", "once", "jointfit", "drift", "plan", "plancurve", "stage2", "geometric"}));
    app.add_option("--seeds", seeds, "seeds per AutoLRS variant")->check(CLI::Range(1, 100));
    double window_fraction = 0.1;
    app.add_option("--window-fraction", window_fraction, "with --what jointfit: the candidates' windows as a fraction of the stage")
        ->check(CLI::Range(0.01, 1.0));
    std::vector<std::string> sets;
    app.add_option("--set", sets, "with --what autolrs: run only our defaults with these settings changed (name=value, "
                                  "names as in controller_settings), and the annealed-tail objective with them");
    CLI11_PARSE(app, argc, argv);
    const std::vector<nqm_task> tasks{
        {"c=1/32, 6000 steps", 1.0 / 32, 6000}, {"c=1/8, 6000 steps", 1.0 / 8, 6000}, {"c=1/32, 2000 steps", 1.0 / 32, 2000}};
    // The suite's four noisy quadratics (bench/suite), by half.
    const std::vector<nqm_task> suite_tasks{
        {"c=1/32, 6000 steps (nqm_b32_6000, dev)", 1.0 / 32, 6000}, {"c=1/8, 20000 steps (nqm_b8_20000, dev)", 1.0 / 8, 20000},
        {"c=1/8, 6000 steps (nqm_b8_6000, hold-out)", 1.0 / 8, 6000}, {"c=1/32, 20000 steps (nqm_b32_20000, hold-out)", 1.0 / 32, 20000}};
    if (what == "baselines") {
        baselines(tasks);
    } else if (what == "optimum") {
        optimum(tasks);
    } else if (what == "shapes") {
        shapes(tasks);
    } else if (what == "proxies") {
        proxies(tasks);
    } else if (what == "jointfit") {
        jointfit(suite_tasks, window_fraction);
    } else if (what == "drift") {
        drift(suite_tasks);
    } else if (what == "once") {
        once(suite_tasks);
    } else if (what == "plan") {
        plan(suite_tasks);
    } else if (what == "geometric") {
        geometric(suite_tasks);
    } else if (what == "stage2") {
        stage2(suite_tasks);
    } else if (what == "plancurve") {
        plancurve({{"c=1/32, 6000 steps (nqm_b32_6000, dev)", 1.0 / 32, 6000}, {"c=1/8, 20000 steps (nqm_b8_20000, dev)", 1.0 / 8, 20000}});
    } else if (what == "lawfit") {
        lawfit::run(tasks);
    } else {
        autolrs_variants(tasks, seeds, sets);
    }
}
