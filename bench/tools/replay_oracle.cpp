// replay_oracle: on bench_suite's replay tasks, the lowest final loss ANY LR schedule can reach,
// and how few trained steps it needs to reach the tuned cosine (best of the recorded LRs as
// peaks, as the suite tunes it).
//
// The replay model (include/autolrs/harness/problems.hpp, replay_trainer) is a walk over the
// recorded constant-LR curves: its state is (column, offset); a step moves the offset on, and a
// change of LR jumps to the new column at the offset whose smoothed loss first reaches the
// current level. So the states reachable after t trained steps (the LR set once before each
// step, as every host does) form a finite set, found exactly by breadth-first search; the
// minimum level over it is the best any schedule can end at after t steps. A method that
// searches o steps of a budget B (candidates rolled back, as AutoLRS's are) ends in a state
// reachable after B - o steps. Exact; about 10 s.
#include <autolrs/harness.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

using autolrs::harness::loss_recording;
using autolrs::harness::replay_trainer;

struct oracle {
    std::vector<double> best_after;  // [t]: lowest level reachable after t trained steps
};

oracle reachable_minimum(const loss_recording& r, std::uint64_t budget) {
    const std::size_t cols = r.lrs.size();
    const std::size_t n = r.steps();
    const auto id = [n](std::size_t j, std::size_t s) { return j * (n + 1) + s; };
    // Where setting column k's LR leaves the walk at (j, s): the same column stays, offset 0
    // stays 0, anything else jumps to where k's curve first reaches the current level.
    std::vector<std::uint32_t> jump(cols * (n + 1) * cols);
    for (std::size_t j = 0; j < cols; ++j)
        for (std::size_t s = 0; s <= n; ++s) {
            const double level = r.level(j, s);
            for (std::size_t k = 0; k < cols; ++k)
                jump[id(j, s) * cols + k] =
                    static_cast<std::uint32_t>(k == j || s == 0 || !std::isfinite(level) ? s : r.matching_offset(k, level));
        }
    std::vector<char> now(cols * (n + 1), 0), next(now.size(), 0);
    const auto lowest = [&](const std::vector<char>& set) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < set.size(); ++i)
            if (set[i]) {
                const double l = r.level(i / (n + 1), i % (n + 1));
                if (std::isfinite(l)) best = std::min(best, l);
            }
        return best;
    };
    oracle o;
    now[id(0, 0)] = 1;
    o.best_after.push_back(lowest(now));
    for (std::uint64_t t = 1; t <= budget; ++t) {
        // One step: the LR is set (a jump to any column, or none), then one step trains.
        std::fill(next.begin(), next.end(), 0);
        for (std::size_t i = 0; i < now.size(); ++i) {
            if (!now[i]) continue;
            const std::size_t j = i / (n + 1), s = i % (n + 1);
            if (s > 0 && !std::isfinite(r.level(j, s))) continue;  // diverged: the walk is over
            for (std::size_t k = 0; k < cols; ++k) {
                const std::size_t to = jump[i * cols + k];
                if (to > 0 && !std::isfinite(r.level(k, to))) continue;
                next[id(k, std::min(to + 1, n))] = 1;
            }
        }
        now.swap(next);
        o.best_after.push_back(lowest(now));
    }
    return o;
}

// The suite's tuned cosine: each recorded LR as the peak, cosine to 0 over the budget.
double cosine_final(const std::shared_ptr<const loss_recording>& r, double peak, std::uint64_t budget) {
    replay_trainer t(r);
    const auto lr = autolrs::schedule::cosine({.lr_max = peak, .period = budget});
    for (std::uint64_t s = 0; s < budget; ++s) {
        t.set_learning_rate(lr(s));
        (void)t.train_step();
    }
    return t.final_loss();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"The lowest final loss any schedule reaches on the replay tasks after part of the budget"};
    std::string dir = autolrs::harness::curves_dir();
    std::uint64_t budget = 2000;
    bool check = false;
    int violations = 0;
    app.add_option("--data", dir, "folder of the recorded curves")->capture_default_str();
    app.add_option("--budget", budget, "the tasks' budget (bench_suite: 2000)")->capture_default_str();
    app.add_flag("--check", check,
                 "exit 1 unless the reachable minimum is at or below every fixed schedule run here (a bound must be)");
    CLI11_PARSE(app, argc, argv);

    std::printf("| recording | tuned cosine (peak) | tuned constant (LR) | best schedule, %llu steps trained | 10%% searched | fewest trained steps that reach the tuned cosine |\n",
                static_cast<unsigned long long>(budget));
    std::printf("| --- | --- | --- | --- | --- | --- |\n");
    for (const char* batch : {"", "b16_"})
        for (const char* opt : {"sgd", "adam"})
            for (const char* start : {"fresh", "trained1000", "trained5000"}) {
                const std::string name = std::string("fmnist_mlp_") + batch + opt + "_" + start;
                const auto rec = loss_recording::load(dir + "/" + name + ".txt");
                double cos_best = std::numeric_limits<double>::infinity(), cos_peak = 0.0;
                double const_best = std::numeric_limits<double>::infinity(), const_lr = 0.0;
                for (double peak : rec->lrs) {
                    const double l = cosine_final(rec, peak, budget);
                    if (l < cos_best) cos_best = l, cos_peak = peak;
                    const double c = rec->level(rec->nearest_column(peak), budget);
                    if (std::isfinite(c) && c < const_best) const_best = c, const_lr = peak;
                }
                const oracle o = reachable_minimum(*rec, budget);
                if (!(o.best_after[budget] <= cos_best) || !(o.best_after[budget] <= const_best)) {
                    std::fprintf(stderr, "%s: the reachable minimum %.6g is above a fixed schedule (cosine %.6g, constant %.6g)\n",
                                 name.c_str(), o.best_after[budget], cos_best, const_best);
                    ++violations;
                }
                std::uint64_t fewest = 0;
                while (fewest < budget && !(o.best_after[fewest] <= cos_best)) ++fewest;
                const double at_90 = o.best_after[budget - budget / 10];
                std::printf("| %s | %.4g (%.3g) | %.4g (%.3g) | %.4g (x%.3f) | %.4g (x%.3f) | %llu |\n", name.c_str(),
                            cos_best, cos_peak, const_best, const_lr, o.best_after[budget], o.best_after[budget] / cos_best,
                            at_90, at_90 / cos_best, static_cast<unsigned long long>(fewest));
            }
    if (check) std::printf("%s\n", violations == 0 ? "bound holds for every recording" : "BOUND VIOLATED");
    return check && violations > 0 ? 1 : 0;
}
