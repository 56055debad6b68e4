// bench_suite: AutoLRS against tuned schedules on a fixed suite of tasks split into a
// development half and a hold-out half (bench/suite/README.md).
//
//   bench_suite --jobs 2                       # the whole suite (both halves)
//   bench_suite --half dev --methods autolrs --variant mine:objective=...,anneal_probe=1
//   bench_suite --quick --out /tmp/suite       # the smoke test's size
//   bench_suite --list                         # the tasks, the split and the estimated cost
//
// Writes to --out (default bench/results/suite): runs.csv (every run, appended as runs finish;
// --resume skips the runs it already holds), dev.md and holdout.md (the tables).

#include "suite.hpp"

#include <CLI/CLI.hpp>

#ifdef AUTOLRS_SUITE_WITH_TORCH
#include <torch/torch.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef AUTOLRS_BENCH_DATA_DIR
#define AUTOLRS_BENCH_DATA_DIR "bench/data"
#endif

namespace {

namespace fs = std::filesystem;
using namespace autolrs::suite;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string half = "all";
    std::vector<std::string> tasks;     // names; empty: all
    std::vector<std::string> families;  // empty: all
    std::vector<std::string> methods{"constant", "cosine", "wsd", "autolrs", "autolrs_zero", "rt_cosine"};
    std::vector<std::string> variants;
    std::uint64_t seeds = 0;  // 0: each task's own count
    int jobs = 2;
    int threads = 1;
    fs::path out = "bench/results/suite";
    bool resume = false;
    bool tables_only = false;
    double max_minutes = 0.0;
    bool quick = false;
    bool list = false;
    bool list_policies = false;
    bool self_check = false;
    bool show_range_test = false;
    std::uint64_t range_test_steps = 0;  // --show-range-test: 0 = the task's own
    std::string note;
    std::string command;
};

// ---- CSV ----------------------------------------------------------------------------------------------

const std::vector<std::string> csv_columns{
    "half",        "task",          "family",         "method", "spec",   "peak_lr", "seed",
    "metric",      "secondary",     "budget",         "steps_total", "steps_trained", "steps_searched", "stages",
    "lr_min",      "lr_max",        "chosen_lr",      "seconds", "decisions"};

std::string quoted(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string num(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.10g", v);
    return b;
}

std::string csv_line(const run_record& r) {
    const std::vector<std::string> f{r.half,
                                     r.task,
                                     r.family,
                                     r.method,
                                     r.spec,
                                     num(r.peak_lr),
                                     std::to_string(r.seed),
                                     num(r.metric),
                                     num(r.secondary),
                                     std::to_string(r.budget),
                                     std::to_string(r.steps_total),
                                     std::to_string(r.steps_trained),
                                     std::to_string(r.steps_searched),
                                     std::to_string(r.stages),
                                     num(r.lr_min),
                                     num(r.lr_max),
                                     num(r.chosen_lr),
                                     num(r.seconds),
                                     r.decisions};
    std::string line;
    for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + quoted(f[i]);
    return line;
}

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out(1);
    bool in_quotes = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
            else if (c == '"') in_quotes = false;
            else out.back() += c;
        } else if (c == '"') {
            in_quotes = true;
        } else if (c == ',') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    return out;
}

std::vector<run_record> read_csv(const fs::path& path) {
    std::vector<run_record> rows;
    std::ifstream in(path);
    if (!in) return rows;
    std::string line;
    std::getline(in, line);
    if (split_csv(line) != csv_columns)
        throw std::runtime_error(path.string() + ": not a bench_suite runs.csv (its header differs)");
    for (std::size_t number = 2; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        const auto f = split_csv(line);
        if (f.size() != csv_columns.size())
            throw std::runtime_error(path.string() + ":" + std::to_string(number) + ": " + std::to_string(f.size()) +
                                     " fields, expected " + std::to_string(csv_columns.size()));
        run_record r;
        r.half = f[0], r.task = f[1], r.family = f[2], r.method = f[3], r.spec = f[4];
        r.peak_lr = std::stod(f[5]);
        r.seed = std::stoull(f[6]);
        r.metric = std::stod(f[7]);
        r.secondary = std::stod(f[8]);
        r.budget = std::stoull(f[9]);
        r.steps_total = std::stoull(f[10]);
        r.steps_trained = std::stoull(f[11]);
        r.steps_searched = std::stoull(f[12]);
        r.stages = static_cast<std::uint32_t>(std::stoul(f[13]));
        r.lr_min = std::stod(f[14]);
        r.lr_max = std::stod(f[15]);
        r.chosen_lr = std::stod(f[16]);
        r.seconds = std::stod(f[17]);
        r.decisions = f[18];
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---- statistics and formatting ---------------------------------------------------------------------------

double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct spread {
    double median = std::nan(""), low = std::nan(""), high = std::nan("");
    std::size_t n = 0;
};
spread spread_of(const std::vector<double>& v) {
    spread s;
    if (v.empty()) return s;
    s.median = median(v);
    s.low = *std::min_element(v.begin(), v.end());
    s.high = *std::max_element(v.begin(), v.end());
    s.n = v.size();
    return s;
}

std::string fmt_value(double v, bool accuracy) {
    char b[40];
    if (!std::isfinite(v)) return v > 0 ? "inf" : "nan";
    if (accuracy) std::snprintf(b, sizeof b, "%.2f", v);
    else std::snprintf(b, sizeof b, "%.4g", v);
    return b;
}

std::string fmt_spread(const spread& s, bool accuracy) {
    if (s.n == 0) return "-";
    if (s.n == 1 || s.low == s.high) return fmt_value(s.median, accuracy);  // one seed, or all equal
    return fmt_value(s.median, accuracy) + " [" + fmt_value(s.low, accuracy) + ", " + fmt_value(s.high, accuracy) + "]";
}

std::string fmt_lr(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

std::string fmt_percent(const spread& s) {
    if (s.n == 0) return "-";
    char b[64];
    if (s.n == 1 || s.low == s.high) std::snprintf(b, sizeof b, "%.0f%%", 100.0 * s.median);
    else std::snprintf(b, sizeof b, "%.0f%% [%.0f, %.0f]", 100.0 * s.median, 100.0 * s.low, 100.0 * s.high);
    return b;
}

bool is_fixed(const std::string& method) {
    const auto& f = fixed_families();
    return std::find(f.begin(), f.end(), method) != f.end();
}

// One method on one task, summarised (fixed schedules: at their best grid point).
struct cell {
    std::string method{};
    spread value{};
    double best_lr = 0.0;  // fixed: the best grid point
    std::size_t grid_points = 0;
    std::size_t runs = 0;  // tuning cost (fixed: grid points x seeds)
    spread overhead{};     // steps searched / budget
    spread chosen_lr{};    // rt_cosine: its peak; AutoLRS: the cooldown's start LR
    double seconds = 0.0;  // all of its runs, one core each
};

cell summarise(const std::string& method, const std::vector<const run_record*>& rows, bool higher_is_better) {
    cell c;
    c.method = method;
    c.runs = rows.size();
    for (const auto* r : rows) c.seconds += r->seconds;
    if (is_fixed(method)) {
        std::map<double, std::vector<double>> by_lr;
        for (const auto* r : rows) by_lr[r->peak_lr].push_back(r->metric);
        c.grid_points = by_lr.size();
        bool first = true;
        for (const auto& [lr, values] : by_lr) {
            const spread s = spread_of(values);
            const bool better = higher_is_better ? s.median > c.value.median : s.median < c.value.median;
            if (first || better || (!std::isfinite(c.value.median) && std::isfinite(s.median))) {
                c.value = s;
                c.best_lr = lr;
                first = false;
            }
        }
    } else {
        std::vector<double> values, overheads, chosen;
        for (const auto* r : rows) {
            values.push_back(r->metric);
            overheads.push_back(r->overhead());
            chosen.push_back(r->chosen_lr);
        }
        c.value = spread_of(values);
        c.overhead = spread_of(overheads);
        c.chosen_lr = spread_of(chosen);
    }
    return c;
}

struct task_summary {
    std::string task, family, metric, description;
    bool higher_is_better = false;
    std::uint64_t budget = 0;
    std::vector<cell> cells;  // in method order
    [[nodiscard]] const cell* best_tuned() const {
        const cell* best = nullptr;
        for (const auto& c : cells)
            if (is_fixed(c.method) && c.value.n > 0 &&
                (!best || (higher_is_better ? c.value.median > best->value.median : c.value.median < best->value.median)))
                best = &c;
        return best;
    }
};

// "-1.75" accuracy points, or "x1.32" the loss ratio, against the best tuned schedule.
std::string versus(const task_summary& t, const cell& c) {
    const cell* best = t.best_tuned();
    if (!best || c.value.n == 0) return "-";
    char b[40];
    if (t.higher_is_better) std::snprintf(b, sizeof b, "%+.2f", c.value.median - best->value.median);
    else std::snprintf(b, sizeof b, "x%.3g", c.value.median / best->value.median);
    return b;
}

void write_tables(const options& o, const std::vector<task>& tasks, const std::vector<run_record>& rows,
                  double wall_seconds, const std::string& status) {
    // methods in a stable order: fixed families, the standard AutoLRS methods, then variants as first seen
    std::vector<std::string> method_order;
    for (const auto& m : {"constant", "cosine", "wsd", "autolrs", "autolrs_zero", "rt_cosine"}) method_order.push_back(m);
    for (const auto& r : rows)
        if (std::find(method_order.begin(), method_order.end(), r.spec) == method_order.end())
            method_order.push_back(r.spec);
    const auto label = [](const std::string& spec) {
        if (spec == "constant" || spec == "cosine" || spec == "wsd") return spec + "*";
        return spec.substr(0, spec.find(':'));
    };

    double total_seconds = 0.0;
    for (const auto& r : rows) total_seconds += r.seconds;

    for (const half h : {half::dev, half::holdout}) {
        std::vector<task_summary> summaries;
        for (const auto& t : tasks) {
            if (t.which != h) continue;
            task_summary s{t.name, t.family, t.metric, t.description, t.higher_is_better, t.budget, {}};
            for (const auto& m : method_order) {
                std::vector<const run_record*> mine;
                for (const auto& r : rows)
                    if (r.task == t.name && r.spec == m && r.budget == t.budget) mine.push_back(&r);
                if (!mine.empty()) s.cells.push_back(summarise(mine.front()->method, mine, t.higher_is_better));
                else s.cells.push_back(cell{.method = m});
            }
            bool any = false;
            for (const auto& c : s.cells) any = any || c.value.n > 0;
            if (any) summaries.push_back(std::move(s));
        }
        std::vector<std::size_t> shown;  // methods with at least one run in this half
        for (std::size_t j = 0; j < method_order.size(); ++j)
            for (const auto& s : summaries)
                if (s.cells[j].value.n > 0) {
                    shown.push_back(j);
                    break;
                }

        std::ostringstream md;
        md << "# bench_suite: " << (h == half::dev ? "development" : "hold-out") << " half\n\n";
        if (!o.note.empty()) md << o.note << "\n\n";
        md << "Command: `" << o.command << "`"
           << (o.resume || o.tables_only ? " (the tables hold every run of runs.csv; commands.txt lists the commands "
                                           "that ran them)"
                                         : "")
           << "\n\n";
        char times[160];
        if (o.tables_only)
            std::snprintf(times, sizeof times, "; every run in runs.csv together: %.1f core-minutes",
                          total_seconds / 60.0);
        else
            std::snprintf(times, sizeof times,
                          ". This invocation: %.1f min wall, --jobs %d; every run in runs.csv together: %.1f core-minutes",
                          wall_seconds / 60.0, o.jobs, total_seconds / 60.0);
        md << "Status: " << status << times << ".\n\n";
        md << "Cells: median [min, max] over seeds of the task's metric at the budget (every search step "
              "counted in it). `name*`: a fixed schedule at the best peak LR of its grid (by median). "
              "AutoLRS gets one wide interval and no tuning; autolrs_zero and rt_cosine need no LR at all.\n\n";

        if (summaries.empty()) continue;  // keep what an earlier invocation wrote for this half
        {
            md << "## Summary\n\n| task | metric |";
            for (const auto j : shown) md << ' ' << label(method_order[j]) << " |";
            md << "\n| --- | --- |";
            for (std::size_t k = 0; k < shown.size(); ++k) md << " --- |";
            md << '\n';
            for (const auto& s : summaries) {
                md << "| " << s.task << " | " << (s.higher_is_better ? "acc % (higher)" : s.metric + " (lower)") << " |";
                for (const auto j : shown) md << ' ' << fmt_spread(s.cells[j].value, s.higher_is_better) << " |";
                md << '\n';
            }

            md << "\n## Against the best tuned schedule\n\n"
                  "Per task the best of the tuned fixed schedules (by median); cells: accuracy points above it "
                  "(+) or below (-), or the ratio of the median loss to its median (x < 1: better). "
                  "Tuning cost: runs spent on the grid search; overhead: steps searched / budget (median).\n\n";
            md << "| task | best tuned (peak LR, cost) |";
            std::vector<std::size_t> others;
            for (const auto j : shown)
                if (!is_fixed(method_order[j])) others.push_back(j);
            for (const auto j : others) md << ' ' << label(method_order[j]) << " |";
            md << "\n| --- | --- |";
            for (std::size_t k = 0; k < others.size(); ++k) md << " --- |";
            md << '\n';
            std::vector<int> wins(others.size(), 0), counted(others.size(), 0);
            std::vector<double> log_ratio(others.size(), 0.0), points(others.size(), 0.0);
            std::vector<int> n_ratio(others.size(), 0), n_points(others.size(), 0);
            for (const auto& s : summaries) {
                const cell* best = s.best_tuned();
                md << "| " << s.task << " | ";
                if (best) {
                    std::size_t cost = 0;
                    for (const auto& c : s.cells)
                        if (is_fixed(c.method)) cost = std::max(cost, c.runs);
                    md << best->method << ' ' << fmt_value(best->value.median, s.higher_is_better) << " ("
                       << fmt_lr(best->best_lr) << ", " << cost << " runs)";
                } else {
                    md << '-';
                }
                md << " |";
                for (std::size_t k = 0; k < others.size(); ++k) {
                    const cell& c = s.cells[others[k]];
                    md << ' ' << versus(s, c);
                    if (c.overhead.n > 0 && c.overhead.median > 0.0) {
                        char b[32];
                        std::snprintf(b, sizeof b, ", %.0f%%", 100.0 * c.overhead.median);
                        md << b;
                    }
                    md << " |";
                    if (best && c.value.n > 0) {
                        ++counted[k];
                        const bool win = s.higher_is_better ? c.value.median >= best->value.median
                                                            : c.value.median <= best->value.median;
                        wins[k] += win ? 1 : 0;
                        if (s.higher_is_better) points[k] += c.value.median - best->value.median, ++n_points[k];
                        else if (best->value.median > 0.0 && c.value.median > 0.0 && std::isfinite(c.value.median))
                            log_ratio[k] += std::log(c.value.median / best->value.median), ++n_ratio[k];
                    }
                }
                md << '\n';
            }
            md << "| **tasks at or above the best tuned** | |";
            for (std::size_t k = 0; k < others.size(); ++k) md << ' ' << wins[k] << " of " << counted[k] << " |";
            md << "\n| **mean accuracy points / geometric mean loss ratio** | |";
            for (std::size_t k = 0; k < others.size(); ++k) {
                char b[64];
                std::string text;
                if (n_points[k] > 0) std::snprintf(b, sizeof b, "%+.2f", points[k] / n_points[k]), text += b;
                if (n_ratio[k] > 0) {
                    std::snprintf(b, sizeof b, "x%.3g", std::exp(log_ratio[k] / n_ratio[k]));
                    text += (text.empty() ? "" : " / ") + std::string(b);
                }
                md << ' ' << (text.empty() ? "-" : text) << " |";
            }
            md << "\n\n## Cost\n\nOne core per run (the runs' own wall times, summed; the machine's load adds to them).\n\n"
                  "| task | runs | core-minutes |\n| --- | --- | --- |\n";
            double half_seconds = 0.0;
            std::size_t half_runs = 0;
            for (const auto& s : summaries) {
                double seconds = 0.0;
                std::size_t runs = 0;
                for (const auto& c : s.cells) seconds += c.seconds, runs += c.runs;
                half_seconds += seconds, half_runs += runs;
                char b[96];
                std::snprintf(b, sizeof b, "| %s | %zu | %.1f |\n", s.task.c_str(), runs, seconds / 60.0);
                md << b;
            }
            char b[200];
            std::snprintf(b, sizeof b,
                          "| **this half** | %zu | %.1f |\n\nBoth halves, every run in runs.csv: %.1f core-minutes, "
                          "%.1f minutes of wall time with --jobs 2 if the two cores are shared perfectly.\n",
                          half_runs, half_seconds / 60.0, total_seconds / 60.0, total_seconds / 120.0);
            md << b;
            md << "\n## Per task\n";
            for (const auto& s : summaries) {
                md << "\n### " << s.task << ": " << s.description << "\n\n"
                   << "| method | " << s.metric << " | peak LR | tuning cost (runs) | search overhead | LR chosen | "
                      "core-s |\n| --- | --- | --- | --- | --- | --- | --- |\n";
                for (const auto j : shown) {
                    const cell& c = s.cells[j];
                    if (c.value.n == 0) continue;
                    const bool fixed = is_fixed(c.method);
                    md << "| " << label(method_order[j]) << " | " << fmt_spread(c.value, s.higher_is_better) << " | "
                       << (fixed ? fmt_lr(c.best_lr) + " of " + std::to_string(c.grid_points) : "-") << " | "
                       << (fixed ? std::to_string(c.runs) + " (" + std::to_string(c.grid_points) + " x " +
                                       std::to_string(c.grid_points ? c.runs / c.grid_points : 0) + ")"
                                 : "0")
                       << " | " << (fixed ? "-" : fmt_percent(c.overhead)) << " | "
                       << (fixed || c.chosen_lr.n == 0 ? "-"
                           : c.chosen_lr.low == c.chosen_lr.high
                               ? fmt_lr(c.chosen_lr.median)
                               : fmt_lr(c.chosen_lr.median) + " [" + fmt_lr(c.chosen_lr.low) + ", " +
                                     fmt_lr(c.chosen_lr.high) + "]")
                       << " | " << fmt_value(c.seconds, false) << " |\n";
                }
            }
            md << "\n`LR chosen`: for rt_cosine the cosine's peak (a third of the range test's smoothed minimum), for "
                  "AutoLRS the LR its final cooldown started from. The runs' stage decisions are in runs.csv "
                  "(`decisions`).\n";
        }
        const fs::path file = o.out / (h == half::dev ? "dev.md" : "holdout.md");
        std::ofstream(file) << md.str();
        std::cout << "\n" << md.str().substr(0, md.str().find("\n## Per task")) << "\n(written to " << file.string()
                  << ")\n";
    }
}

// ---- the work ----------------------------------------------------------------------------------------------

struct work_item {
    const task* t;
    method m;
    std::uint64_t seed;
    double estimate;  // seconds
};

bool selected(const options& o, const task& t) {
    if (o.half != "all" && o.half != to_string(t.which)) return false;
    if (!o.tasks.empty() && std::find(o.tasks.begin(), o.tasks.end(), t.name) == o.tasks.end()) return false;
    if (!o.families.empty() && std::find(o.families.begin(), o.families.end(), t.family) == o.families.end())
        return false;
    return true;
}

int self_check() {
    const double worst = nqm_self_check();
    std::printf("NQM moment recursion against bench/harness nqm_trainer::expected_x2: worst relative difference %.3g\n",
                worst);
    if (!(worst < 1e-9)) {
        std::printf("FAILED: the recursion disagrees with the closed form\n");
        return 1;
    }
    // The named-policy controller with every policy at its default must decide exactly as controller<>.
    const task t{.name = "check",
                 .family = "nqm",
                 .budget = 3000,
                 .seeds = {1},
                 .lr_min = 1e-4,
                 .lr_max = 1.0,
                 .make = nqm_factory({.dimensions = 100, .momentum = 0.9, .batch = 8})};
    const method plain = standard_methods({"autolrs"}).front();
    method wrapped = parse_variant("wrapped:objective=annealed_loss,stop=expected_gain,design=middle_out,"
                                   "forecaster=exponential");
    const run_record a = run_one(t, plain, 3), b = run_one(t, wrapped, 3);
    std::printf("controller<> and the named-policy controller with the default policies: %s (%u stages, metric %.6g "
                "and %.6g)\n",
                a.decisions == b.decisions && a.metric == b.metric ? "identical" : "DIFFERENT", a.stages, a.metric,
                b.metric);
    if (a.decisions != b.decisions || a.metric != b.metric) return 1;
    const run_record c = run_one(t, parse_variant("never:stop=never"), 3);
    std::printf("stop=never changes the run: %s\n", c.decisions != a.decisions ? "yes" : "NO");
    return c.decisions != a.decisions ? 0 : 1;
}

int run_suite(options o) {
#ifdef AUTOLRS_SUITE_WITH_TORCH
    torch::set_num_threads(o.threads);
#endif
    if (o.self_check) return self_check();
    if (o.list_policies) {
        const auto show = [](const char* family, const std::vector<std::string_view>& names) {
            std::printf("%-16s", family);
            for (std::size_t i = 0; i < names.size(); ++i)
                std::printf("%s%s%s", i ? ", " : "", std::string(names[i]).c_str(), i == 0 ? " (default)" : "");
            std::printf("\n");
        };
        show("objective=", stage_objectives::names());
        show("stop=", stop_rules::names());
        show("design=", initial_designs::names());
        show("forecaster=", forecasters::names());
        return 0;
    }
    const std::vector<task> tasks = all_tasks({.quick = o.quick, .data_dir = AUTOLRS_BENCH_DATA_DIR});
    std::vector<method> methods = standard_methods(o.methods);
    for (const auto& v : o.variants) methods.push_back(parse_variant(v));
    const bool torch = fmnist_available();
    if (o.show_range_test) {
        for (const auto& t : tasks) {
            if (!selected(o, t) || (t.family == "fmnist" && !torch)) continue;
            const std::uint64_t steps = o.range_test_steps > 0 ? o.range_test_steps : t.range_test_steps;
            trainer_handle trainer(t.make(t.seeds.front()));
            const auto r = autolrs::lr_range_test(trainer, {.steps = steps});
            std::printf("%s seed %llu, %llu steps: status %d, lr_at_minimum %.3g, proposal [%.3g, %.3g], %zu steps run\n",
                        t.name.c_str(), static_cast<unsigned long long>(t.seeds.front()),
                        static_cast<unsigned long long>(steps), static_cast<int>(r.status), r.lr_at_minimum, r.lr_min,
                        r.lr_max, r.curve.size());
            const std::size_t every = std::max<std::size_t>(1, r.curve.size() / 25);
            for (std::size_t i = 0; i < r.curve.size(); ++i)
                if (i % every == 0 || i + 1 == r.curve.size())
                    std::printf("  lr %-10.3g loss %-10.4g smoothed %.4g\n", r.curve[i].lr, r.curve[i].loss,
                                r.curve[i].smoothed_loss);
        }
        return 0;
    }

    std::vector<work_item> work;
    std::set<std::string> skipped_families;
    for (const auto& t : tasks) {
        if (!selected(o, t)) continue;
        if (t.family == "fmnist" && !torch) {
            skipped_families.insert(t.family);
            continue;
        }
        std::vector<std::uint64_t> seeds = t.seeds;
        if (o.seeds > 0) {
            seeds.clear();
            for (std::uint64_t i = 0; i < o.seeds; ++i) seeds.push_back(t.seeds.front() + i);
        }
        const double run_cost = t.seconds_per_step * static_cast<double>(t.budget);
        for (const auto& m : methods) {
            std::vector<method> expanded;
            if (m.kind == method_kind::fixed)
                for (double lr : t.grid) {
                    method f = m;
                    f.peak_lr = lr;
                    expanded.push_back(f);
                }
            else expanded.push_back(m);
            for (const auto& e : expanded)
                for (const auto s : seeds)
                    work.push_back({&t, e, s, run_cost * (e.kind == method_kind::autolrs ? 1.15 : 1.0)});
        }
    }
    for (const auto& f : skipped_families)
        std::printf("note: the %s tasks are skipped (built without LibTorch, or the Fashion-MNIST files are missing)\n",
                    f.c_str());

    double estimate = 0.0;
    for (const auto& w : work) estimate += w.estimate;
    if (o.list) {
        std::printf("%-26s %-8s %-7s %7s %5s %5s %6s  %s\n", "task", "half", "family", "budget", "seeds", "grid",
                    "est.s", "description");
        for (const auto& t : tasks) {
            double s = 0.0;
            for (const auto& w : work)
                if (w.t == &t) s += w.estimate;
            std::string grid;
            for (const double lr : t.grid) grid += (grid.empty() ? "" : " ") + fmt_lr(lr);
            std::printf("%-26s %-8s %-7s %7llu %5zu %5zu %6.0f  %s%s\n%26s grid {%s}, AutoLRS [%s, %s], seeds from "
                        "%llu, range test %llu steps\n",
                        t.name.c_str(), to_string(t.which), t.family.c_str(), static_cast<unsigned long long>(t.budget),
                        t.seeds.size(), t.grid.size(), s, t.description.c_str(), selected(o, t) ? "" : " (not selected)",
                        "", grid.c_str(), fmt_lr(t.lr_min).c_str(), fmt_lr(t.lr_max).c_str(),
                        static_cast<unsigned long long>(t.seeds.front()),
                        static_cast<unsigned long long>(t.range_test_steps));
        }
        std::printf("%zu runs, about %.0f core-seconds: %.1f minutes with --jobs %d\n", work.size(), estimate,
                    estimate / 60.0 / std::max(o.jobs, 1), o.jobs);
        return 0;
    }

    fs::create_directories(o.out);
    const fs::path csv_path = o.out / "runs.csv";
    std::vector<run_record> rows;
    if (o.resume || o.tables_only) rows = read_csv(csv_path);
    const auto wall_start = clock_type::now();
    std::string status = o.tables_only ? "tables rewritten from runs.csv" : "complete";
    if (!o.tables_only) {
        std::set<std::string> done;
        for (const auto& r : rows) done.insert(r.key());
        std::vector<work_item> todo;
        for (const auto& w : work) {
            run_record probe;
            probe.task = w.t->name, probe.spec = w.m.spec, probe.peak_lr = w.m.peak_lr, probe.seed = w.seed;
            if (!done.count(probe.key())) todo.push_back(w);
        }
        // Longest first: the shortest makespan on a few cores.
        std::stable_sort(todo.begin(), todo.end(),
                         [](const work_item& a, const work_item& b) { return a.estimate > b.estimate; });
        double todo_estimate = 0.0;
        for (const auto& w : todo) todo_estimate += w.estimate;
        std::printf("%zu runs (%zu already in %s), estimated %.0f core-seconds (%.1f min with --jobs %d)\n",
                    todo.size(), work.size() - todo.size(), csv_path.string().c_str(), todo_estimate,
                    todo_estimate / 60.0 / std::max(o.jobs, 1), o.jobs);
        std::fflush(stdout);
        if (!o.resume || !fs::exists(csv_path)) {
            std::ofstream header(csv_path);
            for (std::size_t i = 0; i < csv_columns.size(); ++i) header << (i ? "," : "") << csv_columns[i];
            header << '\n';
            if (!o.resume) rows.clear();
        }
        std::ofstream csv(csv_path, std::ios::app);
        std::atomic<std::size_t> next{0};
        std::mutex mutex;
        std::exception_ptr failure;
        std::size_t finished = 0;
        bool out_of_time = false;
        const auto worker = [&] {
            for (std::size_t i = next++; i < todo.size(); i = next++) {
                if (o.max_minutes > 0.0 &&
                    std::chrono::duration<double>(clock_type::now() - wall_start).count() > 60.0 * o.max_minutes) {
                    std::lock_guard lock(mutex);
                    out_of_time = true;
                    return;
                }
                const auto& w = todo[i];
                run_record r;
                try {
                    r = run_one(*w.t, w.m, w.seed);
                } catch (...) {
                    std::lock_guard lock(mutex);
                    if (!failure) failure = std::current_exception();
                    next = todo.size();
                    return;
                }
                std::lock_guard lock(mutex);
                csv << csv_line(r) << '\n' << std::flush;
                ++finished;
                std::printf("[%zu/%zu] %s %s%s seed %llu: %s %s, searched %.0f%% (%.1fs)\n", finished, todo.size(),
                            r.task.c_str(), r.spec.c_str(), r.peak_lr > 0 ? (" lr " + fmt_lr(r.peak_lr)).c_str() : "",
                            static_cast<unsigned long long>(r.seed), w.t->metric.c_str(),
                            fmt_value(r.metric, w.t->higher_is_better).c_str(), 100.0 * r.overhead(), r.seconds);
                std::fflush(stdout);
                rows.push_back(std::move(r));
            }
        };
        std::vector<std::thread> threads;
        for (int k = 0; k < std::max(o.jobs, 1); ++k) threads.emplace_back(worker);
        for (auto& th : threads) th.join();
        if (failure) std::rethrow_exception(failure);
        if (out_of_time)
            status = "stopped by --max-minutes after " + std::to_string(finished) + " of " + std::to_string(todo.size()) +
                     " runs (rerun with --resume to go on)";
    }
    const double wall = std::chrono::duration<double>(clock_type::now() - wall_start).count();
    if (!o.tables_only) {
        const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", std::gmtime(&now));
        std::ofstream(o.out / "commands.txt", std::ios::app)
            << stamp << " UTC  " << o.command << "  # " << status << ", " << std::fixed << std::setprecision(1)
            << wall / 60.0 << " min wall; runs.csv now holds " << rows.size() << " runs\n";
    }
    write_tables(o, tasks, rows, wall, status);
    std::printf("wall time %.1f min\n", wall / 60.0);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    CLI::App app{"AutoLRS against tuned LR schedules on a fixed suite split into development and hold-out halves"};
    app.add_option("--half", o.half, "which half to run")->capture_default_str()->check(CLI::IsMember({"all", "dev", "holdout"}));
    app.add_option("--tasks", o.tasks, "only these tasks (names as --list prints them)");
    app.add_option("--families", o.families, "only these families")->check(CLI::IsMember({"fmnist", "nqm", "replay"}));
    app.add_option("--methods", o.methods, "methods (constant, cosine, wsd, autolrs, autolrs_zero, rt_cosine)")
        ->capture_default_str();
    app.add_option("--variant", o.variants, "also run AutoLRS as name:key=value,...; keys: " + variant_keys_help());
    app.add_option("--seeds", o.seeds, "seeds per task (default: the task's own: 3 for networks, 5 otherwise)");
    app.add_option("--jobs", o.jobs, "runs in parallel")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--threads", o.threads, "LibTorch threads per run")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--out", o.out, "output folder")->capture_default_str();
    app.add_flag("--resume", o.resume, "keep runs.csv's runs and run only the missing ones");
    app.add_flag("--tables-only", o.tables_only, "only rewrite the tables from --out/runs.csv");
    app.add_option("--max-minutes", o.max_minutes, "start no run after this many minutes (0: no limit)")
        ->capture_default_str();
    app.add_flag("--quick", o.quick, "tiny budgets, one seed, two grid points (the smoke test)");
    app.add_flag("--list", o.list, "print the tasks, the split and the estimated cost; run nothing");
    app.add_flag("--list-policies", o.list_policies, "print the policy names a variant may use");
    app.add_flag("--self-check", o.self_check,
                 "check the NQM's exact expected loss and the named-policy controller, then exit");
    app.add_flag("--show-range-test", o.show_range_test,
                 "run the LR range test of the selected tasks (first seed) and print its curve; run nothing else");
    app.add_option("--range-test-steps", o.range_test_steps, "with --show-range-test: the sweep's steps (0: the task's)");
    app.add_option("--note", o.note, "a line for the top of the tables");
    CLI11_PARSE(app, argc, argv);
    for (int i = 0; i < argc; ++i) o.command += (i ? " " : "") + std::string(i ? argv[i] : "bench_suite");
    try {
        return run_suite(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_suite: %s\n", e.what());
        return 1;
    }
}
