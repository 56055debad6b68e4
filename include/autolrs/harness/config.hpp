#pragma once
// autolrs::harness: controller configurations (part of <autolrs/harness.hpp>).
//
// A config is a name and a type-erased way to run one controller on one problem for one seed.
// Make one from policy TYPES (placed by concept, as autolrs::controller<Policies...>), from
// policy VALUES (their types deduced), or from any factory of an ask/tell controller:
//
//   configuration<>("default")                                   // controller<>
//   configuration<autolrs::lower_confidence_bound>("LCB")       // controller<lower_confidence_bound>
//   configuration_of("EI xi=0.1", autolrs::expected_improvement{.xi = 0.1})
//   from_factory("reference", [](const autolrs::controller_settings& s) {
//       return autolrs::make_reference_controller(s.lr_min, s.lr_max, s.total_steps, s.seed); })
//
// Settings: each maker takes a controller_settings `base` (designated initialisers:
// {.anneal_probe = 0.0}) and an optional `adjust(controller_settings&)` for fields relative to
// the budget. lr_min, lr_max, total_steps and seed are the problem's and the run's: they are
// written into `base` before `adjust` is called.

#include <autolrs/autolrs.hpp>  // the core: include/ or the single header
#include <autolrs/harness/problem.hpp>

#include <boost/math/tools/minima.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace autolrs::harness {

/// What one run of one configuration measured.
struct run_metrics {
    double final_loss = 0.0;    ///< problem_trainer::final_loss() when the budget is spent (inf: diverged)
    double search_share = 0.0;  ///< search steps / budget: the share of the budget not kept
    double steps_searched = 0.0;  ///< steps not kept: the search's and an LR range test's
    double decision_ms = 0.0;   ///< wall time inside the controller (construction and every call)
    double stages = 0.0;
    /// Diagnostic: stage-length-weighted mean of each searched stage's regret against the best
    /// constant LR at the stage's horizon; NaN where the problem does not know its expected loss.
    double regret = std::numeric_limits<double>::quiet_NaN();
    bool completed = false;  ///< every step of the budget was taken
};

/// The LR in [lr_min, lr_max] minimising t.expected_loss_after(lr, steps), and that loss: a
/// 97-point grid in log space, then Brent around the best point. NaN, NaN where t does not know.
inline std::pair<double, double> best_constant_lr(const problem_trainer& t, double lr_min, double lr_max,
                                                  std::uint64_t steps) {
    constexpr int grid = 97;
    const double a = std::log(lr_min), b = std::log(lr_max);
    if (std::isnan(t.expected_loss_after(lr_min, steps)))
        return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
    const auto loss_at = [&](double x) {
        const double l = t.expected_loss_after(std::exp(x), steps);
        return std::isfinite(l) ? l : std::numeric_limits<double>::max();
    };
    int best = 0;
    double best_loss = std::numeric_limits<double>::infinity();
    for (int i = 0; i < grid; ++i) {
        const double l = loss_at(a + (b - a) * i / (grid - 1));
        if (l < best_loss) best = i, best_loss = l;
    }
    double best_x = a + (b - a) * best / (grid - 1);
    const double lo = a + (b - a) * std::max(best - 1, 0) / (grid - 1);
    const double hi = a + (b - a) * std::min(best + 1, grid - 1) / (grid - 1);
    std::uintmax_t iterations = 30;
    const auto [x, l] = boost::math::tools::brent_find_minima(loss_at, lo, hi, 30, iterations);
    if (l < best_loss) best_x = x, best_loss = l;
    return {std::exp(best_x), best_loss};
}

/// Per-stage regret (a diagnostic): (L(chosen) - L(best)) / (L(start) - L(best)), where L(lr) is
/// the expected loss after the stage's horizon at lr from the stage's start state, best over the
/// interval: the share of the best achievable stage improvement that the choice lost. It rewards
/// short-horizon choices; the headline is the final loss against tuned schedules.
class regret_tracker {
public:
    regret_tracker(double lr_min, double lr_max) : lr_min_(lr_min), lr_max_(lr_max) {}

    void on_event(const event& e, const problem_trainer& t) {
        if (e.kind == event_kind::stage_start) {
            start_ = t.clone();
            stage_ = e.stage;
            horizon_ = e.length;
        } else if ((e.kind == event_kind::stage_lr_chosen || e.kind == event_kind::fallback) && start_ &&
                   e.stage == stage_ && std::isfinite(e.learning_rate)) {
            const double start = start_->expected_loss_after(e.learning_rate, 0);
            const double best = best_constant_lr(*start_, lr_min_, lr_max_, horizon_).second;
            if (std::isnan(best)) return;
            const double chosen = start_->expected_loss_after(e.learning_rate, horizon_);
            const double gain = start - best;
            double r = gain > 1e-12 * std::abs(start) ? (chosen - best) / gain : 0.0;
            if (!std::isfinite(r)) r = 1.0;  // a diverging choice: the whole gain lost (at least)
            stages_[stage_] = {static_cast<double>(horizon_), std::max(r, 0.0)};  // a redecision replaces
        }
    }
    /// NaN when no stage was scored.
    [[nodiscard]] double weighted_regret() const {
        double w = 0.0, s = 0.0;
        for (const auto& [stage, v] : stages_) w += v.first, s += v.first * v.second;
        return w > 0.0 ? s / w : std::numeric_limits<double>::quiet_NaN();
    }

private:
    double lr_min_, lr_max_;
    std::unique_ptr<problem_trainer> start_;
    std::uint32_t stage_ = 0;
    std::uint64_t horizon_ = 0;
    std::map<std::uint32_t, std::pair<double, double>> stages_;
};

namespace detail {

/// Forwards the ask/tell protocol to a controller and adds up the wall time inside its answers.
template <class Controller>
class timed_controller {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::uint32_t slot_count = Controller::slot_count;

    explicit timed_controller(Controller& inner) noexcept : inner_(&inner) {}
    [[nodiscard]] directive pending() const { return inner_->pending(); }
    [[nodiscard]] std::span<const event> events() const { return inner_->events(); }
    [[nodiscard]] std::uint64_t steps_total() const { return inner_->steps_total(); }
    directive tell_step(double loss, bool applied) { return timed([&] { return inner_->tell_step(loss, applied); }); }
    directive tell_checkpointed() { return timed([&] { return inner_->tell_checkpointed(); }); }
    directive tell_restored() { return timed([&] { return inner_->tell_restored(); }); }
    directive tell_validation(double loss) { return timed([&] { return inner_->tell_validation(loss); }); }
    [[nodiscard]] clock::duration inside() const noexcept { return inside_; }

private:
    template <class Call>
    directive timed(Call&& call) {
        const clock::time_point start = clock::now();
        const directive next = call();
        inside_ += clock::now() - start;
        return next;
    }
    Controller* inner_;
    clock::duration inside_{};
};

template <class T>
consteval bool explain_factory_result() {
    static_assert(explain_ask_tell_controller<T>(),
                  "autolrs::harness: a configuration's factory must return an ask/tell controller "
                  "(autolrs::controller<...>, basic_controller, or a type satisfying autolrs::ask_tell_controller)");
    return ask_tell_controller<T>;
}

}  // namespace detail

/// autolrs::run's loop (a directive_executor) over one problem's trainer, with the controller's
/// calls timed and, when asked, the per-stage regret tracked.
template <class Controller>
run_metrics drive(Controller& ctl, trainer_handle& trainer, const problem& p, double construction_seconds,
                  bool track_regret) {
    static_assert(detail::explain_factory_result<Controller>());
    regret_tracker regret(p.lr_min, p.lr_max);
    track_regret = track_regret && !std::isnan(trainer.get().expected_loss_after(p.lr_min, 1));
    detail::timed_controller<Controller> timed(ctl);
    directive_executor<trainer_handle, Controller::slot_count> host(trainer);
    const auto report = [&] {
        if (track_regret)
            for (const event& e : ctl.events()) regret.on_event(e, trainer.get());
    };
    report();
    for (directive d = ctl.pending(); d.kind != directive_kind::done;) {
        d = host.carry_out(timed);
        report();
    }
    run_metrics m;
    const double final_loss = trainer.get().final_loss();
    m.final_loss = std::isnan(final_loss) ? std::numeric_limits<double>::infinity() : final_loss;
    m.steps_searched = static_cast<double>(ctl.steps_searched());
    if constexpr (requires { ctl.steps_range_test(); }) {  // the zero-setting mode's test is not kept either
        m.steps_searched += static_cast<double>(ctl.steps_range_test());
    }
    m.search_share = m.steps_searched / static_cast<double>(p.budget);
    m.decision_ms = (std::chrono::duration<double>(timed.inside()).count() + construction_seconds) * 1e3;
    m.stages = static_cast<double>(ctl.stages());
    m.regret = track_regret ? regret.weighted_regret() : std::numeric_limits<double>::quiet_NaN();
    m.completed = ctl.steps_total() >= p.budget;
    return m;
}

/// One controller configuration, type-erased.
struct config {
    std::string name;
    /// The settings every run starts from (lr_min, lr_max, total_steps, seed are overwritten).
    controller_settings base{};
    /// Called after those four are set; may change any field (e.g. tau0 relative to total_steps).
    /// compare() calls it from its worker threads at the same time: it must be thread-safe.
    std::function<void(controller_settings&)> adjust{};
    /// Runs one controller built from the settings on a fresh trainer of the problem.
    std::function<run_metrics(const problem&, const controller_settings&, trainer_handle&, bool track_regret)> runner{};

    /// The settings of the run of this config on `p` with `seed`; validated (autolrs::invalid_setting).
    [[nodiscard]] controller_settings settings_for(const problem& p, std::uint64_t seed) const {
        controller_settings s = base;
        s.lr_min = p.lr_min;
        s.lr_max = p.lr_max;
        s.total_steps = p.budget;
        s.seed = seed;
        if (adjust) adjust(s);
        s.validate();
        return s;
    }
    /// One seeded run on `p`.
    [[nodiscard]] run_metrics run(const problem& p, std::uint64_t seed, bool track_regret = true) const {
        if (!runner) throw invalid_setting("config '" + name + "'.runner", "is not set: make configs with "
                                           "configuration<>(), configuration_of() or from_factory()");
        trainer_handle trainer(p.make(seed));
        return runner(p, settings_for(p, seed), trainer, track_regret);
    }
};

/// A configuration from a factory `make(const controller_settings&)` of any ask/tell controller
/// (the most general maker: basic_controller, the reference preset, policies with state).
template <class Factory>
[[nodiscard]] config from_factory(std::string name, Factory make, controller_settings base = {},
                                  std::function<void(controller_settings&)> adjust = {}) {
    static_assert(std::invocable<const Factory&, const controller_settings&>,
                  "autolrs::harness::from_factory: the factory must be callable as make(const controller_settings&) "
                  "on a const object (compare() calls it from several threads)");
    static_assert(std::copy_constructible<Factory>, "autolrs::harness::from_factory: the factory must be copyable");
    using controller_type = std::remove_cvref_t<std::invoke_result_t<const Factory&, const controller_settings&>>;
    static_assert(detail::explain_factory_result<controller_type>());
    if (name.empty()) throw invalid_setting("config.name", "must not be empty");
    config c{.name = std::move(name), .base = base, .adjust = std::move(adjust)};
    c.runner = [make = std::move(make)](const problem& p, const controller_settings& s, trainer_handle& trainer,
                                        bool track_regret) {
        const auto start = std::chrono::steady_clock::now();
        controller_type ctl = make(s);
        const double construction = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return drive(ctl, trainer, p, construction, track_regret);
    };
    return c;
}

/// autolrs::controller<Policies...> (policy TYPES, default-constructed, placed by concept).
template <class... Policies>
[[nodiscard]] config configuration(std::string name, controller_settings base = {},
                                   std::function<void(controller_settings&)> adjust = {}) {
    return from_factory(
        std::move(name), [](const controller_settings& s) { return controller<Policies...>(s); }, base,
        std::move(adjust));
}

namespace detail {
template <class T, class... Values>
T value_or_default(const std::tuple<Values...>& values) {
    if constexpr ((std::is_same_v<T, Values> || ...)) return std::get<T>(values);
    else return T{};
}
}  // namespace detail

/// autolrs::controller<decltype(values)...> built from policy VALUES (a kernel inside a
/// gaussian_process value, an acquisition with its parameters, a forecaster with its settings,
/// a stage objective, stop rule or initial design); the roles not given keep their defaults.
template <class... Policies>
[[nodiscard]] config configuration_of(std::string name, controller_settings base, Policies... values) {
    using ctl = controller<Policies...>;
    using policy_values = typename ctl::policies;
    return from_factory(
        std::move(name),
        [values = std::tuple<Policies...>(std::move(values)...)](const controller_settings& s) {
            using forecaster = typename ctl::Forecaster;
            const forecaster f = detail::value_or_default<forecaster>(values);
            policy_values others;
            others.objective = detail::value_or_default<decltype(others.objective)>(values);
            others.stop_rule = detail::value_or_default<decltype(others.stop_rule)>(values);
            others.initial_design = detail::value_or_default<decltype(others.initial_design)>(values);
            return ctl(s, f, f, detail::value_or_default<typename ctl::surrogate_type>(values),
                       detail::value_or_default<typename ctl::acquisition_type>(values),
                       bayes_opt_settings{.x_min = 0.0, .x_max = 1.0}, std::move(others));
        },
        base);
}
/// As above, with default settings.
template <class... Policies>
    requires(!std::is_same_v<std::remove_cvref_t<Policies>, controller_settings> && ...)
[[nodiscard]] config configuration_of(std::string name, Policies... values) {
    return configuration_of(std::move(name), controller_settings{}, std::move(values)...);
}

}  // namespace autolrs::harness
