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
#include <type_traits>

namespace autolrs_support {

/// The settings every trace recorded before the defaults became search-twice-then-decay (the
/// sixth session) started from: the defaults of their day, controller_settings::horizon_stages.
/// A setting such a trace does not name was added after it was recorded, and this value of it
/// is the behaviour recorded. Traces recorded since name every setting.
inline autolrs::controller_settings recorded_era_defaults() {
    return autolrs::controller_settings::horizon_stages(0.0, 0.0);
}

/// Settings from the (name, exact text) pairs of autolrs::detail::describe, field by field
/// through autolrs::visit_settings, over recorded_era_defaults().
inline autolrs::controller_settings parse_settings(const std::map<std::string, std::string>& fields) {
    autolrs::controller_settings s = recorded_era_defaults();
    autolrs::visit_settings(s, [&](std::string_view name, auto& v) {
        using T = std::remove_cvref_t<decltype(v)>;
        const auto found = fields.find(std::string(name));
        if (found == fields.end()) return;
        const char* text = found->second.c_str();
        if constexpr (std::is_same_v<T, double>) {
            v = std::strtod(text, nullptr);
        } else if constexpr (std::is_same_v<T, bool>) {
            v = std::string_view(text) == "1";
        } else if constexpr (std::is_enum_v<T> || std::is_same_v<T, std::uint32_t>) {
            v = static_cast<T>(std::strtoul(text, nullptr, 10));
        } else {
            static_assert(std::is_same_v<T, std::uint64_t>, "parse_settings: a setting of a type it cannot parse");
            v = std::strtoull(text, nullptr, 10);
        }
    });
    return s;
}

/// `s` as a scenario of that era meant it: every field `s` leaves at today's default takes its
/// recorded_era_defaults() value (a field set explicitly to today's default must be set again
/// after this).
inline autolrs::controller_settings as_recorded_era(const autolrs::controller_settings& s) {
    const auto mine = autolrs::detail::describe(s);
    const auto today = autolrs::detail::describe(autolrs::controller_settings{});
    const auto era = autolrs::detail::describe(recorded_era_defaults());
    std::map<std::string, std::string> fields;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        fields[std::string(mine[i].first)] = mine[i].second == today[i].second ? era[i].second : mine[i].second;
    }
    return parse_settings(fields);
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

/// Calls f(controller) with the controller of `kind` built from `s`. "default" is what the
/// traces recorded before the sixth session call the defaults of their day, which judged
/// candidates by horizon_forecast_objective (horizon_stages_controller), as do the other kinds
/// of that time; "search_twice" is today's controller<>.
template <class F>
void with_controller(std::string_view kind, const autolrs::controller_settings& s, F&& f) {
    using namespace autolrs;
    if (kind == "default") {
        horizon_stages_controller c(s);
        f(c);
    } else if (kind == "search_twice") {
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
        controller<gaussian_process<matern32>, lower_confidence_bound, power_law_forecaster, horizon_forecast_objective> c(s);
        f(c);
    } else if (kind == "squared_exponential_pi_tail_mean") {
        controller<gaussian_process<squared_exponential>, probability_of_improvement, tail_mean_forecaster,
                   horizon_forecast_objective>
            c(s);
        f(c);
    } else if (kind == "thompson") {
        controller<gaussian_process<matern52>, thompson_sampling, horizon_forecast_objective> c(s);
        f(c);
    } else {
        throw std::runtime_error("unknown controller kind '" + std::string(kind) + "'");
    }
}

}  // namespace autolrs_support
