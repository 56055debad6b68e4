#pragma once
// autolrs::harness: the tables of a comparison (part of <autolrs/harness.hpp>).
//
//   write_markdown(os, r)   the headline (final loss against the tuned fixed schedules, the
//                           search overhead and the decision time), per problem and summed up
//                           over problems; then the per-stage regret as a diagnostic
//   write_csv(os, r)        one row per (problem, method): configs and tuned schedules
//   write_runs_csv(os, r)   one row per run: every config run and every baseline grid run
//
// "vs best tuned" is, per seed, (loss - L) / |L| with L the best tuned schedule's loss on the
// same seed (the same problem instance), and its median over seeds: -0.02 is 2% below it.

#include <autolrs/harness/compare.hpp>

#include <cmath>
#include <cstddef>
#include <iomanip>
#include <ios>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace autolrs::harness {

namespace detail {

inline std::string fmt(double v, int digits = 4) {
    if (std::isnan(v)) return "-";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    std::ostringstream os;
    os << std::setprecision(digits) << std::defaultfloat << v;
    return os.str();
}
inline std::string fmt_iqr(const summary& s, int digits = 4) {
    return fmt(s.median, digits) + " [" + fmt(s.q25, digits) + ", " + fmt(s.q75, digits) + "]";
}
inline std::string fmt_percent(double v) {
    if (std::isnan(v)) return "-";
    std::ostringstream os;
    os << std::showpos << std::fixed << std::setprecision(1) << 100.0 * v << '%';
    return os.str();
}

template <class Get>
std::vector<double> column(const std::vector<run_metrics>& runs, Get get) {
    std::vector<double> v;
    v.reserve(runs.size());
    for (const run_metrics& m : runs) v.push_back(get(m));
    return v;
}

/// Per seed, (loss - reference) / |reference|; NaN where either is not finite.
inline std::vector<double> paired_relative(const std::vector<double>& losses, const std::vector<double>& reference) {
    std::vector<double> out;
    for (std::size_t s = 0; s < losses.size() && s < reference.size(); ++s)
        out.push_back(std::isfinite(losses[s]) && std::isfinite(reference[s]) && reference[s] != 0.0
                          ? (losses[s] - reference[s]) / std::abs(reference[s])
                          : (std::isfinite(reference[s]) && !std::isfinite(losses[s])
                                 ? std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::quiet_NaN()));
    return out;
}

inline std::size_t beats(const std::vector<double>& losses, const std::vector<double>& reference) {
    std::size_t n = 0;
    for (std::size_t s = 0; s < losses.size() && s < reference.size(); ++s) n += losses[s] < reference[s] ? 1 : 0;
    return n;
}

inline double final_loss_of(const run_metrics& m) { return m.final_loss; }

/// A CSV field: quoted, inner quotes doubled.
inline std::string csv_field(const std::string& text) {
    std::string out = "\"";
    for (const char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + '"';
}

}  // namespace detail

/// The headline figures of config c on problem p.
struct config_summary {
    summary final_loss;
    double vs_best_tuned = std::numeric_limits<double>::quiet_NaN();  ///< median paired relative difference
    std::size_t beats_best_tuned = 0;                                 ///< seeds below the best tuned schedule
    summary search_share, decision_ms, regret;
    std::size_t incomplete = 0;
};

[[nodiscard]] inline config_summary summarise(const comparison& r, std::size_t p, std::size_t c) {
    const std::vector<run_metrics>& runs = r.runs.at(p).at(c);
    config_summary s;
    const std::vector<double> losses = detail::column(runs, detail::final_loss_of);
    s.final_loss = summarise(losses);
    if (const tuned_schedule* best = r.best_tuned(p)) {
        s.vs_best_tuned = quantile(detail::paired_relative(losses, best->final_losses), 0.5);
        s.beats_best_tuned = detail::beats(losses, best->final_losses);
    }
    s.search_share = summarise(detail::column(runs, [](const run_metrics& m) { return m.search_share; }));
    s.decision_ms = summarise(detail::column(runs, [](const run_metrics& m) { return m.decision_ms; }));
    s.regret = summarise(detail::column(runs, [](const run_metrics& m) { return m.regret; }));
    for (const run_metrics& m : runs) s.incomplete += m.completed ? 0 : 1;
    return s;
}

/// The Markdown tables (no title: put the comparison under a heading of your own).
inline void write_markdown(std::ostream& os, const comparison& r) {
    using detail::fmt;
    using detail::fmt_iqr;
    using detail::fmt_percent;
    const std::size_t n_seeds = r.seeds.size();
    os << r.problems.size() << " problems x " << r.configs.size() << " configurations x " << n_seeds
       << " seeds; " << fmt(r.cpu_seconds) << " s CPU, " << fmt(r.wall_seconds) << " s wall on " << r.jobs
       << " thread(s).\n\n";
    const bool baselines = !r.tuned.empty();
    if (baselines) {
        os << "## Final loss against tuned schedules\n\n"
              "**final loss**: when the budget (every step, search included) is spent; noise-free where the "
              "problem knows it (the NQM: the exact expected loss of the schedule trained; synthetic: the "
              "noise-free loss; replay: the smoothed recorded loss). **best tuned**: of constant, cosine and "
              "warmup-stable-decay (5% warmup, last 20% linear to 0), each at the grid peak LR with the lowest "
              "median final loss, the one with the lowest median; tuning it cost (grid points x budget) steps per "
              "seed, not counted against it. **vs best tuned**: median over seeds of (loss - best tuned's loss "
              "on the same seed) / best tuned's loss (negative: better). **beats**: seeds below the best tuned. "
              "**search share**: search steps / budget. **decision ms**: wall time inside the controller per "
              "run. Median [IQR] over seeds.\n\n";
        os << "### Over all problems\n\n"
              "| configuration | median vs best tuned | problems with median loss below best tuned | seeds that "
              "beat best tuned | median search share | median decision ms |\n|---|---|---|---|---|---|\n";
        for (std::size_t c = 0; c < r.configs.size(); ++c) {
            std::vector<double> rel, share, ms;
            std::size_t below = 0, beat = 0;
            for (std::size_t p = 0; p < r.problems.size(); ++p) {
                const config_summary s = summarise(r, p, c);
                rel.push_back(s.vs_best_tuned);
                share.push_back(s.search_share.median);
                ms.push_back(s.decision_ms.median);
                const tuned_schedule* best = r.best_tuned(p);
                below += best && s.final_loss.median < quantile(best->final_losses, 0.5) ? 1 : 0;
                beat += s.beats_best_tuned;
            }
            os << "| " << r.configs[c] << " | " << fmt_percent(quantile(rel, 0.5)) << " | " << below << " of "
               << r.problems.size() << " | " << beat << " of " << r.problems.size() * n_seeds << " | "
               << fmt(quantile(share, 0.5), 3) << " | " << fmt(quantile(ms, 0.5), 3) << " |\n";
        }
        os << "\n### Per problem\n\n";
    } else {
        os << "## Final loss\n\n(no baselines: compare_options::baselines was false)\n\n";
    }
    for (std::size_t p = 0; p < r.problems.size(); ++p) {
        const auto& info = r.problems[p];
        const tuned_schedule* best = r.best_tuned(p);
        os << "#### " << info.name << " (" << info.family << ", LR in [" << fmt(info.lr_min, 3) << ", "
           << fmt(info.lr_max, 3) << "], budget " << info.budget << " steps";
        if (baselines) os << ", baseline grid of " << info.grid.size() << " peak LRs";
        os << ")\n\n| method | final loss | vs best tuned | beats | search share | decision ms | tuning cost (steps) |\n"
              "|---|---|---|---|---|---|---|\n";
        if (baselines)
            for (const tuned_schedule& t : r.tuned[p]) {
                const bool is_best = &t == best;
                const std::string name = "tuned " + std::string(to_string(t.schedule)) + " (peak " + fmt(t.peak_lr, 3) + ")";
                os << "| " << (is_best ? "**" + name + "**" : name) << " | " << fmt_iqr(summarise(t.final_losses))
                   << " | " << fmt_percent(quantile(detail::paired_relative(t.final_losses, best->final_losses), 0.5))
                   << " | " << detail::beats(t.final_losses, best->final_losses) << " | 0 | 0 | " << t.tuning_steps
                   << " (" << fmt(static_cast<double>(t.tuning_steps) / static_cast<double>(info.budget), 3)
                   << "x budget) |\n";
            }
        for (std::size_t c = 0; c < r.configs.size(); ++c) {
            const config_summary s = summarise(r, p, c);
            os << "| " << r.configs[c] << (s.incomplete ? " (" + std::to_string(s.incomplete) + " incomplete)" : "")
               << " | " << fmt_iqr(s.final_loss) << " | " << fmt_percent(s.vs_best_tuned) << " | "
               << (baselines ? std::to_string(s.beats_best_tuned) + " of " + std::to_string(n_seeds) : "-") << " | "
               << fmt_iqr(s.search_share, 3) << " | " << fmt_iqr(s.decision_ms, 3) << " | 0 |\n";
        }
        os << '\n';
    }
    os << "## Diagnostic: per-stage regret\n\n"
          "Per searched stage, (L(chosen) - L(best)) / (L(start) - L(best)), L the expected loss after the stage's "
          "horizon from the stage's start (best: the best constant LR in the interval), weighted by stage length; "
          "median [IQR] over seeds; '-' where the problem does not know its expected loss. It rewards short-horizon "
          "choices, so read it beside the final loss, never instead of it.\n\n| problem |";
    for (const std::string& c : r.configs) os << ' ' << c << " |";
    os << "\n|---|";
    for (std::size_t c = 0; c < r.configs.size(); ++c) os << "---|";
    os << '\n';
    for (std::size_t p = 0; p < r.problems.size(); ++p) {
        os << "| " << r.problems[p].name << " |";
        for (std::size_t c = 0; c < r.configs.size(); ++c) os << ' ' << fmt_iqr(summarise(r, p, c).regret, 3) << " |";
        os << '\n';
    }
}

/// One row per (problem, method): every configuration, then every tuned fixed schedule.
inline void write_csv(std::ostream& os, const comparison& r) {
    os << "problem,family,budget,method,kind,peak_lr,seeds,final_loss_median,final_loss_q25,final_loss_q75,"
          "vs_best_tuned,beats_best_tuned,search_share_median,decision_ms_median,regret_median,tuning_steps,"
          "incomplete\n";
    os << std::setprecision(9);
    const auto num = [](double v) { return std::isnan(v) ? std::string() : (std::ostringstream() << std::setprecision(9) << v).str(); };
    for (std::size_t p = 0; p < r.problems.size(); ++p) {
        const auto& info = r.problems[p];
        const tuned_schedule* best = r.best_tuned(p);
        for (std::size_t c = 0; c < r.configs.size(); ++c) {
            const config_summary s = summarise(r, p, c);
            os << detail::csv_field(info.name) << ',' << info.family << ',' << info.budget << ','
               << detail::csv_field(r.configs[c]) << ",config,,"
               << r.seeds.size() << ',' << num(s.final_loss.median) << ',' << num(s.final_loss.q25) << ','
               << num(s.final_loss.q75) << ',' << num(s.vs_best_tuned) << ',' << (best ? std::to_string(s.beats_best_tuned) : "")
               << ',' << num(s.search_share.median) << ',' << num(s.decision_ms.median) << ',' << num(s.regret.median)
               << ",0," << s.incomplete << '\n';
        }
        if (best)
            for (const tuned_schedule& t : r.tuned[p]) {
                const summary s = summarise(t.final_losses);
                os << detail::csv_field(info.name) << ',' << info.family << ',' << info.budget << ",tuned " << to_string(t.schedule)
                   << ",tuned_schedule," << num(t.peak_lr) << ',' << r.seeds.size() << ',' << num(s.median) << ','
                   << num(s.q25) << ',' << num(s.q75) << ','
                   << num(quantile(detail::paired_relative(t.final_losses, best->final_losses), 0.5)) << ','
                   << detail::beats(t.final_losses, best->final_losses) << ",0,0,," << t.tuning_steps << ",0\n";
            }
    }
}

/// One row per run: every configuration run, then every baseline grid run.
inline void write_runs_csv(std::ostream& os, const comparison& r) {
    os << "problem,method,peak_lr,seed,final_loss,search_share,decision_ms,stages,regret,completed\n";
    os << std::setprecision(9);
    for (std::size_t p = 0; p < r.problems.size(); ++p) {
        for (std::size_t c = 0; c < r.configs.size(); ++c)
            for (std::size_t s = 0; s < r.seeds.size(); ++s) {
                const run_metrics& m = r.runs[p][c][s];
                os << detail::csv_field(r.problems[p].name) << ',' << detail::csv_field(r.configs[c]) << ",," << r.seeds[s] << ',' << m.final_loss << ','
                   << m.search_share << ',' << m.decision_ms << ',' << m.stages << ',';
                if (!std::isnan(m.regret)) os << m.regret;
                os << ',' << (m.completed ? 1 : 0) << '\n';
            }
        if (!r.tuned.empty())
            for (const tuned_schedule& t : r.tuned[p])
                for (std::size_t g = 0; g < t.grid_losses.size(); ++g)
                    for (std::size_t s = 0; s < r.seeds.size(); ++s)
                        os << detail::csv_field(r.problems[p].name) << ',' << to_string(t.schedule) << ',' << r.problems[p].grid[g] << ','
                           << r.seeds[s] << ',' << t.grid_losses[g][s] << ",0,0,0,,1\n";
    }
}

}  // namespace autolrs::harness
