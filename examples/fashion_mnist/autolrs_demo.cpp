// The main demo: AutoLRS finds the learning-rate schedule of a small network on
// Fashion-MNIST (LibTorch, CPU), inside a fixed budget of optimizer steps that includes
// every search step.
//
//   autolrs_demo                                  # MLP, SGD with momentum, 6000 steps
//   autolrs_demo --model cnn --optimizer adam --steps 4000 --out my_run
//
// Writes to --out: decisions.jsonl and decisions.csv (every controller decision and its
// reason), loss_curve.csv (every optimizer step), schedule.csv (the found schedule),
// summary.json, and lr_and_loss.png (gnuplot; skipped with a message when it is missing).
#include <autolrs/autolrs.hpp>

#include "autolrs_support/fashion_mnist.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

struct demo_options {
    double lr_min = 0.0;  // 0: the optimizer's default interval
    double lr_max = 0.0;
    bool range_test = false;  // the zero-setting mode: an LR range test finds the interval
    std::uint64_t steps = 6000;
    std::uint64_t seed = 0;
    std::string model = "mlp";
    std::string optimizer = "sgd";
    std::int64_t batch_size = 128;
    fs::path out = "autolrs_demo_out";
    int threads = 1;
};

// Searched over two and a half decades around each optimizer's usual LRs.
std::pair<double, double> default_interval(const std::string& optimizer) {
    if (optimizer == "sgd") return {1e-3, 1.0};
    return {1e-5, 3e-2};  // adam, adamw
}

struct step_row {
    std::uint64_t step;
    const char* phase;
    std::uint32_t stage;
    double learning_rate;
    double loss;
};

// Where the controller is, from its events: a step between candidate_start and
// stage_lr_chosen belongs to a candidate (search), a step of the LR range test to
// range_test (both thrown away); the others train the model.
struct phase_tracker {
    const char* phase = "train";
    std::uint32_t stage = 0;

    void observe(const autolrs::event& e) {
        using autolrs::event_kind;
        stage = e.stage;
        switch (e.kind) {
            case event_kind::range_test_start: phase = "range_test"; break;
            case event_kind::warmup_start: phase = "warmup"; break;
            case event_kind::candidate_start: phase = "search"; break;
            case event_kind::stage_lr_chosen:
            case event_kind::fallback:
            case event_kind::search_skipped: phase = "train"; break;
            case event_kind::cooldown_start: phase = "cooldown"; break;
            default: break;
        }
    }
};

std::string format_duration(double seconds) {
    const auto s = static_cast<long>(std::lround(seconds));
    char text[32];
    if (s >= 60)
        std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%lds", s);
    return text;
}

// The LibTorch trainer plus a record of every optimizer step (for the loss curve) and a
// heartbeat line during long stages, when no decision is printed for a while.
class recording_trainer {
public:
    using checkpoint_type = fashion_mnist::trainer::checkpoint_type;

    recording_trainer(fashion_mnist::trainer& inner, const phase_tracker& phase, std::uint64_t budget)
        : inner_(&inner), phase_(&phase), budget_(budget) {}

    void set_learning_rate(double lr) {
        inner_->set_learning_rate(lr);
        learning_rate_ = lr;
    }
    double train_step() {
        const double loss = inner_->train_step();
        rows_.push_back({rows_.size() + 1, phase_->phase, phase_->stage, learning_rate_, loss});
        if (clock_type::now() - last_print_ > std::chrono::seconds(10)) print_heartbeat();
        return loss;
    }
    double validation_loss() { return inner_->validation_loss(); }
    checkpoint_type checkpoint() { return inner_->checkpoint(); }
    void checkpoint(checkpoint_type& into) { inner_->checkpoint(into); }
    void restore(const checkpoint_type& saved) { inner_->restore(saved); }

    // One line per decision: the time, the step, then what was decided.
    void print_event(const autolrs::event& e, const std::string& detail) {
        print_prefix(e.step);
        std::printf("stage %u  %-20.*s%s\n", e.stage, static_cast<int>(autolrs::to_string(e.kind).size()),
                    autolrs::to_string(e.kind).data(), detail.c_str());
        std::fflush(stdout);
    }

    // During long stages: where training is.
    void print_heartbeat() {
        print_prefix(rows_.size());
        std::printf("stage %u  %-20s lr %.3e  loss %.4f\n", phase_->stage, phase_->phase, learning_rate_,
                    rows_.back().loss);
        std::fflush(stdout);
    }

    [[nodiscard]] const std::vector<step_row>& rows() const noexcept { return rows_; }
    [[nodiscard]] double elapsed_seconds() const {
        return std::chrono::duration<double>(clock_type::now() - start_).count();
    }

private:
    void print_prefix(std::uint64_t step) {
        last_print_ = clock_type::now();
        const double elapsed = elapsed_seconds();
        const auto done = static_cast<double>(rows_.size());
        const double remaining = done > 0 ? elapsed / done * (static_cast<double>(budget_) - done) : 0.0;
        std::printf("[%6s, %6s left] step %5llu/%llu  ", format_duration(elapsed).c_str(),
                    format_duration(remaining).c_str(), static_cast<unsigned long long>(step),
                    static_cast<unsigned long long>(budget_));
    }

    fashion_mnist::trainer* inner_;
    const phase_tracker* phase_;
    std::uint64_t budget_;
    double learning_rate_ = std::nan("");
    std::vector<step_row> rows_;
    clock_type::time_point start_ = clock_type::now();
    clock_type::time_point last_print_ = start_;
};
static_assert(autolrs::explain_trainer<recording_trainer>());

std::string event_detail(const autolrs::event& e) {
    using autolrs::event_kind;
    char text[240];
    switch (e.kind) {
        case event_kind::stage_start:
            std::snprintf(text, sizeof text, " %llu steps, up to %u candidates",
                          static_cast<unsigned long long>(e.length), e.candidates);
            break;
        case event_kind::candidate_end:
            std::snprintf(text, sizeof text, " #%u  lr %.3e  loss %.4f  forecast %.4f +- %.4f (%.*s)", e.candidate + 1,
                          e.learning_rate, e.loss, e.forecast, e.stddev,
                          static_cast<int>(autolrs::to_string(e.status).size()), autolrs::to_string(e.status).data());
            break;
        case event_kind::stage_lr_chosen:
            std::snprintf(text, sizeof text, " #%u  lr %.3e  forecast %.4f +- %.4f", e.candidate + 1, e.learning_rate,
                          e.forecast, e.stddev);
            break;
        default: {
            int n = 0;
            if (std::isfinite(e.learning_rate)) n = std::snprintf(text, sizeof text, " lr %.3e", e.learning_rate);
            if (std::isfinite(e.loss)) n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), "  loss %.4f", e.loss);
            std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), "%s%.*s", e.message.empty() ? "" : "  ",
                          static_cast<int>(e.message.size()), e.message.data());
        }
    }
    return text;
}

// A step whose model was thrown away (a candidate's, the range test's): not on the trajectory.
bool thrown_away(std::string_view phase) { return phase == "search" || phase == "range_test"; }

// loss_mean50: the mean of the last 50 losses on the training trajectory (search steps left
// out, so that a diverging candidate does not smear it); every row carries the current value.
void write_loss_curve(const fs::path& file, const std::vector<step_row>& rows) {
    std::ofstream out(file);
    out << "step,phase,stage,learning_rate,loss,loss_mean50\n";
    std::vector<double> window;
    std::size_t next = 0;  // ring position once the window is full
    double mean = std::nan("");
    for (const step_row& row : rows) {
        if (!thrown_away(row.phase) && std::isfinite(row.loss)) {
            if (window.size() < 50) {
                window.push_back(row.loss);
            } else {
                window[next] = row.loss;
                next = (next + 1) % window.size();
            }
            double sum = 0.0;
            for (const double v : window) sum += v;
            mean = sum / static_cast<double>(window.size());
        }
        char line[160];
        std::snprintf(line, sizeof line, "%llu,%s,%u,%.9g,%.9g,%.9g\n", static_cast<unsigned long long>(row.step),
                      row.phase, row.stage, row.learning_rate, row.loss, mean);
        out << line;
    }
}

// A path as a gnuplot single-quoted string (where '' stands for one quote).
std::string gnuplot_quoted(const fs::path& path) {
    std::string quoted = "'";
    for (const char c : fs::absolute(path).string()) {
        if (c == '\'') quoted += '\'';
        quoted += c;
    }
    return quoted + "'";
}

// Runs gnuplot (a subprocess, no shell) on a generated script; false when it cannot run.
bool plot(const fs::path& out_dir, const std::string& title) {
    const fs::path script = out_dir / "lr_and_loss.gnuplot";
    const fs::path picture = out_dir / "lr_and_loss.png";
    const std::string curve = gnuplot_quoted(out_dir / "loss_curve.csv");
    {
        std::ofstream gp(script);
        gp << "set datafile separator ','\n"
              "set terminal pngcairo size 1200,900 font ',10'\n"
              "set output "
           << gnuplot_quoted(picture) << "\nset multiplot layout 2,1 title '" << title
           << "'\n"
              "set key outside right\n"
              "set lmargin 12\n"
              "set rmargin 26\n"
              "set grid\n"
              "set logscale y\n"
              "set format y '%.0e'\n"
              "thrown(c) = strcol(c) eq 'search' || strcol(c) eq 'range_test'\n"
              "set ylabel 'learning rate'\n"
              "plot "
           << curve
           << " skip 1 using 1:(thrown(2) ? $4 : 1/0) with points pt 7 ps 0.3 lc rgb '#bbbbbb' "
              "title 'search, range test', \\\n"
              "     '' skip 1 using 1:(!thrown(2) ? $4 : 1/0) with points pt 7 ps 0.4 lc rgb '#1f77b4' "
              "title 'training'\n"
              "unset logscale y\n"
              "set format y '%g'\n"
              "set yrange [0:2.5]\n"
              "set ylabel 'training loss'\n"
              "set xlabel 'optimizer step (search included)'\n"
              "plot "
           << curve
           << " skip 1 using 1:(thrown(2) ? $5 : 1/0) with points pt 7 ps 0.15 lc rgb '#bbbbbb' "
              "title 'search, range test', \\\n"
              "     '' skip 1 using 1:(!thrown(2) ? $5 : 1/0) with points pt 7 ps 0.15 lc rgb '#9ecae1' "
              "title 'training', \\\n"
              "     '' skip 1 using 1:6 with lines lw 2 lc rgb '#d62728' title 'training, mean of 50'\n"
              "unset multiplot\n";
    }
    fs::remove(picture);
    std::string program = "gnuplot";
    std::string argument = script.string();
    char* argv[] = {program.data(), argument.data(), nullptr};
    pid_t child = 0;
    if (posix_spawnp(&child, "gnuplot", nullptr, nullptr, argv, environ) != 0) return false;
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && fs::exists(picture);
}

// Constant pieces one per line; runs of one-step pieces (a ramp: warmup, cooldown) as one line.
void print_schedule(const std::vector<autolrs::schedule::piecewise_constant_row>& rows, std::uint64_t steps) {
    std::printf("\nfound schedule (training steps: LR; replay it with autolrs::run_schedule and schedule.csv):\n");
    const auto end_of = [&](std::size_t i) { return i + 1 < rows.size() ? rows[i + 1].start_step : steps; };
    for (std::size_t i = 0; i < rows.size();) {
        std::size_t last = i;
        while (last + 1 < rows.size() && end_of(last) - rows[last].start_step == 1 &&
               end_of(last + 1) - rows[last + 1].start_step == 1)
            ++last;
        if (last > i)
            std::printf("  %6llu .. %6llu  lr %.3e -> %.3e (ramp)\n", static_cast<unsigned long long>(rows[i].start_step),
                        static_cast<unsigned long long>(end_of(last)), rows[i].lr, rows[last].lr);
        else
            std::printf("  %6llu .. %6llu  lr %.3e\n", static_cast<unsigned long long>(rows[i].start_step),
                        static_cast<unsigned long long>(end_of(i)), rows[i].lr);
        i = last + 1;
    }
}

int run_demo(const demo_options& options) {
    torch::set_num_threads(options.threads);
    fs::create_directories(options.out);
    // --range-test: the zero-setting mode, lr_min = lr_max = 0 (an LR range test inside the budget finds them).
    if (options.range_test && (options.lr_min > 0 || options.lr_max > 0)) {
        throw std::invalid_argument("--range-test finds the interval: give it without --lr-min and --lr-max");
    }
    const auto [default_min, default_max] = default_interval(options.optimizer);
    const double lr_min = options.range_test ? 0.0 : options.lr_min > 0 ? options.lr_min : default_min;
    const double lr_max = options.range_test ? 0.0 : options.lr_max > 0 ? options.lr_max : default_max;
    char interval[96] = "found by an LR range test";
    if (lr_min > 0) std::snprintf(interval, sizeof interval, "in [%.3g, %.3g]", lr_min, lr_max);

    std::printf("autolrs %d.%d.%d demo: Fashion-MNIST, %s, %s, batch %lld, %llu steps (search included), "
                "LR %s, seed %llu, %d thread(s)\n",
                autolrs::version.major, autolrs::version.minor, autolrs::version.patch, options.model.c_str(),
                options.optimizer.c_str(), static_cast<long long>(options.batch_size),
                static_cast<unsigned long long>(options.steps), interval,
                static_cast<unsigned long long>(options.seed), options.threads);
    const auto load_start = clock_type::now();
    const fashion_mnist::splits data = fashion_mnist::load_splits();
    std::printf("data: %lld training, %lld validation, %lld test images (%.1fs)\n",
                static_cast<long long>(data.train.size()), static_cast<long long>(data.validation.size()),
                static_cast<long long>(data.test.size()),
                std::chrono::duration<double>(clock_type::now() - load_start).count());

    fashion_mnist::trainer trainer = fashion_mnist::make_trainer(
        data, {.model = options.model, .optimizer = options.optimizer, .batch_size = options.batch_size,
               .seed = options.seed,
               .initial_learning_rate = lr_min > 0 ? lr_min : default_min});
    phase_tracker phase;
    recording_trainer recorder(trainer, phase, options.steps);

    std::ofstream jsonl(options.out / "decisions.jsonl");
    std::ofstream csv(options.out / "decisions.csv");
    const autolrs::json_lines_event_writer write_jsonl(jsonl);
    const autolrs::csv_event_writer write_csv(csv);
    const auto observer = [&](const autolrs::event& e) {
        phase.observe(e);
        write_jsonl(e);
        write_csv(e);
        if (e.kind != autolrs::event_kind::candidate_start)  // its LR shows in candidate_end
            recorder.print_event(e, event_detail(e));
    };

    // The library's defaults, only the seed (and the interval, when given) set: what a user gets first.
    const autolrs::controller_settings settings{.lr_min = lr_min, .lr_max = lr_max, .seed = options.seed};
    const autolrs::run_result result = autolrs::run(recorder, settings, options.steps, observer);
    const double train_seconds = recorder.elapsed_seconds();

    const auto test = fashion_mnist::evaluate(trainer.model(), data.test);
    write_loss_curve(options.out / "loss_curve.csv", recorder.rows());
    {
        std::ofstream schedule(options.out / "schedule.csv");
        schedule << "start_step,learning_rate\n";
        for (const auto& row : result.schedule_rows) schedule << row.start_step << ',' << row.lr << '\n';
    }

    print_schedule(result.schedule_rows, result.steps_trained);
    std::printf("\ntest accuracy %.2f%%, test loss %.4f\n", 100.0 * test.accuracy, test.loss);
    std::printf("LR interval searched: [%.3g, %.3g]%s\n", result.lr_min, result.lr_max,
                result.steps_range_test > 0 ? " (from the LR range test)" : "");
    std::printf("steps: %llu in all = %llu training + %llu searching (%.0f%% of the budget) + %llu range test "
                "(%.0f%%), %u stages, %u divergences, %llu validation losses\n",
                static_cast<unsigned long long>(result.steps_total), static_cast<unsigned long long>(result.steps_trained),
                static_cast<unsigned long long>(result.steps_searched), 100.0 * result.budget_share_searched(),
                static_cast<unsigned long long>(result.steps_range_test), 100.0 * result.budget_share_range_test(),
                result.stages, result.divergences, static_cast<unsigned long long>(result.evaluations));
    std::printf("training took %s\n", format_duration(train_seconds).c_str());

    nlohmann::json summary = {
        {"model", options.model},
        {"optimizer", options.optimizer},
        {"batch_size", options.batch_size},
        {"seed", options.seed},
        {"lr_min", result.lr_min},
        {"lr_max", result.lr_max},
        {"lr_interval_from_range_test", result.steps_range_test > 0},
        {"budget_steps", options.steps},
        {"steps_total", result.steps_total},
        {"steps_trained", result.steps_trained},
        {"steps_searched", result.steps_searched},
        {"steps_range_test", result.steps_range_test},
        {"budget_share_searched", result.budget_share_searched()},
        {"budget_share_range_test", result.budget_share_range_test()},
        {"stages", result.stages},
        {"divergences", result.divergences},
        {"completed", result.completed},
        {"test_accuracy", test.accuracy},
        {"test_loss", test.loss},
        {"training_seconds", train_seconds},
        {"threads", options.threads},
    };
    summary["schedule"] = nlohmann::json::array();
    for (const auto& row : result.schedule_rows)
        summary["schedule"].push_back({{"start_step", row.start_step}, {"learning_rate", row.lr}});
    std::ofstream(options.out / "summary.json") << summary.dump(2) << '\n';

    char title[200];
    std::snprintf(title, sizeof title, "AutoLRS on Fashion-MNIST (%s, %s): test accuracy %.2f%%", options.model.c_str(),
                  options.optimizer.c_str(), 100.0 * test.accuracy);
    const bool plotted = plot(options.out, title);
    std::printf("wrote %s: decisions.jsonl, decisions.csv, loss_curve.csv, schedule.csv, summary.json%s\n",
                options.out.string().c_str(), plotted ? ", lr_and_loss.png" : "");
    if (!plotted)
        std::printf("gnuplot could not run (Debian: gnuplot-nox), so no lr_and_loss.png; the data is in "
                    "loss_curve.csv and the script in lr_and_loss.gnuplot\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    demo_options options;
    CLI::App app{"AutoLRS on Fashion-MNIST: the learning-rate schedule found on the fly"};
    app.add_option("--lr-min", options.lr_min, "smallest LR searched (default: 1e-3 for sgd, 1e-5 for adam/adamw)")
        ->check(CLI::PositiveNumber);
    app.add_option("--lr-max", options.lr_max, "largest LR searched (default: 1 for sgd, 3e-2 for adam/adamw)")
        ->check(CLI::PositiveNumber);
    app.add_flag("--range-test", options.range_test,
                 "set nothing: an LR range test inside the budget finds the interval (the zero-setting mode)");
    app.add_option("--steps", options.steps, "optimizer steps in all, search included")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", options.seed, "seed of the model, the batch order and the search")->capture_default_str();
    app.add_option("--model", options.model, "network")->capture_default_str()->check(CLI::IsMember({"mlp", "cnn"}));
    app.add_option("--optimizer", options.optimizer, "optimizer (sgd: momentum 0.9; adamw: weight decay 0.01)")
        ->capture_default_str()
        ->check(CLI::IsMember({"sgd", "adam", "adamw"}));
    app.add_option("--batch-size", options.batch_size, "images per step")
        ->capture_default_str()
        ->check(CLI::Range(1, 55000));
    app.add_option("--out", options.out, "output folder")->capture_default_str();
    app.add_option("--threads", options.threads, "CPU threads for LibTorch (more than the free cores slows it down)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    CLI11_PARSE(app, argc, argv);
    try {
        return run_demo(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "autolrs_demo: %s\n", e.what());
        return 1;
    }
}
