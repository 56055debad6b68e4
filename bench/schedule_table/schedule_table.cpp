// The paper's table on this machine: AutoLRS against hand-tuned fixed schedules on
// Fashion-MNIST (LibTorch, CPU), every method under the same budget of optimizer steps,
// AutoLRS's search steps (and the LR range test's) counted inside that budget.
//
//   bench_schedule_table                      # the full table (see bench/schedule_table/README.md)
//   bench_schedule_table --quick              # the smoke test's size (about a minute)
//
// Per optimizer (SGD with momentum 0.9, Adam) and seed, it trains:
//   - fixed schedules, each over a grid of peak LRs (the tuning a user would pay for):
//     constant, step decay (x0.1 at 1/3 and 2/3 of the budget), cosine (to 0), one-cycle
//     (PyTorch's defaults), warmup-stable-decay (5% linear warmup, last 20% linear to 0);
//   - AutoLRS: the reference preset, our defaults, the zero-setting mode (LR range test first,
//     its steps counted), and our defaults with one option changed at a time (ablations).
// Measured per run: test accuracy and loss on the whole test set at the budget, and the test
// accuracy on a fixed held-out subset every `eval_every` total steps; from that curve, the
// total steps (search included) at which the target accuracy is first reached. While AutoLRS
// searches, the model of record is the stage's start state (the candidates are not), so the
// curve carries the last value forward through a search.
//
// Writes to --out: schedule_table.md (the table, the grids, the command), runs.csv (every run),
// curves_<optimizer>.csv (median accuracy curves), schedule_table.png (gnuplot).

#include <autolrs/autolrs.hpp>

#include "autolrs_support/fashion_mnist.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

struct options {
    std::vector<std::string> optimizers{"sgd", "adam"};
    std::uint64_t seeds = 3;
    std::uint64_t first_seed = 1;
    std::uint64_t budget = 4000;
    std::int64_t batch_size = 128;
    std::string model = "mlp";
    std::uint64_t eval_every = 100;
    std::int64_t eval_examples = 2000;
    double target_sgd = 0.86;
    double target_adam = 0.86;
    std::vector<double> grid_sgd{0.01, 0.0316, 0.1, 0.316, 1.0};
    std::vector<double> grid_adam{1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2};
    std::vector<std::string> families{"constant", "step_decay", "cosine", "one_cycle", "wsd"};
    bool ablations = true;
    std::uint64_t range_test_steps = 100;
    double range_test_lr_start = 1e-7;
    double range_test_margin_decades = autolrs::lr_range_test_settings{}.margin_decades;
    bool zero_setting_too = false;  // with autolrs_only: also the zero-setting mode
    std::vector<std::string> variants;  // "name:key=value,key=value": our defaults with these changes
    bool autolrs_only = false;          // no fixed schedules, no reference, no zero-setting
    bool common_batches = false;        // AutoLRS: a restore rewinds the batch stream too
    int jobs = 2;
    int threads = 1;
    fs::path out = "bench/results";
    bool quick = false;
    std::string note;
    std::string command;
};

// The interval AutoLRS is given: the demo's default, wider than the baselines' grids (a user
// who knows no better gives a broad interval; the grids were centred on known good LRs).
std::pair<double, double> autolrs_interval(const std::string& optimizer) {
    if (optimizer == "sgd") return {1e-3, 1.0};
    return {1e-5, 3e-2};
}

double target_of(const options& o, const std::string& optimizer) {
    return optimizer == "sgd" ? o.target_sgd : o.target_adam;
}

// ---- one run -----------------------------------------------------------------------------

// An autolrs::trainer around the Fashion-MNIST trainer that counts every optimizer step and
// records the held-out accuracy every `every` steps: measured while the model of record is
// being trained, carried forward while a search runs.
class metered_trainer {
public:
    // With common batches the checkpoint also holds the batch source's position, so that a
    // restore puts the data stream back too: every candidate of a search sees the same batches.
    struct checkpoint_type {
        fashion_mnist::trainer::checkpoint_type model;
        std::optional<fashion_mnist::batch_source> batches;
    };

    metered_trainer(fashion_mnist::trainer& inner, const fashion_mnist::tensor_dataset& probe, std::uint64_t every,
                    std::shared_ptr<fashion_mnist::batch_source> common_batches)
        : inner_(inner), probe_(probe), every_(every), batches_(std::move(common_batches)) {
        last_ = fashion_mnist::evaluate(inner_.model(), probe_).accuracy;
    }

    void set_learning_rate(double lr) { inner_.set_learning_rate(lr); }
    double train_step() {
        const double loss = inner_.train_step();
        ++steps_;
        if (steps_ % every_ == 0) {
            if (trajectory) last_ = fashion_mnist::evaluate(inner_.model(), probe_).accuracy;
            curve_.push_back(last_);
        }
        return loss;
    }
    double validation_loss() { return inner_.validation_loss(); }
    checkpoint_type checkpoint() {
        checkpoint_type saved;
        checkpoint(saved);
        return saved;
    }
    void checkpoint(checkpoint_type& into) {
        inner_.checkpoint(into.model);
        if (batches_) into.batches = *batches_;
    }
    void restore(const checkpoint_type& from) {
        inner_.restore(from.model);
        if (batches_ && from.batches) *batches_ = *from.batches;
    }

    [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
    [[nodiscard]] const std::vector<double>& curve() const noexcept { return curve_; }

    bool trajectory = true;  // false while the steps belong to a search (candidates, range test)

private:
    fashion_mnist::trainer& inner_;
    const fashion_mnist::tensor_dataset& probe_;
    std::uint64_t every_;
    std::shared_ptr<fashion_mnist::batch_source> batches_;  // null: the trainer's own, never rewound
    std::uint64_t steps_ = 0;
    double last_ = 0.0;
    std::vector<double> curve_;
};

// Candidate steps are search; the stage, warmup and cooldown train the model of record.
struct phase_observer {
    metered_trainer* trainer;
    std::uint32_t early_stops = 0;
    std::string decisions;  // per stage: the candidates' LR=forecast, then the LR trained
    void operator()(const autolrs::event& e) {
        using autolrs::event_kind;
        char item[96];
        switch (e.kind) {
            case event_kind::candidate_end:
                std::snprintf(item, sizeof item, " %.3g=%.3g~%.2g", e.learning_rate, e.forecast, e.stddev);
                decisions += item;
                break;
            case event_kind::candidate_diverged:
                std::snprintf(item, sizeof item, " %.3g=diverged", e.learning_rate);
                decisions += item;
                break;
            case event_kind::stage_start:
                if (e.candidates == 0) break;  // no search: search_skipped follows
                std::snprintf(item, sizeof item, "%s@%llu[", decisions.empty() ? "" : " | ",
                              static_cast<unsigned long long>(e.step));
                decisions += item;
                break;
            default: break;
        }
        switch (e.kind) {
            case event_kind::stage_lr_chosen:
            case event_kind::fallback:
            case event_kind::cooldown_start:
                std::snprintf(item, sizeof item, " ]->%s%.3g", e.kind == event_kind::cooldown_start ? "cooldown " : "",
                              e.learning_rate);
                decisions += item;
                break;
            default: break;
        }
        switch (e.kind) {
            case event_kind::candidate_start: trainer->trajectory = false; break;
            case event_kind::stage_lr_chosen:
            case event_kind::fallback:
            case event_kind::search_skipped:
            case event_kind::warmup_start:
            case event_kind::cooldown_start: trainer->trajectory = true; break;
            case event_kind::search_stopped_early: ++early_stops; break;
            default: break;
        }
    }
};

enum class method_kind { fixed, reference, ours, zero_setting };

struct method {
    std::string family;  // "cosine", ..., "autolrs_reference", "autolrs_ours", "autolrs_zero", "ablation: ..."
    method_kind kind = method_kind::fixed;
    double peak_lr = 0.0;                                               // fixed schedules
    std::function<void(autolrs::controller_settings&)> adjust;          // ablations of ours
};

struct run_record {
    std::string optimizer;
    std::string family;
    double peak_lr = 0.0;
    std::uint64_t seed = 0;
    double test_accuracy = 0.0;
    double test_loss = 0.0;
    std::optional<std::uint64_t> steps_to_target;
    std::vector<double> curve;
    std::uint64_t steps_total = 0;
    std::uint64_t steps_trained = 0;
    std::uint64_t steps_searched = 0;  // candidates thrown away + the range test
    std::uint32_t stages = 0;
    std::uint32_t early_stops = 0;
    double lr_min = 0.0;
    double lr_max = 0.0;
    double seconds = 0.0;
    std::string decisions;  // AutoLRS: what each stage tried and chose (see phase_observer)
    [[nodiscard]] double overhead() const {
        return steps_trained == 0 ? 0.0 : static_cast<double>(steps_searched) / static_cast<double>(steps_trained);
    }
};

std::function<double(std::uint64_t)> fixed_schedule(const std::string& family, double lr, std::uint64_t budget) {
    namespace s = autolrs::schedule;
    if (family == "constant") return s::constant({.lr = lr});
    if (family == "step_decay")
        return s::step_decay({.lr = lr, .step_size = std::max<std::uint64_t>(budget / 3, 1), .gamma = 0.1});
    if (family == "cosine") return s::cosine({.lr_max = lr, .period = budget});
    if (family == "one_cycle") return s::one_cycle({.lr_max = lr, .total_steps = budget});
    if (family == "wsd")
        return s::warmup_stable_decay({.lr = lr,
                                       .total_steps = budget,
                                       .decay_steps = budget / 5,
                                       .warmup_steps = budget / 20});
    throw std::invalid_argument("unknown schedule family " + family);
}

std::mutex torch_seed_mutex;  // make_model seeds LibTorch's global generator

// --common-batches must make a restore replay the batches drawn since the checkpoint: one
// step, a restore, and the same step again must give the same loss (one thread: exact).
void check_common_batches(const options& o, const fashion_mnist::splits& data,
                          const fashion_mnist::tensor_dataset& probe) {
    const auto batches = std::make_shared<fashion_mnist::batch_source>(data.train, o.batch_size, o.first_seed);
    std::optional<fashion_mnist::trainer> inner;
    {
        std::lock_guard lock(torch_seed_mutex);
        inner.emplace(fashion_mnist::make_trainer(
            data, {.model = o.model, .optimizer = "sgd", .batch_size = o.batch_size, .seed = o.first_seed}, batches));
    }
    metered_trainer t(*inner, probe, o.eval_every, batches);
    const auto saved = t.checkpoint();
    const double first = t.train_step();
    const double next = t.train_step();
    t.restore(saved);
    const double again = t.train_step();
    if (first != again || first == next)
        throw std::runtime_error("--common-batches: a restore did not replay the same batch (losses " +
                                 std::to_string(first) + ", " + std::to_string(again) + ")");
    std::printf("common batches: a restore replays the batches drawn since its checkpoint (checked: loss %.6f twice)\n",
                first);
}

run_record run_one(const options& o, const fashion_mnist::splits& data, const fashion_mnist::tensor_dataset& probe,
                   const std::string& optimizer, const method& m, std::uint64_t seed) {
    const auto start = clock_type::now();
    const auto [lr_min, lr_max] = autolrs_interval(optimizer);
    std::optional<fashion_mnist::trainer> inner;
    std::shared_ptr<fashion_mnist::batch_source> common_batches;
    if (o.common_batches && m.kind != method_kind::fixed)
        common_batches = std::make_shared<fashion_mnist::batch_source>(data.train, o.batch_size, seed);
    {
        std::lock_guard lock(torch_seed_mutex);
        inner.emplace(fashion_mnist::make_trainer(data,
                                                  {.model = o.model,
                                                   .optimizer = optimizer,
                                                   .batch_size = o.batch_size,
                                                   .seed = seed,
                                                   .initial_learning_rate = lr_min},
                                                  common_batches));
    }
    metered_trainer trainer(*inner, probe, o.eval_every, common_batches);
    run_record r;
    r.optimizer = optimizer;
    r.family = m.family;
    r.peak_lr = m.peak_lr;
    r.seed = seed;

    if (m.kind == method_kind::fixed) {
        autolrs::run_schedule(trainer, fixed_schedule(m.family, m.peak_lr, o.budget), o.budget);
        r.steps_trained = o.budget;
    } else {
        phase_observer observer{&trainer, 0, {}};
        autolrs::run_result result;
        std::uint64_t extra_search = 0;
        if (m.kind == method_kind::reference) {
            auto ctl = autolrs::make_reference_controller(lr_min, lr_max, o.budget, seed);
            result = autolrs::run(trainer, ctl, observer);
            r.lr_min = lr_min;
            r.lr_max = lr_max;
        } else {
            autolrs::controller_settings settings{.lr_min = lr_min, .lr_max = lr_max, .seed = seed};
            if (m.kind == method_kind::zero_setting) {
                trainer.trajectory = false;
                const auto found = autolrs::lr_range_test(
                    trainer, {.lr_start = o.range_test_lr_start,
                              .steps = o.range_test_steps,
                              .margin_decades = o.range_test_margin_decades});
                trainer.trajectory = true;
                extra_search = trainer.steps();
                settings.lr_min = found.lr_min;
                settings.lr_max = found.lr_max;
            }
            settings.total_steps = o.budget - extra_search;
            if (m.adjust) m.adjust(settings);
            autolrs::controller<> ctl(settings);
            result = autolrs::run(trainer, ctl, observer);
            r.lr_min = settings.lr_min;
            r.lr_max = settings.lr_max;
        }
        r.steps_trained = result.steps_trained;
        r.steps_searched = result.steps_searched + extra_search;
        r.stages = result.stages;
        r.early_stops = observer.early_stops;
        r.decisions = observer.decisions;
    }
    r.steps_total = trainer.steps();
    const auto test = fashion_mnist::evaluate(inner->model(), data.test);
    r.test_accuracy = test.accuracy;
    r.test_loss = test.loss;
    r.curve = trainer.curve();
    const double target = target_of(o, optimizer);
    for (std::size_t i = 0; i < r.curve.size(); ++i) {
        if (r.curve[i] >= target) {
            r.steps_to_target = (i + 1) * o.eval_every;
            break;
        }
    }
    r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return r;
}

// ---- statistics and the table ---------------------------------------------------------------

double median(std::vector<double> v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct summary {
    std::string family;
    double peak_lr = 0.0;
    std::vector<const run_record*> runs;

    std::vector<double> values(double run_record::*field) const {
        std::vector<double> v;
        for (const auto* r : runs) v.push_back(r->*field);
        return v;
    }
    // Not reaching the target counts as infinitely many steps.
    std::vector<double> steps_to_target() const {
        std::vector<double> v;
        for (const auto* r : runs)
            v.push_back(r->steps_to_target ? static_cast<double>(*r->steps_to_target)
                                           : std::numeric_limits<double>::infinity());
        return v;
    }
    double median_accuracy() const { return median(values(&run_record::test_accuracy)); }
    double median_loss() const { return median(values(&run_record::test_loss)); }
    std::vector<double> median_curve() const {
        std::vector<double> out;
        if (runs.empty()) return out;
        for (std::size_t i = 0; i < runs.front()->curve.size(); ++i) {
            std::vector<double> at;
            for (const auto* r : runs)
                if (i < r->curve.size()) at.push_back(r->curve[i]);
            out.push_back(median(at));
        }
        return out;
    }
};

std::string fmt(const char* format, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

std::string spread(const std::vector<double>& v, const char* format, double scale = 1.0) {
    if (v.empty()) return "-";
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const auto one = [&](double x) { return std::isfinite(x) ? fmt(format, scale * x) : std::string("not reached"); };
    if (v.size() == 1) return one(v.front());
    return one(median(v)) + " [" + one(*lo) + ", " + one(*hi) + "]";
}

std::string family_label(const std::string& family) {
    static const std::map<std::string, std::string> labels{
        {"constant", "constant (best of grid)"},
        {"step_decay", "step decay x0.1 at 1/3, 2/3 (best of grid)"},
        {"cosine", "cosine to 0 (best peak of grid)"},
        {"one_cycle", "one-cycle (best peak of grid)"},
        {"wsd", "warmup-stable-decay 5%/75%/20% (best of grid)"},
        {"autolrs_reference", "AutoLRS, reference preset"},
        {"autolrs_ours", "**AutoLRS, ours (defaults)**"},
        {"autolrs_zero", "AutoLRS, zero-setting (LR range test + defaults)"},
    };
    const auto it = labels.find(family);
    return it != labels.end() ? it->second : family;
}

bool is_fixed(const std::string& family) { return family.rfind("autolrs", 0) != 0 && family.rfind("ablation", 0) != 0; }

// The grid point of each fixed family with the best median final test accuracy (ties: loss);
// every AutoLRS variant as is.
std::vector<summary> best_per_family(const std::vector<summary>& all) {
    std::vector<summary> best;
    for (const auto& s : all) {
        auto it = std::find_if(best.begin(), best.end(), [&](const summary& b) { return b.family == s.family; });
        if (it == best.end()) {
            best.push_back(s);
        } else if (s.median_accuracy() > it->median_accuracy() ||
                   (s.median_accuracy() == it->median_accuracy() && s.median_loss() < it->median_loss())) {
            *it = s;
        }
    }
    return best;
}

bool plot(const fs::path& out, const std::vector<std::string>& optimizers, const options& o) {
    const fs::path script = out / "schedule_table.gnuplot";
    {
        std::ofstream g(script);
        g << "set terminal pngcairo size " << 700 * optimizers.size() << ",520 noenhanced\n";
        g << "set output '" << (out / "schedule_table.png").string() << "'\n";
        g << "set datafile separator ','\nset key bottom right\nset grid\n";
        g << "set multiplot layout 1," << optimizers.size() << "\n";
        for (const auto& opt : optimizers) {
            const fs::path csv = out / ("curves_" + opt + ".csv");
            g << "set title 'Fashion-MNIST " << o.model << ", " << opt << ": held-out test accuracy (median of "
              << o.seeds << " seeds)'\n";
            g << "set xlabel 'optimizer steps, search included'\nset ylabel 'test accuracy (subset)'\n";
            g << "set yrange [" << target_of(o, opt) - 0.08 << ":*]\n";
            g << "set arrow from graph 0, first " << target_of(o, opt) << " to graph 1, first " << target_of(o, opt)
              << " nohead dt 2 lc rgb 'gray'\n";
            g << "plot for [i=2:*] '" << csv.string() << "' using 1:i with lines lw 2 title columnheader(i)\n";
            g << "unset arrow\n";
        }
        g << "unset multiplot\n";
    }
    const std::string command = "gnuplot '" + script.string() + "' > /dev/null 2>&1";
    return std::system(command.c_str()) == 0 && fs::exists(out / "schedule_table.png");
}

void write_outputs(const options& o, const std::vector<run_record>& runs, double wall_seconds) {
    fs::create_directories(o.out);
    {
        std::ofstream csv(o.out / "runs.csv");
        csv << "optimizer,family,peak_lr,seed,test_accuracy,test_loss,steps_to_target,steps_total,steps_trained,"
               "steps_searched,search_overhead,stages,early_stops,lr_min,lr_max,seconds,decisions\n";
        for (const auto& r : runs)
            csv << r.optimizer << ",\"" << r.family << "\"," << r.peak_lr << ',' << r.seed << ',' << r.test_accuracy << ','
                << r.test_loss << ',' << (r.steps_to_target ? std::to_string(*r.steps_to_target) : "") << ','
                << r.steps_total << ',' << r.steps_trained << ',' << r.steps_searched << ',' << r.overhead() << ','
                << r.stages << ',' << r.early_stops << ',' << r.lr_min << ',' << r.lr_max << ',' << r.seconds << ",\"" << r.decisions << "\"\n";
    }

    std::ostringstream md;
    md << "# AutoLRS against hand-tuned schedules: Fashion-MNIST on this machine\n\n";
    if (!o.note.empty()) md << "**" << o.note << "**\n\n";
    md << "Command: `" << o.command << "`  \n";
    md << "Wall time: " << fmt("%.1f", wall_seconds / 60.0) << " min on " << std::thread::hardware_concurrency()
       << " cores (" << o.jobs << " runs in parallel, " << o.threads << " LibTorch thread each; a shared machine).\n\n";
    md << "Setup: model `" << o.model << "` (fashion_mnist::make_model), batch " << o.batch_size << ", budget "
       << o.budget << " optimizer steps per run (about " << fmt("%.1f", static_cast<double>(o.budget * o.batch_size) / 55000.0)
       << " epochs of the 55,000 training images), every search step (AutoLRS candidates, the LR range test) counted "
          "inside it. Seeds "
       << o.first_seed << ".." << o.first_seed + o.seeds - 1
       << " (model initialisation, batch order and search). SGD has momentum 0.9; Adam its defaults.\n\n";
    md << "Measured: final test accuracy and loss on the whole test set (10,000 images) at the budget; and the "
          "accuracy on a fixed held-out subset (the first "
       << o.eval_examples << " test images) every " << o.eval_every
       << " total steps, from which *steps to target* is the first total step count (search included) where that "
          "accuracy reaches the target. During an AutoLRS search the model of record is the stage's starting state, so "
          "the curve holds its last value (a kept winner's steps count once the stage trains on). "
          "Median [min, max] over seeds; a seed that never reaches the target counts as infinite.\n\n";
    md << "Tuning: each fixed schedule was run at every peak LR of its optimizer's grid and the grid point with the "
          "best median final *test* accuracy is shown (selection on the test set favours the baselines). "
          "AutoLRS gets one interval and no tuning: SGD [1e-3, 1], Adam [1e-5, 3e-2] (wider than the grids); "
          "the zero-setting mode gets nothing (an LR range test of "
       << o.range_test_steps << " steps proposes the interval, its steps counted as search).\n\n";

    for (const auto& opt : o.optimizers) {
        std::vector<summary> all;
        for (const auto& r : runs) {
            if (r.optimizer != opt) continue;
            auto it = std::find_if(all.begin(), all.end(),
                                   [&](const summary& s) { return s.family == r.family && s.peak_lr == r.peak_lr; });
            if (it == all.end()) all.push_back({r.family, r.peak_lr, {&r}});
            else it->runs.push_back(&r);
        }
        const auto best = best_per_family(all);
        const auto& grid = opt == "sgd" ? o.grid_sgd : o.grid_adam;
        md << "## " << (opt == "sgd" ? "SGD with momentum 0.9" : opt == "adam" ? "Adam" : opt) << " (target "
           << fmt("%.1f", 100.0 * target_of(o, opt)) << "% held-out accuracy)\n\n";
        md << "| method | peak LR (tuned) | test accuracy % | test loss | steps to target (search incl.) | reached | "
              "search overhead | tuning runs |\n";
        md << "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
        for (const auto& s : best) {
            std::vector<double> overhead;
            for (const auto* r : s.runs) overhead.push_back(r->overhead());
            std::size_t reached = 0;
            for (const auto* r : s.runs) reached += r->steps_to_target.has_value();
            const bool fixed = is_fixed(s.family);
            md << "| " << family_label(s.family) << " | " << (fixed ? fmt("%.3g", s.peak_lr) : std::string("-")) << " | "
               << spread(s.values(&run_record::test_accuracy), "%.2f", 100.0) << " | "
               << spread(s.values(&run_record::test_loss), "%.4f") << " | " << spread(s.steps_to_target(), "%.0f")
               << " | " << reached << "/" << s.runs.size() << " | "
               << (fixed ? std::string("0") : spread(overhead, "%.0f%%", 100.0)) << " | "
               << (fixed ? std::to_string(grid.size() * o.seeds) : std::string("0")) << " |\n";
        }
        md << "\nGrid (" << grid.size() << " peak LRs x " << o.seeds
           << " seeds per fixed schedule); median final test accuracy % per grid point:\n\n";
        md << "| schedule |";
        for (double lr : grid) md << ' ' << fmt("%.3g", lr) << " |";
        md << "\n| --- |";
        for (std::size_t i = 0; i < grid.size(); ++i) md << " --- |";
        md << '\n';
        for (const auto& family : o.families) {
            md << "| " << family << " |";
            for (double lr : grid) {
                auto it = std::find_if(all.begin(), all.end(),
                                       [&](const summary& s) { return s.family == family && s.peak_lr == lr; });
                md << ' ' << (it == all.end() ? std::string("-") : fmt("%.2f", 100.0 * it->median_accuracy())) << " |";
            }
            md << '\n';
        }
        md << "\nAutoLRS details (median over seeds): stages, searches stopped early, LR interval used (zero-setting: "
              "median of the range tests' proposals).\n\n";
        md << "| variant | stages | early stops | steps trained | steps searched | lr_min | lr_max |\n";
        md << "| --- | --- | --- | --- | --- | --- | --- |\n";
        for (const auto& s : best) {
            if (is_fixed(s.family)) continue;
            std::vector<double> stages, stops, trained, searched, lo, hi;
            for (const auto* r : s.runs) {
                stages.push_back(r->stages);
                stops.push_back(r->early_stops);
                trained.push_back(static_cast<double>(r->steps_trained));
                searched.push_back(static_cast<double>(r->steps_searched));
                lo.push_back(r->lr_min);
                hi.push_back(r->lr_max);
            }
            md << "| " << family_label(s.family) << " | " << median(stages) << " | " << median(stops) << " | "
               << median(trained) << " | " << median(searched) << " | " << fmt("%.3g", median(lo)) << " | "
               << fmt("%.3g", median(hi)) << " |\n";
        }
        md << '\n';

        // Median curves of each family's best, for the plot.
        std::ofstream curves(o.out / ("curves_" + opt + ".csv"));
        std::vector<std::vector<double>> columns;
        curves << "step";
        for (const auto& s : best) {
            if (s.family.rfind("ablation", 0) == 0) continue;
            std::string name = family_label(s.family);
            name.erase(std::remove(name.begin(), name.end(), '*'), name.end());
            name.erase(std::remove(name.begin(), name.end(), ','), name.end());
            curves << ',' << name;
            columns.push_back(s.median_curve());
        }
        curves << '\n';
        const std::size_t rows = columns.empty() ? 0 : columns.front().size();
        for (std::size_t i = 0; i < rows; ++i) {
            curves << (i + 1) * o.eval_every;
            for (const auto& c : columns) curves << ',' << (i < c.size() ? c[i] : std::nan(""));
            curves << '\n';
        }
    }
    const bool plotted = plot(o.out, o.optimizers, o);
    md << (plotted ? "![held-out accuracy against total steps](schedule_table.png)\n"
                   : "(gnuplot did not run: no plot; the curves are in curves_*.csv)\n");
    std::ofstream(o.out / "schedule_table.md") << md.str();
    std::cout << md.str();
}

// "name:key=value,key=value" -> our defaults with those settings changed (for measuring options).
method parse_variant(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("--variant needs name:key=value,...: " + text);
    std::vector<std::pair<std::string, double>> changes;
    std::istringstream list(text.substr(colon + 1));
    for (std::string item; std::getline(list, item, ',');) {
        const auto eq = item.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("--variant item needs key=value: " + item);
        changes.emplace_back(item.substr(0, eq), std::stod(item.substr(eq + 1)));
    }
    static const std::vector<std::string> keys{"tau0_fraction", "tau_max_fraction", "candidate_fraction", "candidates",
                                               "min_candidates", "initial_design", "early_stop_gain",
                                               "keep_winner_state", "warm_start", "cooldown_fraction",
                                               "validation_signal", "prefer_larger_lr", "smooth_choice", "race_fraction", "race_stddevs", "growth",
                                               "anneal_probe", "anneal_probe_ratio", "warmup_fraction", "lr_min", "lr_max"};
    for (const auto& [key, value] : changes)
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
            throw std::invalid_argument("--variant: unknown key " + key);
    const auto adjust = [changes](autolrs::controller_settings& s) {
        const auto steps = [&](double fraction) {
            return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(fraction * static_cast<double>(s.total_steps)));
        };
        for (const auto& [key, v] : changes) {
            if (key == "tau0_fraction") s.tau0 = steps(v);
            if (key == "tau_max_fraction") s.tau_max = steps(v);
            if (key == "candidate_fraction") s.candidate_fraction = v;
            if (key == "candidates") s.candidates = static_cast<std::uint32_t>(v);
            if (key == "min_candidates") s.min_candidates = static_cast<std::uint32_t>(v);
            if (key == "initial_design") s.initial_design = static_cast<std::uint32_t>(v);
            if (key == "early_stop_gain") s.early_stop_gain = v;
            if (key == "keep_winner_state") s.keep_winner_state = v != 0.0;
            if (key == "warm_start") s.warm_start = v != 0.0;
            if (key == "cooldown_fraction") s.cooldown_fraction = v;
            if (key == "validation_signal")
                s.signal = v != 0.0 ? autolrs::loss_signal::validation : autolrs::loss_signal::training;
            if (key == "prefer_larger_lr") s.prefer_larger_lr = v;
            if (key == "race_fraction") s.race_fraction = v;
            if (key == "smooth_choice") s.smooth_choice = v != 0.0;
            if (key == "race_stddevs") s.race_stddevs = v;
            if (key == "growth") s.growth = v;
            if (key == "anneal_probe") s.anneal_probe = v;
            if (key == "anneal_probe_ratio") s.anneal_probe_ratio = v;
            if (key == "warmup_fraction") s.warmup_steps = v > 0.0 ? steps(v) : 0;
            if (key == "lr_min") s.lr_min = v;
            if (key == "lr_max") s.lr_max = v;
        }
        if (s.tau0 != 0 && s.tau_max != 0 && s.tau_max < s.tau0) s.tau_max = s.tau0;
    };
    return {"ablation: " + text, method_kind::ours, 0.0, adjust};
}

int run_table(options o) {
    torch::set_num_threads(o.threads);
    if (o.quick) {
        o.seeds = 1;
        o.budget = 300;
        o.eval_every = 50;
        o.eval_examples = 500;
        o.grid_sgd = {0.03, 0.1};
        o.grid_adam = {3e-4, 1e-3};
        o.ablations = false;
        o.range_test_steps = 50;
        o.target_sgd = o.target_adam = 0.7;
    }
    if (o.budget % o.eval_every != 0) throw std::invalid_argument("--budget must be a multiple of --eval-every");
    const auto wall_start = clock_type::now();
    const fashion_mnist::splits data = fashion_mnist::load_splits();
    const fashion_mnist::tensor_dataset probe{data.test.images.narrow(0, 0, std::min(o.eval_examples, data.test.size())),
                                       data.test.labels.narrow(0, 0, std::min(o.eval_examples, data.test.size()))};
    if (o.common_batches) check_common_batches(o, data, probe);

    std::vector<std::pair<std::string, method>> jobs;
    for (const auto& opt : o.optimizers) {
        const auto& grid = opt == "sgd" ? o.grid_sgd : o.grid_adam;
        std::vector<method> methods;
        methods.push_back({"autolrs_ours", method_kind::ours, 0.0, {}});
        if (!o.autolrs_only) methods.push_back({"autolrs_reference", method_kind::reference, 0.0, {}});
        if (!o.autolrs_only || o.zero_setting_too) methods.push_back({"autolrs_zero", method_kind::zero_setting, 0.0, {}});
        for (const auto& v : o.variants) methods.push_back(parse_variant(v));
        if (o.ablations) {
            methods.push_back({"ablation: winner retrained (keep_winner_state=false)", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.keep_winner_state = false; }});
            methods.push_back({"ablation: no early stop (early_stop_gain=0)", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.early_stop_gain = 0.0; }});
            methods.push_back({"ablation: warm start on", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.warm_start = true; }});
            methods.push_back({"ablation: no cooldown (cooldown_fraction=0)", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.cooldown_fraction = 0.0; }});
            methods.push_back({"ablation: racing on (race_fraction=0.5)", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.race_fraction = 0.5; }});
            methods.push_back({"ablation: smooth choice on (smooth_choice=true)", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.smooth_choice = true; }});
            methods.push_back({"ablation: anneal probe off (anneal_probe=0)", method_kind::ours, 0.0,
                               [](autolrs::controller_settings& s) { s.anneal_probe = 0.0; }});
        }
        for (const auto& family : o.families)
            for (double lr : (o.autolrs_only ? std::vector<double>{} : grid)) methods.push_back({family, method_kind::fixed, lr, {}});
        for (const auto& m : methods) jobs.emplace_back(opt, m);
    }
    std::vector<std::pair<std::size_t, std::uint64_t>> work;  // (job, seed)
    for (std::uint64_t s = 0; s < o.seeds; ++s)
        for (std::size_t j = 0; j < jobs.size(); ++j) work.emplace_back(j, o.first_seed + s);

    std::vector<run_record> runs(work.size());
    std::atomic<std::size_t> next{0};
    std::mutex print_mutex;
    std::exception_ptr failure;
    const auto worker = [&] {
        for (std::size_t i = next++; i < work.size(); i = next++) {
            const auto& [job, seed] = work[i];
            try {
                runs[i] = run_one(o, data, probe, jobs[job].first, jobs[job].second, seed);
            } catch (...) {
                std::lock_guard lock(print_mutex);
                if (!failure) failure = std::current_exception();
                next = work.size();
                return;
            }
            std::lock_guard lock(print_mutex);
            const auto& r = runs[i];
            std::printf("[%zu/%zu] %s %s lr %.3g seed %llu: test %.2f%%, target at %s, overhead %.0f%% (%.0fs)\n",
                        i + 1, work.size(), r.optimizer.c_str(), r.family.c_str(), r.peak_lr,
                        static_cast<unsigned long long>(r.seed), 100.0 * r.test_accuracy,
                        r.steps_to_target ? std::to_string(*r.steps_to_target).c_str() : "-", 100.0 * r.overhead(),
                        r.seconds);
            std::fflush(stdout);
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(o.jobs, 1); ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    write_outputs(o, runs, std::chrono::duration<double>(clock_type::now() - wall_start).count());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    CLI::App app{"AutoLRS against hand-tuned LR schedules on Fashion-MNIST, at equal total optimizer steps"};
    app.add_option("--optimizers", o.optimizers, "optimizers")->capture_default_str()->check(CLI::IsMember({"sgd", "adam"}));
    app.add_option("--seeds", o.seeds, "seeds per configuration")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--first-seed", o.first_seed, "first seed")->capture_default_str();
    app.add_option("--budget", o.budget, "optimizer steps per run, search included")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--batch-size", o.batch_size, "images per step")->capture_default_str()->check(CLI::Range(1, 55000));
    app.add_option("--model", o.model, "network")->capture_default_str()->check(CLI::IsMember({"mlp", "cnn"}));
    app.add_option("--eval-every", o.eval_every, "total steps between held-out accuracy measurements")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--eval-examples", o.eval_examples, "size of the held-out subset (the first test images)")
        ->capture_default_str()
        ->check(CLI::Range(100, 10000));
    app.add_option("--target-sgd", o.target_sgd, "target held-out accuracy with SGD")->capture_default_str();
    app.add_option("--target-adam", o.target_adam, "target held-out accuracy with Adam")->capture_default_str();
    app.add_option("--grid-sgd", o.grid_sgd, "peak LRs the fixed schedules are tuned over with SGD")->capture_default_str();
    app.add_option("--grid-adam", o.grid_adam, "peak LRs the fixed schedules are tuned over with Adam")
        ->capture_default_str();
    app.add_option("--families", o.families, "fixed schedules")
        ->capture_default_str()
        ->check(CLI::IsMember({"constant", "step_decay", "cosine", "one_cycle", "wsd"}));
    app.add_flag("!--no-ablations", o.ablations, "skip the runs of our defaults with one option changed");
    app.add_option("--range-test-steps", o.range_test_steps, "steps of the zero-setting mode's LR range test")
        ->capture_default_str()
        ->check(CLI::Range(2, 100000));
    app.add_option("--range-test-lr-start", o.range_test_lr_start, "first LR of the LR range test")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--range-test-margin-decades", o.range_test_margin_decades,
                   "the range test's lr_max: this many decades below the LR of its smoothed minimum")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--zero-setting-too", o.zero_setting_too, "with --autolrs-only: also run the zero-setting mode");
    app.add_option("--variant", o.variants,
                   "also run our defaults with settings changed, as name:key=value,... (keys: tau0_fraction, "
                   "tau_max_fraction, candidate_fraction, candidates, min_candidates, initial_design, early_stop_gain, "
                   "keep_winner_state, warm_start, cooldown_fraction, validation_signal, prefer_larger_lr, smooth_choice, race_fraction, race_stddevs, growth, anneal_probe, anneal_probe_ratio, warmup_fraction, lr_min, lr_max)");
    app.add_flag("--common-batches", o.common_batches,
                 "AutoLRS runs: a restore also rewinds the batch stream, so every candidate of a search trains on "
                 "the same batches");
    app.add_flag("--autolrs-only", o.autolrs_only,
                 "run only our AutoLRS (defaults, ablations, variants): no fixed schedules, reference or zero-setting");
    app.add_option("--jobs", o.jobs, "runs in parallel (each single-threaded by default)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option("--threads", o.threads, "LibTorch threads per run")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--out", o.out, "output folder")->capture_default_str();
    app.add_option("--note", o.note, "a line for the top of the results file (e.g. 'reduced run')");
    app.add_flag("--quick", o.quick, "tiny sizes for the smoke test (one seed, two grid points, 300 steps)");
    CLI11_PARSE(app, argc, argv);
    for (int i = 0; i < argc; ++i) o.command += (i ? " " : "") + std::string(i ? argv[i] : "bench_schedule_table");
    try {
        return run_table(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_schedule_table: %s\n", e.what());
        return 1;
    }
}
