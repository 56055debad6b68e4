#pragma once
// The policies a suite variant can name: `--variant NAME:objective=...,stop=...,design=...,forecaster=...`.
//
// ADDING A POLICY (one line): include its header and append `named<"its_name", its_type>` to its
// family's list below. Each family is a std::variant of its members behind a small wrapper that
// satisfies the family's concept (autolrs::stage_objective, stage_stop_rule, initial_design,
// loss_forecaster) and forwards to the member chosen by name at run time, so the suite
// instantiates the controller once (bench_suite.cpp: controller<any_forecaster, any_objective,
// any_stop_rule, any_design>) however many policies are listed. The first member of a list is
// the library's default; a variant that names no policy runs the plain autolrs::controller<>
// (bit-identical to the wrapped one with the defaults: `bench_suite --self-check` checks it).
//
// A policy type must be default-constructible (its parameters at their defaults); to compare
// parameter values, register a small derived type with other defaults under another name.

#include <autolrs/autolrs.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace autolrs::suite {

/// A string usable as a template argument: named<"tail_mean", T>.
template <std::size_t N>
struct fixed_name {
    char text[N]{};
    constexpr fixed_name(const char (&s)[N]) { std::copy_n(s, N, text); }  // NOLINT: implicit on purpose
    [[nodiscard]] constexpr std::string_view view() const { return {text, N - 1}; }
};

template <fixed_name Name, class T>
struct named {
    using type = T;
    static constexpr std::string_view name = Name.view();
};

template <class... Named>
struct policy_list {
    using variant = std::variant<typename Named::type...>;
    static std::vector<std::string_view> names() { return {Named::name...}; }
    /// The member called `name`, default-constructed; throws naming the known ones.
    static variant make(std::string_view name, std::string_view family) {
        variant v;
        bool found = false;
        (void)((Named::name == name ? (v.template emplace<typename Named::type>(), found = true) : false) || ...);
        if (!found) {
            std::string known;
            for (const auto n : names()) known += (known.empty() ? "" : ", ") + std::string(n);
            throw std::invalid_argument("unknown " + std::string(family) + " '" + std::string(name) + "' (known: " +
                                        known + ")");
        }
        return v;
    }
};

// ---- the registries: append one line to add a policy ---------------------------------------------

/// annealed_loss_objective with its stddev from the probe's own last points.
struct annealed_loss_probe_noise : autolrs::annealed_loss_objective {
    annealed_loss_probe_noise() : autolrs::annealed_loss_objective{.noise = autolrs::annealed_noise::probe_tail} {}
};

using stage_objectives = policy_list<
    named<"annealed_loss", autolrs::annealed_loss_objective>,  // default
    named<"horizon_forecast", autolrs::horizon_forecast_objective>,
    named<"annealed_loss_probe_noise", annealed_loss_probe_noise>>;

using stop_rules = policy_list<
    named<"expected_gain", autolrs::expected_gain_stop>,  // default
    named<"never", autolrs::never_stop_early>>;

using initial_designs = policy_list<
    named<"middle_out", autolrs::middle_out_design>  // default
    >;

using forecasters = policy_list<
    named<"exponential", autolrs::exponential_forecaster>,  // default
    named<"power_law", autolrs::power_law_forecaster>,
    named<"tail_mean", autolrs::tail_mean_forecaster>,
    named<"reference", autolrs::reference_exponential_forecaster>,
    named<"significant_drop", autolrs::significant_drop_forecaster<>>>;

// ---- the wrappers the controller is instantiated with ------------------------------------------

/// One loss forecaster, chosen by name.
struct any_forecaster {
    forecasters::variant chosen;
    [[nodiscard]] autolrs::forecast predict(std::span<const double> losses, double horizon) const {
        return std::visit([&](const auto& f) { return f.predict(losses, horizon); }, chosen);
    }
};

/// One stage objective, chosen by name; it judges with whatever forecaster the controller has.
struct any_objective {
    stage_objectives::variant chosen;
    template <class F>
    [[nodiscard]] autolrs::forecast judge(const F& forecaster, const autolrs::candidate_window& w) const {
        return std::visit([&](const auto& o) { return o.judge(forecaster, w); }, chosen);
    }
};

/// One stop rule, chosen by name.
struct any_stop_rule {
    stop_rules::variant chosen;
    [[nodiscard]] autolrs::stop_verdict verdict(const autolrs::search_progress& p, const autolrs::controller_settings& s,
                                                const autolrs::expected_gain_query& gain) const {
        return std::visit([&](const auto& r) { return r.verdict(p, s, gain); }, chosen);
    }
};

/// One initial design, chosen by name.
struct any_design {
    initial_designs::variant chosen;
    [[nodiscard]] double point(std::uint32_t index, std::uint32_t size, double x_low, double x_high) const {
        return std::visit([&](const auto& d) { return static_cast<double>(d.point(index, size, x_low, x_high)); },
                          chosen);
    }
};

static_assert(autolrs::explain_loss_forecaster<any_forecaster>());
static_assert(autolrs::explain_stage_objective<any_objective, any_forecaster>());
static_assert(autolrs::explain_stage_stop_rule<any_stop_rule>());
static_assert(autolrs::explain_initial_design<any_design>());

/// The controller every named-policy variant runs (one instantiation for all of them).
using named_policy_controller = autolrs::controller<any_forecaster, any_objective, any_stop_rule, any_design>;

/// The policy names of one variant ("" = the library's default of that family).
struct policy_choice {
    std::string objective{}, stop{}, design{}, forecaster{};
    [[nodiscard]] bool all_default() const {
        return objective.empty() && stop.empty() && design.empty() && forecaster.empty();
    }
    [[nodiscard]] std::string text() const {
        std::string t;
        const auto add = [&](const char* key, const std::string& v) {
            if (!v.empty()) t += (t.empty() ? "" : " ") + std::string(key) + "=" + v;
        };
        add("objective", objective);
        add("stop", stop);
        add("design", design);
        add("forecaster", forecaster);
        return t;
    }
};

/// Checks every name of `c` (throws std::invalid_argument naming the known ones).
inline void validate(const policy_choice& c) {
    if (!c.objective.empty()) (void)stage_objectives::make(c.objective, "stage objective");
    if (!c.stop.empty()) (void)stop_rules::make(c.stop, "stop rule");
    if (!c.design.empty()) (void)initial_designs::make(c.design, "initial design");
    if (!c.forecaster.empty()) (void)forecasters::make(c.forecaster, "forecaster");
}

/// A named_policy_controller with the policies `c` names (the first of each list where empty).
inline named_policy_controller make_named_policy_controller(const autolrs::controller_settings& settings,
                                                            const policy_choice& c) {
    const auto pick = [](const std::string& name, auto list_tag, std::string_view family) {
        using list = decltype(list_tag);
        return list::make(name.empty() ? list::names().front() : std::string_view(name), family);
    };
    const any_forecaster forecaster{pick(c.forecaster, forecasters{}, "forecaster")};
    named_policy_controller::policies others{
        .objective = any_objective{pick(c.objective, stage_objectives{}, "stage objective")},
        .stop_rule = any_stop_rule{pick(c.stop, stop_rules{}, "stop rule")},
        .initial_design = any_design{pick(c.design, initial_designs{}, "initial design")}};
    return named_policy_controller(settings, forecaster, forecaster, {}, {}, {.x_min = 0.0, .x_max = 1.0},
                                   std::move(others));
}

}  // namespace autolrs::suite
