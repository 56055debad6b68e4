#pragma once
// autolrs::run: the training loop over an autolrs::trainer, built on the controller, for
// hosts that can hand the loop over; and run_schedule, the same loop for a fixed schedule
// (a replay of a found schedule, or a baseline).
//
//   autolrs::run_result r = autolrs::run(trainer, {.lr_min = 1e-4, .lr_max = 1.0}, 20000);
//
// `total_steps` counts EVERY optimizer step the trainer takes, the search's included: that
// is what the user pays. run_result says how many of them trained the final model and how
// many were spent searching.

#include "autolrs/controller.hpp"
#include "autolrs/protocol.hpp"
#include "autolrs/event.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"
#include "autolrs/trainer.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace autolrs {

/// What a run did.
struct run_result {
    std::uint64_t steps_total = 0;     ///< applied optimizer steps, search included (= the budget)
    std::uint64_t steps_trained = 0;   ///< steps on the final model's trajectory
    std::uint64_t steps_searched = 0;  ///< steps thrown away (candidates, diverged stages)
    std::uint64_t steps_skipped = 0;   ///< steps the trainer reported as not applied
    std::uint64_t evaluations = 0;     ///< validation losses computed
    std::uint32_t stages = 0;          ///< stages started
    std::uint32_t divergences = 0;     ///< stages (or cooldowns) that diverged and were redone
    std::uint64_t events = 0;          ///< events reported to the observer
    bool completed = false;            ///< the budget was spent (false: stopped by divergence at lr_min)
    double final_loss = std::numeric_limits<double>::quiet_NaN();  ///< the last step's training loss
    std::vector<schedule::piecewise_constant_row> schedule_rows;  ///< the found schedule's table

    /// The found schedule: replay it with run_schedule(trainer, r.found_schedule(), r.steps_trained).
    /// Throws autolrs::invalid_setting when no step was trained.
    [[nodiscard]] schedule::piecewise_constant found_schedule() const { return schedule::piecewise_constant({schedule_rows}); }

    /// Search steps per training step (the reference spends 1.0).
    [[nodiscard]] double search_overhead() const noexcept {
        return steps_trained == 0 ? 0.0 : static_cast<double>(steps_searched) / static_cast<double>(steps_trained);
    }
};

namespace detail {

template <class R>
[[nodiscard]] step_result run_step_result(R&& r) {
    if constexpr (std::is_same_v<std::remove_cvref_t<R>, step_result>) {
        return r;
    } else {
        return {static_cast<double>(r), true};
    }
}

struct ignore_events {
    void operator()(const event&) const noexcept {}
};

}  // namespace detail

/// Drives `trainer` with a controller the caller built (any search, forecaster, settings)
/// until the controller says done; `observer(const event&)` sees every event. The
/// controller may also be one loaded from a saved state (the slots are then empty: it
/// must not be waiting on a restore).
template <trainer T, ask_tell_controller Controller, class Observer>
run_result run(T& trainer, Controller& controller, Observer&& observer) {
    static_assert(explain_trainer<T>());
    using checkpoint_type = typename T::checkpoint_type;
    std::optional<checkpoint_type> slots[Controller::slot_count];
    run_result result;
    // Where the run is, for the context of a trainer_error.
    std::uint32_t stage = 0;
    std::optional<std::uint32_t> candidate;
    const auto report = [&] {
        for (const event& e : controller.events()) {
            ++result.events;
            stage = e.stage;
            if (e.kind == event_kind::candidate_start) {
                candidate = e.candidate;
            } else if (e.kind != event_kind::candidate_end && e.kind != event_kind::candidate_diverged) {
                candidate.reset();
            }
            observer(e);
        }
    };
    report();
    bool lr_set = false;
    double lr = 0.0;
    directive d = controller.pending();
    const char* operation = nullptr;  // the trainer call in progress: its exceptions get context
    try {
        while (d.kind != directive_kind::done) {
            switch (d.kind) {
                case directive_kind::train: {
                    // Set again after every restore: backends may restore the LR with the optimizer.
                    if (!lr_set || d.learning_rate != lr) {
                        operation = "set_learning_rate";
                        trainer.set_learning_rate(d.learning_rate);
                        lr = d.learning_rate;
                        lr_set = true;
                    }
                    operation = "train_step";
                    const step_result r = detail::run_step_result(trainer.train_step());
                    operation = nullptr;
                    if (r.applied) result.final_loss = r.loss;
                    d = controller.tell_step(r.loss, r.applied);
                    break;
                }
                case directive_kind::checkpoint:
                    operation = "checkpoint";
                    if constexpr (reusing_trainer<T>) {
                        if (slots[d.slot]) {
                            trainer.checkpoint(*slots[d.slot]);
                        } else {
                            slots[d.slot].emplace(trainer.checkpoint());
                        }
                    } else {
                        slots[d.slot].emplace(trainer.checkpoint());
                    }
                    operation = nullptr;
                    d = controller.tell_checkpointed();
                    break;
                case directive_kind::restore:
                    if (!slots[d.slot]) throw protocol_error("autolrs::run: restore of a slot that holds no checkpoint");
                    lr_set = false;  // also when the restore throws: the trainer's LR is unknown then
                    operation = "restore";
                    trainer.restore(*slots[d.slot]);
                    operation = nullptr;
                    d = controller.tell_restored();
                    break;
                case directive_kind::evaluate: {
                    operation = "validation_loss";
                    const auto loss = static_cast<double>(trainer.validation_loss());
                    operation = nullptr;
                    d = controller.tell_validation(loss);
                    break;
                }
                case directive_kind::done: break;
            }
            report();
        }
    } catch (...) {
        if (operation == nullptr) throw;  // the controller's or the observer's own exceptions
        const bool stepping = d.kind == directive_kind::train;
        throw trainer_error(operation, controller.steps_total(), stage, candidate,
                            stepping ? d.learning_rate : std::numeric_limits<double>::quiet_NaN(),
                            detail::current_exception_text());
    }
    result.steps_total = controller.steps_total();
    result.steps_trained = controller.steps_trained();
    result.steps_searched = controller.steps_searched();
    result.steps_skipped = controller.steps_skipped();
    result.evaluations = controller.evaluations();
    result.stages = controller.stages();
    result.divergences = controller.divergences();
    const auto rows = controller.schedule_rows();
    result.schedule_rows.assign(rows.begin(), rows.end());
    const std::uint64_t budget = controller.settings().total_steps;
    result.completed = budget == 0 || controller.steps_total() >= budget;
    return result;
}

template <trainer T, ask_tell_controller Controller>
run_result run(T& trainer, Controller& controller) {
    return run(trainer, controller, detail::ignore_events{});
}

/// Trains `steps` applied steps at the LR `schedule(step)` (step 0-based): a found schedule
/// (run_result::found_schedule()), a fixed schedule of autolrs::schedule, or any callable.
/// Returns the last step's training loss.
template <trainer T, class Schedule>
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


/// AutoLRS with the default controller (controller<>) over `total_steps` optimizer steps,
/// search included (settings.total_steps is set to it); `observer(const event&)` sees
/// every decision (autolrs::csv_event_writer, json_lines_event_writer, or any callable).
template <trainer T, class Observer>
run_result run(T& trainer, controller_settings settings, std::uint64_t total_steps, Observer&& observer) {
    settings.total_steps = total_steps;
    controller<> ctl(settings);
    return run(trainer, ctl, std::forward<Observer>(observer));
}

template <trainer T>
run_result run(T& trainer, const controller_settings& settings, std::uint64_t total_steps) {
    return run(trainer, settings, total_steps, detail::ignore_events{});
}

}  // namespace autolrs
