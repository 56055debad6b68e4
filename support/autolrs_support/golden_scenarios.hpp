#pragma once
// The controllers a golden trace can be recorded from and replayed through: a trace's header
// names the controller kind and lists its settings, so a replay builds the same controller.

#include "autolrs_support/golden_trace.hpp"

#include <autolrs/autolrs.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace autolrs_support {

/// Settings from the (name, exact text) pairs of autolrs::detail::describe.
inline autolrs::controller_settings parse_settings(const std::map<std::string, std::string>& fields) {
    autolrs::controller_settings s;
    const auto d = [&](const char* name, double& v) { v = std::strtod(fields.at(name).c_str(), nullptr); };
    const auto u64 = [&](const char* name, std::uint64_t& v) { v = std::strtoull(fields.at(name).c_str(), nullptr, 10); };
    const auto u32 = [&](const char* name, std::uint32_t& v) {
        v = static_cast<std::uint32_t>(std::strtoul(fields.at(name).c_str(), nullptr, 10));
    };
    const auto b = [&](const char* name, bool& v) { v = fields.at(name) == "1"; };
    const auto e = [&](const char* name, auto& v) {
        v = static_cast<std::remove_reference_t<decltype(v)>>(std::strtoul(fields.at(name).c_str(), nullptr, 10));
    };
    d("lr_min", s.lr_min);
    d("lr_max", s.lr_max);
    u64("total_steps", s.total_steps);
    b("budget_aware", s.budget_aware);
    u32("candidates", s.candidates);
    u32("min_candidates", s.min_candidates);
    u32("initial_design", s.initial_design);
    d("early_stop_gain", s.early_stop_gain);
    d("race_fraction", s.race_fraction);
    d("race_stddevs", s.race_stddevs);
    u64("tau0", s.tau0);
    d("candidate_fraction", s.candidate_fraction);
    d("growth", s.growth);
    u64("tau_max", s.tau_max);
    u64("warmup_steps", s.warmup_steps);
    d("warmup_lr", s.warmup_lr);
    e("warmup_shape", s.warmup_shape);
    e("signal", s.signal);
    u64("validation_interval", s.validation_interval);
    d("anneal_probe", s.anneal_probe);
    d("anneal_probe_ratio", s.anneal_probe_ratio);
    b("smooth_choice", s.smooth_choice);
    d("prefer_larger_lr", s.prefer_larger_lr);
    b("keep_winner_state", s.keep_winner_state);
    b("warm_start", s.warm_start);
    d("warm_start_noise", s.warm_start_noise);
    d("cooldown_fraction", s.cooldown_fraction);
    e("cooldown_shape", s.cooldown_shape);
    d("cooldown_final_ratio", s.cooldown_final_ratio);
    d("bound_tolerance", s.bound_tolerance);
    d("divergence_factor", s.divergence_factor);
    u32("divergence_patience", s.divergence_patience);
    u64("divergence_memory", s.divergence_memory);
    d("divergence_backoff", s.divergence_backoff);
    u64("seed", s.seed);
    return s;
}

/// The trace header's scenario field: "<name> <kind>" then one "S <setting> <value>" per line.
inline std::string scenario_header(std::string_view name, std::string_view kind, const autolrs::controller_settings& s) {
    std::string text = std::string(name) + ' ' + std::string(kind);
    for (const auto& [field, value] : autolrs::detail::describe(s)) text += "\nS " + std::string(field) + ' ' + value;
    return text;
}

inline autolrs::controller_settings settings_of(const recorded_trace& t) {
    std::map<std::string, std::string> fields;
    std::istringstream lines(t.text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("S ", 0) != 0) continue;
        std::istringstream f(line.substr(2));
        std::string name, value;
        f >> name >> value;
        fields[name] = value;
    }
    return parse_settings(fields);
}

inline std::string kind_of(const recorded_trace& t) {
    std::istringstream words(t.scenario.substr(0, t.scenario.find('\n')));
    std::string name, kind;
    words >> name >> kind;
    return kind;
}

/// Calls f(controller) with the controller of `kind` built from `s`.
template <class F>
void with_controller(std::string_view kind, const autolrs::controller_settings& s, F&& f) {
    using namespace autolrs;
    if (kind == "default") {
        controller<> c(s);
        f(c);
    } else if (kind == "reference") {
        auto c = make_reference_controller(s.lr_min, s.lr_max, s.total_steps, s.seed);
        if (detail::describe(c.settings()) != detail::describe(s)) {
            // a reference-shaped controller with other settings: the reference's policies
            reference_controller r(s, reference_exponential_forecaster({.training_losses = true}),
                                   reference_exponential_forecaster({.training_losses = false}),
                                   gaussian_process<matern52>{}, lower_confidence_bound{.kappa = 1e6},
                                   bayes_opt_settings{.x_min = 0.0, .x_max = 1.0});
            f(r);
        } else {
            f(c);
        }
    } else if (kind == "matern32_lcb_power_law") {
        controller<gaussian_process<matern32>, lower_confidence_bound, power_law_forecaster> c(s);
        f(c);
    } else if (kind == "squared_exponential_pi_tail_mean") {
        controller<gaussian_process<squared_exponential>, probability_of_improvement, tail_mean_forecaster> c(s);
        f(c);
    } else if (kind == "thompson") {
        controller<gaussian_process<matern52>, thompson_sampling> c(s);
        f(c);
    } else {
        throw std::runtime_error("unknown controller kind '" + std::string(kind) + "'");
    }
}

}  // namespace autolrs_support
