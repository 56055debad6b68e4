#pragma once
// The AutoLRS controller: the default assembly of the state machine (controller/basic_controller.hpp)
// with Bayesian optimisation as the search, policies chosen by what they are, and the
// reference implementation's preset. The protocol the host follows is in protocol.hpp.
//
// A host loop (autolrs::run in run.hpp is exactly this, for any autolrs::trainer):
//
//   autolrs::controller<> ctl({.lr_min = 1e-4, .lr_max = 1.0, .total_steps = 20000});
//   std::optional<Model::checkpoint_type> slot[2];
//   for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done;) {
//       for (const autolrs::event& e : ctl.events()) log(e);
//       switch (d.kind) {
//           case autolrs::directive_kind::train:
//               model.set_learning_rate(d.learning_rate);
//               d = ctl.tell_step(model.train_step());
//               break;
//           case autolrs::directive_kind::checkpoint: slot[d.slot] = model.checkpoint(); d = ctl.tell_checkpointed(); break;
//           case autolrs::directive_kind::restore: model.restore(*slot[d.slot]); d = ctl.tell_restored(); break;
//           case autolrs::directive_kind::evaluate: d = ctl.tell_validation(model.validation_loss()); break;
//           case autolrs::directive_kind::done: break;
//       }
//   }

#include "autolrs/acquisition/concept.hpp"
#include "autolrs/acquisition/expected_improvement.hpp"
#include "autolrs/acquisition/lower_confidence_bound.hpp"
#include "autolrs/controller/basic_controller.hpp"
#include "autolrs/controller/initial_design.hpp"
#include "autolrs/controller/stage_objective.hpp"
#include "autolrs/controller/stop_rule.hpp"
#include "autolrs/controller_settings.hpp"
#include "autolrs/forecast/concept.hpp"
#include "autolrs/forecast/exponential.hpp"
#include "autolrs/forecast/reference.hpp"
#include "autolrs/kernel/matern52.hpp"
#include "autolrs/search/bayes_opt.hpp"
#include "autolrs/surrogate/concept.hpp"
#include "autolrs/surrogate/gaussian_process.hpp"

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace autolrs {

namespace detail {

/// The first of `Ts` for which `Is<T>::value`, else `Default`.
template <template <class> class Is, class Default, class... Ts>
struct pick_policy {
    using type = Default;
};
template <template <class> class Is, class Default, class T, class... Ts>
struct pick_policy<Is, Default, T, Ts...> {
    using type = std::conditional_t<Is<T>::value, T, typename pick_policy<Is, Default, Ts...>::type>;
};

template <class T> struct is_surrogate : std::bool_constant<surrogate<T>> {};
template <class T> struct is_forecaster : std::bool_constant<loss_forecaster<T>> {};
template <class T> struct is_stop_rule : std::bool_constant<stage_stop_rule<T>> {};
template <class T> struct is_initial_design : std::bool_constant<initial_design<T>> {};

/// The controller's policies, each taken from the arguments by the concept it satisfies (in
/// any order, each at most once), the others defaulted.
template <class... Policies>
struct controller_policies {
    using surrogate_type = typename pick_policy<is_surrogate, gaussian_process<matern52>, Policies...>::type;
    template <class T> struct is_acquisition : std::bool_constant<acquisition_for<T, surrogate_type>> {};
    using acquisition_type = typename pick_policy<is_acquisition, expected_improvement, Policies...>::type;
    using forecaster_type = typename pick_policy<is_forecaster, exponential_forecaster, Policies...>::type;
    template <class T> struct is_objective : std::bool_constant<stage_objective<T, forecaster_type>> {};
    using objective_type = typename pick_policy<is_objective, annealed_loss_objective, Policies...>::type;
    using stop_rule_type = typename pick_policy<is_stop_rule, expected_gain_stop, Policies...>::type;
    using design_type = typename pick_policy<is_initial_design, middle_out_design, Policies...>::type;

    template <class T>
    static constexpr int roles = int(is_surrogate<T>::value) + int(is_acquisition<T>::value) +
                                 int(is_forecaster<T>::value) + int(is_objective<T>::value) +
                                 int(is_stop_rule<T>::value) + int(is_initial_design<T>::value);
    template <class T>
    static constexpr bool classified() {
        static_assert(roles<T> != 0, "autolrs::controller: a policy argument is none of: surrogate, acquisition, "
                                     "loss forecaster, stage objective, stop rule, initial design (static_assert "
                                     "autolrs::explain_<role><T>() to see what it lacks)");
        static_assert(roles<T> <= 1, "autolrs::controller: a policy argument satisfies several policy concepts; "
                                     "use autolrs::basic_controller to place it explicitly");
        return true;
    }
    static constexpr bool valid = (classified<Policies>() && ...);
    static constexpr bool unique = (int(is_surrogate<Policies>::value) + ... + 0) <= 1 &&
                                   (int(is_acquisition<Policies>::value) + ... + 0) <= 1 &&
                                   (int(is_forecaster<Policies>::value) + ... + 0) <= 1 &&
                                   (int(is_objective<Policies>::value) + ... + 0) <= 1 &&
                                   (int(is_stop_rule<Policies>::value) + ... + 0) <= 1 &&
                                   (int(is_initial_design<Policies>::value) + ... + 0) <= 1;
    static_assert(valid);
    static_assert(unique, "autolrs::controller: two policy arguments fill the same role");

    using search_type = bayes_opt<surrogate_type, acquisition_type>;
    using base = basic_controller<search_type, forecaster_type, objective_type, stop_rule_type, design_type>;
};

}  // namespace detail

/// The AutoLRS controller with Bayesian optimisation as the search: `controller<>` is our
/// default configuration (GP with a Matern 5/2 kernel, expected improvement, candidates judged
/// by the loss at the end of their decaying anneal probe (annealed_loss_objective), the
/// expected-gain stop rule, the middle-out initial design; the bounded exponential forecaster
/// judges a candidate whose window is too short for that, and every candidate under
/// horizon_forecast_objective). Name only the policies to change, in any order: each argument
/// is placed by the concept it satisfies, e.g. `controller<horizon_forecast_objective,
/// tail_mean_forecaster>`, `controller<gaussian_process<matern32>>`,
/// `controller<lower_confidence_bound, never_stop_early>`.
template <class... Policies>
class controller : public detail::controller_policies<Policies...>::base {
    using chosen = detail::controller_policies<Policies...>;
    using base = typename chosen::base;

public:
    using surrogate_type = typename chosen::surrogate_type;
    using acquisition_type = typename chosen::acquisition_type;
    using Forecaster = typename chosen::forecaster_type;
    using policies = typename base::policies;

    /// `search`'s x_min, x_max and seed are overwritten from `settings` (log(lr_min),
    /// log(lr_max), settings.seed); its other fields (grid size, ...) are kept.
    explicit controller(const controller_settings& settings, Forecaster forecaster = Forecaster{},
                        surrogate_type surrogate = surrogate_type{}, acquisition_type acquisition = acquisition_type{},
                        bayes_opt_settings search = {.x_min = 0.0, .x_max = 1.0})
        : controller(settings, forecaster, forecaster, std::move(surrogate), std::move(acquisition), search) {}

    /// As above, with a separate forecaster for validation-loss windows, and the other
    /// policies' values.
    controller(const controller_settings& settings, Forecaster forecaster, Forecaster validation_forecaster,
               surrogate_type surrogate, acquisition_type acquisition, bayes_opt_settings search,
               policies others = policies{})
        : base(settings, make_search(settings, search, std::move(surrogate), std::move(acquisition)),
               std::move(forecaster), std::move(validation_forecaster), std::move(others)) {}

private:
    static typename chosen::search_type make_search(const controller_settings& settings, bayes_opt_settings search,
                                                    surrogate_type surrogate, acquisition_type acquisition) {
        settings.validate();  // before log(lr_min): a bad interval must name lr_min, not x_min
        search.x_min = std::log(settings.lr_min);
        search.x_max = std::log(settings.lr_max);
        search.seed = settings.seed;
        return typename chosen::search_type(search, std::move(surrogate), std::move(acquisition));
    }
};

/// The reference implementation's configuration: LCB with kappa = 1e6 (a space-filling
/// design), the reference's forecaster (its training-loss trimming for training windows,
/// its validation variant for validation windows) and controller_settings::reference.
using reference_controller =
    controller<gaussian_process<matern52>, lower_confidence_bound, reference_exponential_forecaster, horizon_forecast_objective>;

#ifdef AUTOLRS_COMPILED_LIB
// The default and reference state machines come compiled (numeric/compiled_lib.hpp).
extern template class basic_controller<bayes_opt<gaussian_process<matern52>, expected_improvement>,
                                       exponential_forecaster>;
extern template class basic_controller<bayes_opt<gaussian_process<matern52>, lower_confidence_bound>,
                                       reference_exponential_forecaster, horizon_forecast_objective>;
#endif

/// The defaults; the name controller_settings::search_twice had while it was a preset.
using search_twice_controller = controller<>;

/// A controller<> over [lr_min, lr_max] for a budget of `total_steps` (> 0): the defaults, with
/// the budget they place their two searches by required.
template <class Controller = search_twice_controller>
[[nodiscard]] Controller make_search_twice_controller(double lr_min, double lr_max, std::uint64_t total_steps,
                                                      std::uint64_t seed = 0) {
    controller_settings s = controller_settings::search_twice(lr_min, lr_max, total_steps);
    s.seed = seed;
    return Controller(s);
}

/// What controller_settings::horizon_stages and search_once are built with: candidates judged
/// by the forecast of their loss at the stage's horizon, less what their anneal probe removed.
using horizon_stages_controller = controller<horizon_forecast_objective>;

/// A horizon_stages_controller with controller_settings::horizon_stages (the defaults until the
/// sixth session; total_steps 0: unknown, where it is the better choice, see horizon_stages).
template <class Controller = horizon_stages_controller>
[[nodiscard]] Controller make_horizon_stages_controller(double lr_min, double lr_max, std::uint64_t total_steps = 0,
                                                        std::uint64_t seed = 0) {
    controller_settings s = controller_settings::horizon_stages(lr_min, lr_max, total_steps);
    s.seed = seed;
    return Controller(s);
}

/// A reference_controller over [lr_min, lr_max]; `total_steps` is where it stops. Like the
/// reference, it does not plan its stages around the budget, so the budget may run out inside
/// a stage's search; then, instead of leaving an unfinished candidate's model, its last
/// directive restores the stage's start (the model at the end of the last finished stage, or
/// the initial one if no stage finished) and the `done` event says "the step budget ran out
/// inside a search". The search's last steps then train nothing that is kept: choose
/// total_steps at a stage's end (with the defaults the stages end at 2000, 6000, 14000, 30000
/// steps, then every 16000, while no stage diverges) to use them all. Every decision before the end is the reference's.
/// (A template so that only the translation units that call it instantiate the controller.)
template <class Controller = reference_controller>
[[nodiscard]] Controller make_reference_controller(double lr_min, double lr_max, std::uint64_t total_steps = 0,
                                                   std::uint64_t seed = 0) {
    controller_settings s = controller_settings::reference(lr_min, lr_max);
    s.total_steps = total_steps;
    s.seed = seed;
    return Controller(s, reference_exponential_forecaster({.training_losses = true}),
                                reference_exponential_forecaster({.training_losses = false}), gaussian_process<matern52>{},
                                lower_confidence_bound{.kappa = 1e6}, bayes_opt_settings{.x_min = 0.0, .x_max = 1.0});
}

}  // namespace autolrs
