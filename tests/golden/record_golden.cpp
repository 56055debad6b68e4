// Records the golden traces of tests/golden/data: each scenario's controller driven by a
// deterministic simulated trainer, every directive, event and answer written down exactly.
// Run it only to change the recorded behaviour on purpose (say why in the commit):
//   record_golden <out dir>
// When only the events change (their fields or wording, never a decision):
//   record_golden --events-only <trace dir>
// replays every trace there through today's controller and rewrites it only if every line but
// the events (E) is identical: header, settings, directives and answers. Otherwise it writes
// nothing and prints the first line that differs.
// When only the end of a run changes (what the controller does once the budget is spent):
//   record_golden --end-only <trace dir>
// replays every trace's recorded answers, answers the directives that carry no data
// (checkpoint, restore) after them until `done`, and rewrites the traces only if each new trace
// starts with the recorded one up to and including its last answer, word for word.
// When a numeric kernel changes in the last bits only (a different but equally exact formula):
//   record_golden --rounding-only <trace dir>
// replays every trace's recorded answers and rewrites the traces only if every line has the
// same words, each number (hex floats) within 1e-6 relative of the recorded one (a search's
// maximiser's optimum moves by up to ~4e-8 when its kernels round differently) and every other
// word identical: no decision, count or
// message changed, only rounding.
#include "autolrs_support/golden_scenarios.hpp"

#include <autolrs/autolrs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

/// The quick start's trainer (examples/quickstart.cpp): SGD on 0.5*h*x^2 with noisy gradients.
class quickstart_quadratic {
public:
    struct checkpoint_type {
        double x;
        std::mt19937_64 rng;
    };
    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        const double loss = 0.5 * curvature_ * x_ * x_;
        std::normal_distribution<double> noise(0.0, 0.1);
        x_ -= lr_ * (curvature_ * x_ + noise(rng_));
        return loss;
    }
    double validation_loss() { return 0.5 * curvature_ * x_ * x_; }
    checkpoint_type checkpoint() { return {x_, rng_}; }
    void restore(const checkpoint_type& saved) {
        x_ = saved.x;
        rng_ = saved.rng;
    }

private:
    double curvature_ = 2.0;
    double x_ = 3.0;
    double lr_ = 0.0;
    std::mt19937_64 rng_{42};
};

/// SGD on a noisy quadratic in `dims` directions (curvature 1/i), optionally sharpening
/// with age (curvature times exp(age / sharpen_steps)), optionally skipping every
/// `skip_every`-th step (reported as not applied).
struct nqm_options {
    std::size_t dims = 8;
    double noise = 0.3;
    double sharpen_steps = 0.0;  // 0: no sharpening
    std::uint64_t sharpen_after = 0;  // sharpening starts at this age
    double nan_above = 0.0;      // a step at an LR above this returns NaN (0: never)
    std::uint64_t skip_every = 0;
    std::uint64_t seed = 1;
};

class nqm_trainer {
public:
    struct checkpoint_type {
        std::vector<double> x;
        std::uint64_t age;
        std::mt19937_64 rng;
    };

    explicit nqm_trainer(nqm_options o) : o_(o), x_(o.dims, 1.0), rng_(o.seed) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    autolrs::step_result train_step() {
        ++calls_;
        if (o_.skip_every != 0 && calls_ % o_.skip_every == 0) return {loss(), false};
        const double l = loss();
        std::normal_distribution<double> n(0.0, o_.noise);
        const double scale = sharpness();
        for (std::size_t i = 0; i < x_.size(); ++i) {
            const double h = scale / static_cast<double>(i + 1);
            x_[i] -= lr_ * (h * x_[i] + n(rng_) / std::sqrt(static_cast<double>(i + 1)));
        }
        ++age_;
        if (o_.nan_above > 0.0 && lr_ > o_.nan_above) return {std::numeric_limits<double>::quiet_NaN(), true};
        return {l, true};
    }
    double validation_loss() { return loss() * 1.02; }
    checkpoint_type checkpoint() { return {x_, age_, rng_}; }
    void restore(const checkpoint_type& c) {
        x_ = c.x;
        age_ = c.age;
        rng_ = c.rng;
    }

private:
    [[nodiscard]] double sharpness() const {
        if (o_.sharpen_steps <= 0.0 || age_ <= o_.sharpen_after) return 1.0;
        return std::exp(static_cast<double>(age_ - o_.sharpen_after) / o_.sharpen_steps);
    }
    [[nodiscard]] double loss() const {
        double sum = 0.0;
        const double scale = sharpness();
        for (std::size_t i = 0; i < x_.size(); ++i) sum += 0.5 * scale / static_cast<double>(i + 1) * x_[i] * x_[i];
        return sum;
    }

    nqm_options o_;
    std::vector<double> x_;
    std::uint64_t age_ = 0;
    std::uint64_t calls_ = 0;
    double lr_ = 0.0;
    std::mt19937_64 rng_;
};

/// Drives `trainer` with the controller of `kind` under `s`, writing the trace to
/// <dir>/<name>.trace; at most `max_calls` calls when the budget is unknown.
template <class Trainer>
void record(const std::string& dir, const std::string& name, const std::string& kind, autolrs::controller_settings s,
            Trainer trainer, std::size_t max_calls = 0) {
    std::ofstream out(dir + "/" + name + ".trace");
    autolrs_support::with_controller(kind, s, [&](auto& ctl) {
        autolrs_support::traced_controller traced(ctl, out, autolrs_support::scenario_header(name, kind, ctl.settings()));
        if (max_calls == 0) {
            autolrs::run(trainer, traced);
            return;
        }
        // An unknown budget: the host stops after max_calls calls.
        using checkpoint = typename Trainer::checkpoint_type;
        std::optional<checkpoint> slots[2];
        for (std::size_t call = 0; call < max_calls; ++call) {
            const autolrs::directive d = traced.pending();
            switch (d.kind) {
                case autolrs::directive_kind::train: {
                    trainer.set_learning_rate(d.learning_rate);
                    const autolrs::step_result r = autolrs::detail::run_step_result(trainer.train_step());
                    traced.tell_step(r.loss, r.applied);
                    break;
                }
                case autolrs::directive_kind::checkpoint:
                    slots[d.slot] = trainer.checkpoint();
                    traced.tell_checkpointed();
                    break;
                case autolrs::directive_kind::restore:
                    trainer.restore(*slots[d.slot]);
                    traced.tell_restored();
                    break;
                case autolrs::directive_kind::evaluate: traced.tell_validation(trainer.validation_loss()); break;
                case autolrs::directive_kind::done: return;
            }
        }
    });
    std::printf("recorded %s\n", name.c_str());
}

/// A trace without its event lines: what must not change when only the events do.
std::string without_events(const std::string& text) {
    std::istringstream in(text);
    std::string line, kept;
    while (std::getline(in, line)) {
        if (line.rfind("E ", 0) != 0) kept += line + '\n';
    }
    return kept;
}

/// Replays every trace of <dir> through today's controller (the recorded answers) and rewrites
/// them all only if `allowed(recorded, replayed, why)` holds for each; otherwise writes nothing
/// and prints `why` for the first that fails. `what` names the rule in the messages.
template <class Allowed>
int rerecord_if(const std::string& dir, const char* what, Allowed allowed) {
    namespace fs = std::filesystem;
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".trace") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    std::vector<std::string> replayed(paths.size());
    std::size_t changed = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        std::ifstream in(paths[i]);
        const autolrs_support::recorded_trace recorded = autolrs_support::read_trace(in);
        autolrs_support::with_controller(autolrs_support::kind_of(recorded), autolrs_support::settings_of(recorded),
                                         [&](auto& ctl) { replayed[i] = autolrs_support::replay_trace(ctl, recorded); });
        std::string why;
        if (!allowed(recorded.text, replayed[i], why)) {
            std::fprintf(stderr, "%s: more than %s changed, %s\nnothing written\n", paths[i].filename().string().c_str(),
                         what, why.c_str());
            return 1;
        }
        changed += replayed[i] != recorded.text ? 1 : 0;
    }
    for (std::size_t i = 0; i < paths.size(); ++i) std::ofstream(paths[i], std::ios::binary) << replayed[i];
    std::printf("%zu traces replayed, nothing but %s changed; %zu differ, rewritten\n", paths.size(), what, changed);
    return 0;
}

/// record_golden --events-only <dir>: see the top of this file.
int rerecord_events_only(const std::string& dir) {
    return rerecord_if(dir, "the events", [](const std::string& recorded, const std::string& replayed, std::string& why) {
        why = autolrs_support::first_difference(without_events(recorded), without_events(replayed));
        if (!why.empty()) why = "(counting non-event lines) " + why;
        return why.empty();
    });
}

/// Whether two traces' lines differ only in the rounding of their numbers (see the top).
bool same_but_rounding(const std::string& recorded, const std::string& replayed, std::string& why) {
    std::istringstream a(recorded), b(replayed);
    std::string line_a, line_b;
    for (std::size_t number = 1;; ++number) {
        const bool more_a = static_cast<bool>(std::getline(a, line_a));
        const bool more_b = static_cast<bool>(std::getline(b, line_b));
        if (!more_a || !more_b) {
            if (more_a != more_b) why = "line " + std::to_string(number) + ": one trace ends here";
            return more_a == more_b;
        }
        std::istringstream words_a(line_a), words_b(line_b);
        std::string x, y;
        while (true) {
            const bool has_x = static_cast<bool>(words_a >> x);
            const bool has_y = static_cast<bool>(words_b >> y);
            if (!has_x && !has_y) break;
            bool close = has_x && has_y && x == y;
            if (!close && has_x && has_y && x.rfind("0x", 0) == 0 && y.rfind("0x", 0) == 0) {
                const double u = std::strtod(x.c_str(), nullptr), v = std::strtod(y.c_str(), nullptr);
                close = std::abs(u - v) <= 1e-6 * std::max(std::abs(u), std::abs(v));
            }
            if (!close) {
                why = "line " + std::to_string(number) + ":\n  recorded: " + line_a + "\n  replayed: " + line_b;
                return false;
            }
        }
    }
}

/// record_golden --rounding-only <dir>: see the top of this file.
int rerecord_rounding_only(const std::string& dir) {
    return rerecord_if(dir, "rounding (numbers within 1e-6 relative)", same_but_rounding);
}

}  // namespace

/// record_golden --end-only <dir>: see the top of this file.
int rerecord_end_only(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".trace") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    std::vector<std::string> replayed(paths.size());
    std::size_t changed = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        std::ifstream in(paths[i]);
        const autolrs_support::recorded_trace recorded = autolrs_support::read_trace(in);
        autolrs_support::with_controller(
            autolrs_support::kind_of(recorded), autolrs_support::settings_of(recorded), [&](auto& ctl) {
                std::ostringstream out;
                autolrs_support::traced_controller<std::remove_reference_t<decltype(ctl)>> traced(ctl, out,
                                                                                                 recorded.scenario);
                for (const autolrs_support::recorded_answer& a : recorded.answers) {
                    switch (traced.pending().kind) {
                        case autolrs::directive_kind::train: traced.tell_step(a.loss, a.applied); break;
                        case autolrs::directive_kind::checkpoint: traced.tell_checkpointed(); break;
                        case autolrs::directive_kind::restore: traced.tell_restored(); break;
                        case autolrs::directive_kind::evaluate: traced.tell_validation(a.loss); break;
                        case autolrs::directive_kind::done: break;
                    }
                }
                for (int extra = 0; extra < 4; ++extra) {  // the answers that carry no data
                    const autolrs::directive_kind k = traced.pending().kind;
                    if (k == autolrs::directive_kind::checkpoint) traced.tell_checkpointed();
                    if (k == autolrs::directive_kind::restore) traced.tell_restored();
                }
                replayed[i] = out.str();
            });
        // The recorded trace up to and including its last answer must start the new one.
        const std::size_t last_answer = recorded.text.rfind("\nA");
        const std::size_t prefix_end = recorded.text.find('\n', last_answer + 1);
        const std::string prefix = recorded.text.substr(0, prefix_end + 1);
        if (last_answer == std::string::npos || replayed[i].compare(0, prefix.size(), prefix) != 0) {
            std::fprintf(stderr, "%s: the new trace differs before the recorded trace's last answer, %s\nnothing written\n",
                         paths[i].filename().string().c_str(),
                         autolrs_support::first_difference(prefix, replayed[i].substr(0, prefix.size())).c_str());
            return 1;
        }
        if (recorded.text.find("D done") != std::string::npos && replayed[i].find("D done") == std::string::npos) {
            std::fprintf(stderr, "%s: the recorded trace reached done, the new one does not\nnothing written\n",
                         paths[i].filename().string().c_str());
            return 1;
        }
        if (replayed[i] != recorded.text) {
            ++changed;
            std::printf("%s: changed after its last recorded answer (line %zu of %zu)\n", paths[i].filename().string().c_str(),
                        static_cast<std::size_t>(std::count(prefix.begin(), prefix.end(), '\n')),
                        static_cast<std::size_t>(std::count(recorded.text.begin(), recorded.text.end(), '\n')));
        }
    }
    for (std::size_t i = 0; i < paths.size(); ++i) std::ofstream(paths[i], std::ios::binary) << replayed[i];
    std::printf("%zu traces replayed, identical up to each one's last recorded answer; %zu end otherwise, rewritten\n",
                paths.size(), changed);
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--events-only") return rerecord_events_only(argv[2]);
    if (argc == 3 && std::string(argv[1]) == "--end-only") return rerecord_end_only(argv[2]);
    if (argc == 3 && std::string(argv[1]) == "--rounding-only") return rerecord_rounding_only(argv[2]);
    if (argc != 2) {
        std::fprintf(stderr, "usage: record_golden <out dir>\n       record_golden --events-only <trace dir>\n"
                             "       record_golden --end-only <trace dir>\n       record_golden --rounding-only <trace dir>\n");
        return 2;
    }
    const std::string dir = argv[1];
    using autolrs::controller_settings;
    // The scenarios recorded before the sixth session ran on that era's defaults
    // (horizon_stages): a field a scenario leaves at today's default gets that era's value.
    const auto era = [](const controller_settings& s) { return autolrs_support::as_recorded_era(s); };
    const auto options_era = [&](const controller_settings& s) {
        controller_settings e = era(s);
        e.cooldown_shape = s.cooldown_shape;  // set explicitly, to what is today's default
        return e;
    };
    const nqm_options nqm{};

    record(dir, "quickstart", "default", era({.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 3000}), quickstart_quadratic{});
    record(dir, "nqm_defaults", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 4000, .seed = 5}),
           nqm_trainer(nqm));
    record(dir, "nqm_validation", "default",
           era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 3000, .signal = autolrs::loss_signal::validation, .seed = 2}),
           nqm_trainer({.seed = 2}));
    {
        controller_settings s = controller_settings::reference(1e-3, 1.0);
        s.tau0 = 100;
        s.tau_max = 400;
        s.total_steps = 5000;
        s.seed = 3;
        record(dir, "nqm_reference_shape", "reference", s, nqm_trainer({.seed = 3}));
    }
    {
        controller_settings s = controller_settings::reference(1e-3, 1.0);
        s.total_steps = 2500;
        s.seed = 4;
        record(dir, "nqm_reference_preset", "reference", s, nqm_trainer({.seed = 4}));
    }
    record(dir, "nqm_options", "default",
           options_era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 5000, .race_fraction = 0.5, .warmup_steps = 150,
            .warmup_shape = autolrs::ramp_shape::cosine, .smooth_choice = true, .prefer_larger_lr = 0.3,
            .warm_start = true, .cooldown_shape = autolrs::ramp_shape::cosine, .cooldown_final_ratio = 0.05, .seed = 6}),
           nqm_trainer({.seed = 6}));
    record(dir, "nqm_plain", "default",
           era({.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 3000, .early_stop_gain = 0.0, .warmup_steps = 100,
            .warmup_lr = 0.05, .anneal_probe = 0.0, .keep_winner_state = false, .seed = 7}),
           nqm_trainer({.seed = 7}));
    record(dir, "nqm_sharpening", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 6000, .seed = 8}),
           nqm_trainer({.sharpen_steps = 2500.0, .seed = 8}));
    record(dir, "nqm_runaway", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 6000, .seed = 9}),
           nqm_trainer({.sharpen_steps = 250.0, .seed = 9}));
    record(dir, "nqm_skipped_steps", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 2500, .seed = 10}),
           nqm_trainer({.skip_every = 5, .seed = 10}));
    record(dir, "nqm_unknown_budget", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .tau0 = 200, .seed = 11}),
           nqm_trainer({.seed = 11}), 6000);
    record(dir, "nqm_not_budget_aware", "default",
           era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 3000, .budget_aware = false, .seed = 12}),
           nqm_trainer({.seed = 12}));
    record(dir, "nqm_matern32_lcb_power_law", "matern32_lcb_power_law",
           era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 3000, .seed = 13}), nqm_trainer({.seed = 13}));
    record(dir, "nqm_squared_exponential_pi_tail_mean", "squared_exponential_pi_tail_mean",
           era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 3000, .seed = 14}), nqm_trainer({.seed = 14}));
    record(dir, "nqm_thompson", "thompson", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 3000, .seed = 15}),
           nqm_trainer({.seed = 15}));
    record(dir, "nqm_nan", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 3000, .seed = 16}),
           nqm_trainer({.nan_above = 0.5, .seed = 16}));
    record(dir, "nqm_all_diverge", "default", era({.lr_min = 2.5, .lr_max = 5.0, .total_steps = 3000, .seed = 17}),
           nqm_trainer({.seed = 17}));
    record(dir, "nqm_at_bound", "default", era({.lr_min = 1e-4, .lr_max = 0.05, .total_steps = 3000, .seed = 18}),
           nqm_trainer({.seed = 18}));
    record(dir, "nqm_late_sharpening", "default", era({.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 4000, .seed = 19}),
           nqm_trainer({.sharpen_steps = 100.0, .sharpen_after = 2000, .seed = 19}));
    // Recorded in the sixth session, when search-twice-then-decay became the defaults.
    record(dir, "quickstart_search_twice", "search_twice", {.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 3000},
           quickstart_quadratic{});
    record(dir, "nqm_search_twice", "search_twice", {.lr_min = 1e-3, .lr_max = 3.0, .total_steps = 4000, .seed = 5},
           nqm_trainer(nqm));
    record(dir, "nqm_search_twice_unknown_budget", "search_twice", {.lr_min = 1e-3, .lr_max = 3.0, .tau0 = 200, .seed = 11},
           nqm_trainer({.seed = 11}), 6000);
    return 0;
}
