// The suite's methods, compiled once for every task (they run on the type-erased trainer):
// the fixed schedules, AutoLRS (our defaults, the zero-setting mode, variants with changed
// settings or named policies) and the range-test recipe; and the variant parser.

#include "suite.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace autolrs::suite {

namespace {

using clock_type = std::chrono::steady_clock;

std::function<double(std::uint64_t)> fixed_schedule(const std::string& family, double lr, std::uint64_t budget) {
    namespace s = autolrs::schedule;
    if (family == "constant") return s::constant({.lr = lr});
    if (family == "cosine") return s::cosine({.lr_max = lr, .period = budget});
    if (family == "wsd")  // 5% linear warmup, stable, the last 20% linear to 0
        return s::warmup_stable_decay(
            {.lr = lr, .total_steps = budget, .decay_steps = budget / 5, .warmup_steps = budget / 20});
    throw std::invalid_argument("unknown fixed schedule " + family);
}

// Per stage: "@step[ lr=forecast~stddev ... ]->lr", then "cooldown lr" (as bench_schedule_table).
struct decision_log {
    std::string text;
    double cooldown_lr = 0.0;
    void operator()(const autolrs::event& e) {
        using autolrs::event_kind;
        char item[96];
        item[0] = '\0';
        switch (e.kind) {
            case event_kind::stage_start:
                if (e.candidates == 0) break;  // a stage that skips its search: nothing searched to show
                std::snprintf(item, sizeof item, "%s@%llu[", text.empty() ? "" : " | ",
                              static_cast<unsigned long long>(e.step));
                break;
            case event_kind::candidate_end:
                std::snprintf(item, sizeof item, " %.3g=%.3g~%.2g", e.learning_rate, e.forecast, e.stddev);
                break;
            case event_kind::candidate_diverged:
                std::snprintf(item, sizeof item, " %.3g=diverged", e.learning_rate);
                break;
            case event_kind::stage_lr_chosen:
            case event_kind::fallback:
                std::snprintf(item, sizeof item, " ]->%.3g", e.learning_rate);
                break;
            case event_kind::cooldown_start:
                std::snprintf(item, sizeof item, "%scooldown %.3g", text.empty() ? "" : " | ", e.learning_rate);
                cooldown_lr = e.learning_rate;
                break;
            default: break;
        }
        text += item;
    }
};

// Sets one controller_settings field by its visit_settings name from a number.
bool set_field(controller_settings& s, const std::string& key, double v) {
    bool found = false;
    autolrs::visit_settings(s, [&](std::string_view name, auto& member) {
        if (name != key) return;
        found = true;
        using T = std::remove_cvref_t<decltype(member)>;
        if constexpr (std::is_same_v<T, double>) member = v;
        else if constexpr (std::is_same_v<T, bool>) member = v != 0.0;
        else if constexpr (std::is_enum_v<T>) member = static_cast<T>(static_cast<int>(v));
        else member = static_cast<T>(v);
    });
    return found;
}

// bench_schedule_table's keys that are not plain fields (same meaning there and here).
const std::vector<std::string>& relative_keys() {
    static const std::vector<std::string> keys{"tau_max_fraction", "warmup_fraction",
                                               "validation_signal"};
    return keys;
}

}  // namespace

const std::vector<std::string>& fixed_families() {
    static const std::vector<std::string> families{"constant", "cosine", "wsd"};
    return families;
}

std::vector<method> standard_methods(const std::vector<std::string>& names) {
    std::vector<method> out;
    for (const auto& n : names) {
        if (std::find(fixed_families().begin(), fixed_families().end(), n) != fixed_families().end()) {
            out.push_back({.name = n, .kind = method_kind::fixed, .spec = n});  // one per grid point, later
        } else if (n == "autolrs") {
            out.push_back({.name = n, .kind = method_kind::autolrs, .spec = n});
        } else if (n == "autolrs_zero") {
            out.push_back({.name = n, .kind = method_kind::autolrs, .range_test = true, .spec = n});
        } else if (n == "rt_cosine") {
            out.push_back({.name = n, .kind = method_kind::rt_cosine, .spec = n});
        } else {
            throw std::invalid_argument("unknown method " + n +
                                        " (known: constant, cosine, wsd, autolrs, autolrs_zero, rt_cosine)");
        }
    }
    return out;
}

std::string variant_keys_help() {
    std::string keys;
    controller_settings s;
    autolrs::visit_settings(s, [&](std::string_view name, auto&) {
        if (name != "total_steps" && name != "seed") keys += std::string(keys.empty() ? "" : ", ") + std::string(name);
    });
    for (const auto& k : relative_keys()) keys += ", " + k;
    return "every controller_settings field by name (" + keys +
           "; bools as 0/1, enums by number); tau_max_fraction, warmup_fraction as fractions of "
           "the budget and validation_signal=1 as in bench_schedule_table; range_test=1 (the interval from an LR "
           "range test, as autolrs_zero; with the default policies or objective= alone), with "
           "range_span_decades= and range_margin_decades= its sweep's span_decades and margin_decades; validation_error=1 "
           "(the trainer's validation loss is the validation split's error rate; with validation_signal=1 the "
           "candidates are judged by it; Fashion-MNIST tasks); objective=, "
           "stop=, design=, forecaster= a policy by name (--list-policies)";
}

method parse_variant(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw std::invalid_argument("--variant needs name:key=value,...: " + text);
    method m{.name = text.substr(0, colon), .kind = method_kind::autolrs, .spec = text};
    if (m.name.find_first_of(",\"| ") != std::string::npos)
        throw std::invalid_argument("--variant: the name must not contain , \" | or spaces: " + m.name);
    std::vector<std::pair<std::string, double>> changes;
    std::istringstream list(text.substr(colon + 1));
    for (std::string item; std::getline(list, item, ',');) {
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("--variant item needs key=value: " + item);
        const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
        if (key == "objective") m.policies.objective = value;
        else if (key == "stop") m.policies.stop = value;
        else if (key == "design") m.policies.design = value;
        else if (key == "forecaster") m.policies.forecaster = value;
        else {
            std::size_t used = 0;
            double v = 0.0;
            try {
                v = std::stod(value, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != value.size() || value.empty())
                throw std::invalid_argument("--variant: " + key + " needs a number, got '" + value + "'");
            if (key == "range_test") {
                m.range_test = v != 0.0;
                continue;
            }
            if (key == "validation_error") {
                m.validation_error = v != 0.0;
                continue;
            }
            if (key == "range_span_decades" || key == "range_margin_decades") {
                (key == "range_span_decades" ? m.range_span_decades : m.range_margin_decades) = v;
                continue;
            }
            controller_settings probe;
            const bool relative = std::find(relative_keys().begin(), relative_keys().end(), key) != relative_keys().end();
            if (key == "total_steps" || key == "seed" || (!relative && !set_field(probe, key, v)))
                throw std::invalid_argument("--variant: unknown or reserved key " + key + " (keys: " +
                                            variant_keys_help() + ")");
            changes.emplace_back(key, v);
        }
    }
    validate(m.policies);
    const auto& p = m.policies;
    if (m.range_test && !(p.stop.empty() && p.design.empty() && p.forecaster.empty()))
        throw std::invalid_argument("--variant: range_test=1 runs with the default policies, or with objective= alone "
                                    "(annealed_loss: the defaults'; horizon_forecast: horizon_stages')");
    m.adjust = [changes](controller_settings& s) {
        const auto steps = [&](double fraction) {
            return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(fraction * static_cast<double>(s.total_steps)));
        };
        for (const auto& [key, v] : changes) {
            if (key == "tau_max_fraction") s.tau_max = steps(v);
            else if (key == "warmup_fraction") s.warmup_steps = v > 0.0 ? steps(v) : 0;
            else if (key == "validation_signal")
                s.signal = v != 0.0 ? autolrs::loss_signal::validation : autolrs::loss_signal::training;
            else set_field(s, key, v);
        }
        if (s.tau0 != 0 && s.tau_max != 0 && s.tau_max < s.tau0) s.tau_max = s.tau0;
    };
    return m;
}

std::string run_record::key() const {
    char lr[32];
    std::snprintf(lr, sizeof lr, "%.6g", peak_lr);
    return task + "|" + spec + "|" + lr + "|" + std::to_string(seed);
}

run_record run_one(const task& t, const method& m, std::uint64_t seed) {
    const auto start = clock_type::now();
    trainer_handle trainer(t.make(seed), m.validation_error);
    run_record r;
    r.half = to_string(t.which);
    r.task = t.name;
    r.family = t.family;
    r.method = m.name;
    r.spec = m.spec;
    r.peak_lr = m.peak_lr;
    r.seed = seed;
    r.budget = t.budget;

    if (m.kind == method_kind::fixed) {
        autolrs::run_schedule(trainer, fixed_schedule(m.name, m.peak_lr, t.budget), t.budget);
        r.steps_trained = t.budget;
    } else if (m.kind == method_kind::rt_cosine) {
        const auto found = autolrs::lr_range_test(trainer, {.steps = t.range_test_steps});
        const std::uint64_t used = trainer.steps();
        const double peak = found.lr_at_minimum / 3.0;
        if (used >= t.budget) throw std::runtime_error("rt_cosine: the range test used the whole budget");
        autolrs::run_schedule(trainer, autolrs::schedule::cosine({.lr_max = peak, .period = t.budget - used}),
                              t.budget - used);
        r.steps_searched = used;
        r.steps_trained = t.budget - used;
        r.lr_min = found.lr_min;
        r.lr_max = found.lr_max;
        r.chosen_lr = peak;
    } else {
        controller_settings settings{.lr_min = t.lr_min, .lr_max = t.lr_max, .total_steps = t.budget, .seed = seed};
        if (m.range_test) settings.lr_min = settings.lr_max = 0.0;  // the library's zero-setting mode
        if (m.adjust) m.adjust(settings);
        decision_log log;
        autolrs::run_result result;
        autolrs::lr_range_test_settings sweep{.steps = t.range_test_steps};
        if (m.range_span_decades > 0.0) sweep.span_decades = m.range_span_decades;
        if (m.range_margin_decades >= 0.0) sweep.margin_decades = m.range_margin_decades;
        if (m.range_test && m.policies.objective == "horizon_forecast") {
            autolrs::with_range_test<autolrs::horizon_stages_controller> ctl(settings, sweep);
            result = autolrs::run(trainer, ctl, log);
        } else if (m.range_test) {  // the default policies (objective=annealed_loss names the default)
            autolrs::with_range_test<autolrs::controller<>> ctl(settings, sweep);
            result = autolrs::run(trainer, ctl, log);
        } else if (m.policies.all_default()) {
            autolrs::controller<> ctl(settings);
            result = autolrs::run(trainer, ctl, log);
        } else {
            auto ctl = make_named_policy_controller(settings, m.policies);
            result = autolrs::run(trainer, ctl, log);
        }
        r.steps_trained = result.steps_trained;
        r.steps_searched = result.steps_searched + result.steps_range_test;
        r.stages = result.stages;
        r.lr_min = result.lr_min;
        r.lr_max = result.lr_max;
        r.chosen_lr = log.cooldown_lr;  // where the final anneal started (0: no cooldown)
        r.decisions = std::move(log.text);
    }
    r.steps_total = trainer.steps();
    const measurement end = trainer.get().measure();
    r.metric = end.metric;
    r.secondary = end.secondary;
    r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return r;
}

}  // namespace autolrs::suite
