// bench_harness: every acquisition x kernel x forecaster of policy_lists.hpp (and the
// user-supplied acquisition) on the problem suite of harness.hpp, over many seeds; writes
// harness.md (tables), harness.csv (one row per problem and combination) and
// harness_runs.csv (one row per run) into --out-dir.
//
//   bench_harness --out-dir bench/results            full run (20 seeds)
//   bench_harness --quick --out-dir <dir>             smoke test (CTest label bench_smoke)
#include "policy_lists.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#ifndef AUTOLRS_BENCH_DATA_DIR
#define AUTOLRS_BENCH_DATA_DIR "bench/data"
#endif

namespace {

using namespace autolrs::bench;

struct cell {
    std::size_t problem, combo;
    std::vector<run_metrics> runs;  // one per seed
};

std::string fmt(double v, int digits = 3) {
    std::ostringstream os;
    if (!std::isfinite(v)) return "nan";
    os << std::setprecision(digits) << std::defaultfloat << v;
    return os.str();
}
std::string fmt_iqr(const summary& s, int digits = 3) {
    return fmt(s.median, digits) + " [" + fmt(s.q25, digits) + ", " + fmt(s.q75, digits) + "]";
}

template <class Get>
std::vector<double> column(const std::vector<run_metrics>& runs, Get get) {
    std::vector<double> v;
    v.reserve(runs.size());
    for (const run_metrics& m : runs) v.push_back(get(m));
    return v;
}

std::string combo_name(const combination& c) { return c.acquisition + " / " + c.kernel + " / " + c.forecaster; }

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"autolrs benchmark harness: acquisition x kernel x forecaster on simulated problems"};
    bool quick = false;
    unsigned seeds = 20;
    unsigned jobs = std::max(1U, std::thread::hardware_concurrency());
    std::string out_dir = "bench/results";
    std::string data_dir = AUTOLRS_BENCH_DATA_DIR;
    std::string problem_filter = ".*";
    std::string combo_filter = ".*";
    double budget_scale = 1.0;
    app.add_flag("--quick", quick, "smoke test: 2 seeds, half budgets, only the combinations one policy away from the default");
    app.add_option("--seeds", seeds, "seeds per problem and combination")->check(CLI::PositiveNumber);
    app.add_option("--jobs", jobs, "worker threads")->check(CLI::PositiveNumber);
    app.add_option("--out-dir", out_dir, "where harness.md, harness.csv and harness_runs.csv go");
    app.add_option("--data-dir", data_dir, "the recorded loss curves (bench/data)");
    app.add_option("--problems", problem_filter, "regex over problem names");
    app.add_option("--combinations", combo_filter, "regex over 'acquisition / kernel / forecaster'");
    app.add_option("--budget-scale", budget_scale, "multiply every step budget")->check(CLI::PositiveNumber);
    double anneal_probe = autolrs::controller_settings{}.anneal_probe;
    app.add_option("--anneal-probe", anneal_probe, "controller_settings::anneal_probe of every run")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 4.0));
    app.add_flag("--trace", regret_tracker::trace, "print every event of every run to stderr (use with --seeds 1 --jobs 1 and filters)");
    CLI11_PARSE(app, argc, argv);
    if (quick) {
        if (app.count("--seeds") == 0) seeds = 2;
        if (app.count("--budget-scale") == 0) budget_scale = 0.5;
    }

    std::vector<combination> all;
    add_expected_improvement(all);
    add_lower_confidence_bound(all);
    add_probability_of_improvement(all);
    add_thompson_sampling(all);
    add_user_acquisition(all);
    std::vector<combination> combos;
    const std::regex combo_re(combo_filter);
    for (const combination& c : all) {
        const int away = (c.acquisition != "EI") + (c.kernel != "Matern52") + (c.forecaster != "exponential");
        if (quick && away > 1) continue;
        if (std::regex_search(combo_name(c), combo_re)) combos.push_back(c);
    }
    std::vector<problem> problems;
    const std::regex problem_re(problem_filter);
    for (problem& p : default_suite(data_dir, budget_scale))
        if (std::regex_search(p.name, problem_re)) {
            p.anneal_probe = anneal_probe;
            problems.push_back(std::move(p));
        }
    if (combos.empty() || problems.empty()) {
        std::cerr << "no combination or no problem matches\n";
        return 2;
    }

    std::vector<cell> cells;
    for (std::size_t p = 0; p < problems.size(); ++p)
        for (std::size_t c = 0; c < combos.size(); ++c) cells.push_back({p, c, std::vector<run_metrics>(seeds)});
    const std::size_t tasks = cells.size() * seeds;
    std::cerr << "bench_harness: " << problems.size() << " problems x " << combos.size() << " combinations x " << seeds
              << " seeds = " << tasks << " runs on " << jobs << " threads\n";

    const auto wall_start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::string failure;
    std::mutex failure_mutex;
    const auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < tasks && !failed;) {
            cell& c = cells[i / seeds];
            const std::uint64_t seed = 1000 + i % seeds;
            try {
                c.runs[i % seeds] = combos[c.combo].run(problems[c.problem], seed);
            } catch (const std::exception& e) {
                const std::lock_guard lock(failure_mutex);
                failure = problems[c.problem].name + " / " + combo_name(combos[c.combo]) + " seed " +
                          std::to_string(seed) + ": " + e.what();
                failed = true;
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
    if (failed) {
        std::cerr << "bench_harness: a run threw: " << failure << "\n";
        return 1;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

    // Oracle yardstick per problem: the best constant LR for the whole budget, no search cost.
    std::vector<std::vector<double>> oracle(problems.size());
    for (std::size_t p = 0; p < problems.size(); ++p)
        for (unsigned s = 0; s < seeds; ++s) {
            const auto t = problems[p].make(1000 + s);
            oracle[p].push_back(best_constant_lr(*t, problems[p].lr_min, problems[p].lr_max, problems[p].budget).second);
        }

    std::filesystem::create_directories(out_dir);
    const auto regret_of = [](const run_metrics& m) { return m.regret; };
    const auto loss_of = [](const run_metrics& m) { return m.final_loss; };
    const auto search_of = [](const run_metrics& m) { return m.search_steps; };
    const auto time_of = [](const run_metrics& m) { return m.decision_ms; };

    // ---- CSV ----
    {
        std::ofstream csv(out_dir + "/harness.csv");
        csv << "problem,family,budget,acquisition,kernel,forecaster,seeds,regret_median,regret_q25,regret_q75,"
               "final_loss_median,final_loss_q25,final_loss_q75,search_steps_median,search_steps_q25,search_steps_q75,"
               "decision_ms_median,decision_ms_q25,decision_ms_q75,incomplete\n";
        csv << std::setprecision(9);
        for (const cell& c : cells) {
            const problem& p = problems[c.problem];
            const combination& k = combos[c.combo];
            csv << p.name << ',' << p.family << ',' << p.budget << ',' << k.acquisition << ',' << k.kernel << ','
                << k.forecaster << ',' << seeds;
            for (const auto& get : {std::function<double(const run_metrics&)>(regret_of), {loss_of}, {search_of}, {time_of}}) {
                const summary s = summarise(column(c.runs, get));
                csv << ',' << s.median << ',' << s.q25 << ',' << s.q75;
            }
            csv << ',' << std::count_if(c.runs.begin(), c.runs.end(), [](const run_metrics& m) { return !m.completed; })
                << '\n';
        }
        std::ofstream runs(out_dir + "/harness_runs.csv");
        runs << "problem,acquisition,kernel,forecaster,seed,regret,final_loss,search_steps,decision_ms,stages,completed\n";
        runs << std::setprecision(9);
        for (const cell& c : cells)
            for (unsigned s = 0; s < seeds; ++s) {
                const run_metrics& m = c.runs[s];
                const combination& k = combos[c.combo];
                runs << problems[c.problem].name << ',' << k.acquisition << ',' << k.kernel << ',' << k.forecaster << ','
                     << 1000 + s << ',' << m.regret << ',' << m.final_loss << ',' << m.search_steps << ','
                     << m.decision_ms << ',' << m.stages << ',' << (m.completed ? 1 : 0) << '\n';
            }
    }

    // ---- Markdown ----
    std::ofstream md(out_dir + "/harness.md");
    md << "# Benchmark harness results\n\n";
    md << "Generated by `bench_harness" << (quick ? " --quick" : "") << " --seeds " << seeds << " --jobs " << jobs
       << "` (bench/harness/): " << problems.size() << " problems x " << combos.size() << " combinations x "
       << seeds << " seeds = " << tasks << " runs; " << fmt(cpu, 4) << " s CPU, " << fmt(wall, 4) << " s wall.\n\n";
    md << "Every run is `autolrs::controller<gaussian_process<Kernel>, Acquisition, Forecaster>` with default settings "
          "(lr_min, lr_max, total_steps = the budget, seed). Figures: median [IQR] over seeds. **regret**: per searched "
          "stage, (L(chosen) - L(best)) / (L(start) - L(best)) with L the expected loss after the stage's horizon from "
          "the stage's start state (best: the best constant LR in the interval), weighted by stage length. **final "
          "loss**: noise-free loss when the budget is spent. **search steps**: optimizer steps thrown away. "
          "**decision ms**: wall time inside the controller's calls.\n\n";

    // Headline: per problem, the marginal median regret of each policy, and the winner.
    const auto marginal = [&](std::size_t p, auto key, const std::string& value, auto get) {
        std::vector<double> v;
        for (const cell& c : cells)
            if (c.problem == p && key(combos[c.combo]) == value)
                for (const run_metrics& m : c.runs) v.push_back(get(m));
        return quantile(v, 0.5);
    };
    const auto family_table = [&](const std::string& title, auto key) {
        std::vector<std::string> values;
        for (const combination& c : combos)
            if (std::find(values.begin(), values.end(), key(c)) == values.end()) values.push_back(key(c));
        md << "### " << title << ": median regret (median final loss), pooled over the other policies and seeds\n\n| problem |";
        for (const std::string& v : values) md << ' ' << v << " |";
        md << "\n|---|";
        for (std::size_t i = 0; i < values.size(); ++i) md << "---|";
        md << '\n';
        for (std::size_t p = 0; p < problems.size(); ++p) {
            md << "| " << problems[p].name << " |";
            double best = std::numeric_limits<double>::infinity();
            for (const std::string& v : values) best = std::min(best, marginal(p, key, v, regret_of));
            for (const std::string& v : values) {
                const double r = marginal(p, key, v, regret_of);
                const std::string text = fmt(r) + " (" + fmt(marginal(p, key, v, loss_of), 4) + ")";
                md << ' ' << (r == best ? "**" + text + "**" : text) << " |";
            }
            md << '\n';
        }
        md << '\n';
    };
    md << "## Headline\n\n";
    family_table("Acquisition", [](const combination& c) { return c.acquisition; });
    family_table("Kernel", [](const combination& c) { return c.kernel; });
    family_table("Forecaster", [](const combination& c) { return c.forecaster; });

    md << "### Best combination per problem (lowest median regret; ties: lower median final loss)\n\n"
          "| problem | budget | best combination | regret | final loss | default EI / Matern52 / exponential: regret | final loss | oracle constant LR: final loss |\n"
          "|---|---|---|---|---|---|---|---|\n";
    for (std::size_t p = 0; p < problems.size(); ++p) {
        const cell* best = nullptr;
        const cell* def = nullptr;
        for (const cell& c : cells) {
            if (c.problem != p) continue;
            const combination& k = combos[c.combo];
            if (k.acquisition == "EI" && k.kernel == "Matern52" && k.forecaster == "exponential") def = &c;
            const auto key = [&](const cell& x) {
                return std::pair(quantile(column(x.runs, regret_of), 0.5), quantile(column(x.runs, loss_of), 0.5));
            };
            if (!best || key(c) < key(*best)) best = &c;
        }
        md << "| " << problems[p].name << " | " << problems[p].budget << " | " << combo_name(combos[best->combo]) << " | "
           << fmt_iqr(summarise(column(best->runs, regret_of))) << " | " << fmt_iqr(summarise(column(best->runs, loss_of)), 4)
           << " | " << (def ? fmt_iqr(summarise(column(def->runs, regret_of))) : "-") << " | "
           << (def ? fmt_iqr(summarise(column(def->runs, loss_of)), 4) : "-") << " | " << fmt_iqr(summarise(oracle[p]), 4)
           << " |\n";
    }
    md << "\n## Every combination\n\n";
    for (std::size_t p = 0; p < problems.size(); ++p) {
        md << "### " << problems[p].name << " (" << problems[p].family << ", LR in [" << fmt(problems[p].lr_min) << ", "
           << fmt(problems[p].lr_max) << "], budget " << problems[p].budget << " steps; oracle constant LR final loss "
           << fmt_iqr(summarise(oracle[p]), 4) << ")\n\n";
        md << "| acquisition | kernel | forecaster | regret | final loss | search steps | decision ms | incomplete |\n"
              "|---|---|---|---|---|---|---|---|\n";
        for (const cell& c : cells) {
            if (c.problem != p) continue;
            const combination& k = combos[c.combo];
            md << "| " << k.acquisition << " | " << k.kernel << " | " << k.forecaster << " | "
               << fmt_iqr(summarise(column(c.runs, regret_of))) << " | " << fmt_iqr(summarise(column(c.runs, loss_of)), 4)
               << " | " << fmt_iqr(summarise(column(c.runs, search_of)), 4) << " | "
               << fmt_iqr(summarise(column(c.runs, time_of))) << " | "
               << std::count_if(c.runs.begin(), c.runs.end(), [](const run_metrics& m) { return !m.completed; }) << " |\n";
        }
        md << '\n';
    }
    std::cerr << "bench_harness: wrote " << out_dir << "/harness.md, harness.csv, harness_runs.csv (" << fmt(cpu, 4)
              << " s CPU, " << fmt(wall, 4) << " s wall)\n";
    return 0;
}
