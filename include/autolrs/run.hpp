#pragma once
// autolrs::run: the training loop over an autolrs::trainer, built on the controller, for
// hosts that can hand the loop over; and run_schedule, the same loop for a fixed schedule
// (a replay of a found schedule, or a baseline).
//
//   autolrs::run_result r = autolrs::run(trainer, {}, 20000);  // an LR range test finds the interval
//   autolrs::run_result r = autolrs::run(trainer, {.lr_min = 1e-4, .lr_max = 1.0}, 20000);
//
// `total_steps` counts EVERY optimizer step the trainer takes, the search's included: that
// is what the user pays. run_result says how many of them trained the final model, how
// many were spent searching and how many on the range test.

#include "autolrs/carry_out.hpp"
#include "autolrs/controller.hpp"
#include "autolrs/protocol.hpp"
#include "autolrs/event.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"
#include "autolrs/trainer.hpp"
#include "autolrs/with_range_test.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace autolrs {

/// What a run did. Every step the trainer applied is in exactly one of steps_trained,
/// steps_searched and steps_range_test; their sum is steps_total.
struct run_result {
    std::uint64_t steps_total = 0;       ///< applied optimizer steps, everything included (= the budget)
    std::uint64_t steps_trained = 0;     ///< steps on the final model's trajectory
    std::uint64_t steps_searched = 0;    ///< steps thrown away by the search (candidates, diverged stages)
    std::uint64_t steps_range_test = 0;  ///< steps of the zero-setting mode's LR range test (thrown away)
    std::uint64_t steps_skipped = 0;     ///< steps the trainer reported as not applied (in no count above)
    std::uint64_t evaluations = 0;       ///< validation losses computed
    std::uint32_t stages = 0;            ///< stages started
    std::uint32_t divergences = 0;       ///< stages (or cooldowns) that diverged and were redone
    std::uint64_t events = 0;            ///< events reported to the observer
    bool completed = false;              ///< the budget was spent (false: stopped by divergence at lr_min)
    double lr_min = 0.0;                 ///< the interval searched (the range test's, in the zero-setting mode)
    double lr_max = 0.0;
    /// The last step's training loss: the final model's, unless the run ended by restoring a
    /// checkpoint (a search cut by the budget, a divergence at lr_min), then NaN (not measured).
    double final_loss = std::numeric_limits<double>::quiet_NaN();
    std::vector<schedule::piecewise_constant_row> schedule_rows;  ///< the found schedule's table

    /// The found schedule: replay it with run_schedule(trainer, r.found_schedule(), r.steps_trained).
    /// Throws autolrs::invalid_setting when no step was trained.
    [[nodiscard]] schedule::piecewise_constant found_schedule() const { return schedule::piecewise_constant({schedule_rows}); }

    /// The share of the budget (steps_total) that trained the final model, in [0, 1].
    [[nodiscard]] double budget_share_trained() const noexcept { return share(steps_trained); }
    /// The share of the budget the search threw away (0.23: 23% of all steps were search).
    [[nodiscard]] double budget_share_searched() const noexcept { return share(steps_searched); }
    /// The share of the budget the LR range test threw away (0 with an interval given).
    [[nodiscard]] double budget_share_range_test() const noexcept { return share(steps_range_test); }
    /// Search steps per trained step (not a share of the budget): the reference spends 1.0.
    [[nodiscard]] double searched_per_trained_step() const noexcept {
        return steps_trained == 0 ? 0.0 : static_cast<double>(steps_searched) / static_cast<double>(steps_trained);
    }

private:
    [[nodiscard]] double share(std::uint64_t steps) const noexcept {
        return steps_total == 0 ? 0.0 : static_cast<double>(steps) / static_cast<double>(steps_total);
    }
};

namespace detail {

struct ignore_events {
    void operator()(const event&) const noexcept {}
};

}  // namespace detail

namespace detail {

/// Throws protocol_error when `controller` is mid-stage and needs a checkpoint slot that
/// `host` does not hold (it would fail at its next restore, after training for nothing).
template <class Controller, class Executor>
void require_slots(const Controller& controller, const Executor& host) {
    if constexpr (requires { controller.slots_needed(); }) {
        const std::uint32_t needed = controller.slots_needed();
        const auto slots = host.slots();
        for (std::size_t i = 0; i < slots.size() && i < 32; ++i) {
            if ((needed >> i & 1U) != 0 && !slots[i].has_value()) {
                throw protocol_error(
                    "autolrs::run: the controller is mid-stage and will restore checkpoint slot " + std::to_string(i) +
                    ", which this directive_executor does not hold. After a trainer_error, call run() again with the "
                    "directive_executor that holds the slots: `autolrs::directive_executor host(trainer, ctl); "
                    "autolrs::run(host, ctl, observer);` (run(trainer, ctl) starts with empty slots), or load a state "
                    "saved at a stage boundary (autolrs::run_resumable)");
            }
        }
    }
}

}  // namespace detail

/// run() with a directive_executor the caller keeps (it holds the checkpoint slots): after
/// a trainer_error, calling it again with the same executor retries the failed directive
/// and goes on as if nothing had failed (the controller was not told). Throws
/// protocol_error at once when the controller needs a slot the executor does not hold.
/// After a failed restore() the trainer holds whatever that call left (often the last
/// candidate's state): the retry restores it again before any step.
template <class T, std::uint32_t SlotCount, ask_tell_controller Controller, class Observer>
run_result run(directive_executor<T, SlotCount>& host, Controller& controller, Observer&& observer) {
    detail::require_slots(controller, host);
    run_result result;
    const auto report = [&] {
        for (const event& e : controller.events()) {
            ++result.events;
            observer(e);
        }
    };
    if (!host.started()) report();  // else the run that failed reported them
    for (directive d = controller.pending(); d.kind != directive_kind::done;) {
        const directive_kind kind = d.kind;
        d = host.carry_out(controller);
        if (kind == directive_kind::train && host.last_step()->applied) result.final_loss = host.last_step()->loss;
        // A restored model's loss was not measured: the run's last one no longer describes it.
        if (kind == directive_kind::restore) result.final_loss = std::numeric_limits<double>::quiet_NaN();
        report();
    }
    result.steps_total = controller.steps_total();
    result.steps_trained = controller.steps_trained();
    result.steps_searched = controller.steps_searched();
    result.steps_skipped = controller.steps_skipped();
    if constexpr (requires { controller.steps_range_test(); }) result.steps_range_test = controller.steps_range_test();
    result.lr_min = controller.settings().lr_min;
    result.lr_max = controller.settings().lr_max;
    result.evaluations = controller.evaluations();
    result.stages = controller.stages();
    result.divergences = controller.divergences();
    const auto rows = controller.schedule_rows();
    result.schedule_rows.assign(rows.begin(), rows.end());
    const std::uint64_t budget = controller.settings().total_steps;
    result.completed = budget == 0 || controller.steps_total() >= budget;
    return result;
}

template <class T, std::uint32_t SlotCount, ask_tell_controller Controller>
run_result run(directive_executor<T, SlotCount>& host, Controller& controller) {
    return run(host, controller, detail::ignore_events{});
}

/// Drives `trainer` with a controller the caller built (any search, forecaster, settings)
/// until the controller says done; `observer(const event&)` sees every event. Each
/// directive is carried out by a directive_executor (carry_out.hpp) that lives for this
/// call: a trainer's exception arrives as autolrs::trainer_error, and the checkpoint slots
/// are gone with it. So the controller must be at a stage boundary (new, loaded from a
/// state run_resumable saved, or finished): one mid-stage (after a trainer_error, or loaded
/// from a state saved mid-stage) throws protocol_error at once, before any trainer call;
/// to retry after a trainer_error keep the executor: run(host, controller, observer).
///
/// The trainer's type is checked inside, not in the signature, on every entry point: a type
/// that is not quite a trainer gets explain_trainer's message naming the member it lacks,
/// where a constraint would only say "no matching function".
template <class T, ask_tell_controller Controller, class Observer>
run_result run(T& trainer, Controller& controller, Observer&& observer) {
    static_assert(explain_trainer<T>());
    directive_executor<T, Controller::slot_count> host(trainer);
    return run(host, controller, std::forward<Observer>(observer));
}

template <class T, ask_tell_controller Controller>
run_result run(T& trainer, Controller& controller) {
    static_assert(explain_trainer<T>());
    return run(trainer, controller, detail::ignore_events{});
}

/// Trains `steps` applied steps at the LR `schedule(step)` (step 0-based): a found schedule
/// (run_result::found_schedule()), a fixed schedule of autolrs::schedule, or any callable.
/// Returns the last step's training loss.
template <class T, class Schedule>
    requires std::invocable<const Schedule&, std::uint64_t>
double run_schedule(T& trainer, const Schedule& schedule, std::uint64_t steps) {
    static_assert(explain_trainer<T>());
    double loss = std::numeric_limits<double>::quiet_NaN();
    bool lr_set = false;
    double lr = 0.0;
    for (std::uint64_t step = 0; step < steps;) {
        const double next = static_cast<double>(schedule(step));
        if (!lr_set || next != lr) {
            trainer.set_learning_rate(next);
            lr = next;
            lr_set = true;
        }
        const step_result r = detail::run_step_result(trainer.train_step());
        if (r.applied) {
            loss = r.loss;
            ++step;
        }
    }
    return loss;
}


/// What run(trainer, settings, total_steps) builds: the default controller, after an LR range
/// test when lr_min and lr_max are left at 0 (the zero-setting mode, with_range_test.hpp).
using default_controller = with_range_test<controller<>>;

/// AutoLRS with the default controller over `total_steps` optimizer steps, search (and the
/// range test) included: settings.total_steps is set to it. `settings` may be left empty,
/// `autolrs::run(trainer, {}, 20000)`: the interval then comes from an LR range test whose
/// steps count in the budget (run_result::steps_range_test). `observer(const event&)` sees
/// every decision (autolrs::csv_event_writer, json_lines_event_writer, or any callable).
template <class T, class Observer>
run_result run(T& trainer, controller_settings settings, std::uint64_t total_steps, Observer&& observer) {
    static_assert(explain_trainer<T>());
    detail::require_setting(total_steps > 0, "total_steps",
                            "must be > 0: run() stops when the budget is spent (for an open-ended run, drive "
                            "autolrs::controller<> yourself; see protocol.hpp)");
    settings.total_steps = total_steps;
    default_controller ctl(settings);
    return run(trainer, ctl, std::forward<Observer>(observer));
}

template <class T>
run_result run(T& trainer, const controller_settings& settings, std::uint64_t total_steps) {
    static_assert(explain_trainer<T>());
    return run(trainer, settings, total_steps, detail::ignore_events{});
}

}  // namespace autolrs
