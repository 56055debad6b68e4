#pragma once
// autolrs::directive_executor: the host's side of the ask/tell protocol for an
// autolrs::trainer. It holds the checkpoint slots and the LR last set, carries out ONE
// directive (the controller's pending one) and answers the controller with the matching
// tell_*(), returning the next directive. autolrs::run is a loop over it; a host that keeps
// its own loop (to observe, time, retry or stop between directives) uses it the same way:
//
//   autolrs::directive_executor host(trainer, ctl);   // sized for ctl's checkpoint slots
//   for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done;)
//       d = host.carry_out(ctl);
//
// What carrying out means, directive by directive:
//   train       set the LR if it differs from the one last set (or after a restore), one
//               train_step(), tell_step(loss, applied)
//   checkpoint  the trainer's state into the slot (a reusing_trainer overwrites the slot's
//               checkpoint in place), tell_checkpointed()
//   restore     the slot's state back into the trainer, tell_restored(); the LR counts as
//               unknown afterwards (some backends restore it with the optimizer state)
//   evaluate    validation_loss(), tell_validation(loss)
//   done        nothing
// A trainer call that throws becomes an autolrs::trainer_error that names the call and where
// the run was (step, stage, candidate, LR), with the trainer's exception nested; the
// controller is not told, so its pending directive is still the one that failed and the host
// may retry it with carry_out again (or call autolrs::run(host, controller) again: the slots
// stay in the executor). After a failed restore() the trainer holds whatever that call left
// (often the last candidate's state, while the controller still counts the stage's start):
// the retry restores the slot again before any step. A restore of a slot that holds no
// checkpoint throws autolrs::protocol_error.

#include "autolrs/errors.hpp"
#include "autolrs/event.hpp"
#include "autolrs/protocol.hpp"
#include "autolrs/trainer.hpp"

#include <array>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

namespace autolrs {

namespace detail {

/// A train_step()'s result as a step_result (a plain double counts as applied).
template <class R>
[[nodiscard]] step_result run_step_result(R&& r) {
    if constexpr (std::is_same_v<std::remove_cvref_t<R>, step_result>) {
        return r;
    } else {
        return {static_cast<double>(r), true};
    }
}

}  // namespace detail

/// Carries out a controller's directives against `Trainer`, with `SlotCount` checkpoint slots
/// (at least the controller's slot_count). Holds a reference to the trainer: keep the
/// trainer alive while the executor is used. One executor may serve several controllers in
/// turn (a controller saved and loaded into another one): the slots and the LR stay.
template <class Trainer, std::uint32_t SlotCount>
class directive_executor {
    static_assert(explain_trainer<Trainer>());  // unconstrained above, so that this message shows

public:
    using trainer_type = Trainer;
    using checkpoint_type = typename Trainer::checkpoint_type;
    static constexpr std::uint32_t slot_count = SlotCount;

    explicit directive_executor(Trainer& driven) noexcept : trainer_(&driven) {}

    /// Sized for `controller` (its slot_count); with the deduction guide below:
    /// `autolrs::directive_executor host(trainer, ctl);`
    template <class Controller>
    directive_executor(Trainer& driven, const Controller&) noexcept : trainer_(&driven) {
        static_assert(explain_answerable_controller<Controller>());
        static_assert(Controller::slot_count <= SlotCount,
                      "autolrs directive_executor: give it at least the controller's slot_count slots");
    }

    /// Carries out `controller.pending()` and answers it; returns the next directive (done
    /// stays done, and nothing is called). Throws autolrs::trainer_error when a trainer call
    /// throws and autolrs::protocol_error for a restore of an empty slot; the controller is
    /// told nothing then. The controller's own exceptions pass through unchanged.
    template <class Controller>
    directive carry_out(Controller& controller) {
        static_assert(explain_answerable_controller<Controller>());
        static_assert(Controller::slot_count <= SlotCount,
                      "autolrs directive_executor: give it at least the controller's slot_count slots");
        const directive d = controller.pending();
        if (d.kind != directive_kind::done) started_ = true;
        // The events that came with d say where the run is (a no-op when followed already).
        follow(controller.events());
        switch (d.kind) {
            case directive_kind::train: {
                // Set again after every restore: backends may restore the LR with the optimizer.
                if (!lr_set_ || d.learning_rate != lr_) {
                    call(controller, d, "set_learning_rate", [&] { trainer_->set_learning_rate(d.learning_rate); });
                    lr_ = d.learning_rate;
                    lr_set_ = true;
                }
                const step_result r =
                    call(controller, d, "train_step", [&] { return detail::run_step_result(trainer_->train_step()); });
                last_step_ = r;
                return controller.tell_step(r.loss, r.applied);
            }
            case directive_kind::checkpoint: {
                std::optional<checkpoint_type>& slot = slot_of(d);
                call(controller, d, "checkpoint", [&] {
                    if constexpr (reusing_trainer<Trainer>) {
                        if (slot) {
                            trainer_->checkpoint(*slot);
                            return;
                        }
                    }
                    slot.emplace(trainer_->checkpoint());
                });
                return controller.tell_checkpointed();
            }
            case directive_kind::restore: {
                const std::optional<checkpoint_type>& slot = slot_of(d);
                if (!slot) {
                    throw protocol_error("autolrs: restore of slot " + std::to_string(d.slot) +
                                         ", which holds no checkpoint");
                }
                lr_set_ = false;  // also when the restore throws: the trainer's LR is unknown then
                call(controller, d, "restore", [&] { trainer_->restore(*slot); });
                return controller.tell_restored();
            }
            case directive_kind::evaluate: {
                const double loss =
                    call(controller, d, "validation_loss", [&] { return static_cast<double>(trainer_->validation_loss()); });
                return controller.tell_validation(loss);
            }
            case directive_kind::done: break;
        }
        return d;
    }

    /// Whether carry_out was asked to carry out a directive (even one that failed): run()
    /// with this executor then does not report the controller's last events again.
    [[nodiscard]] bool started() const noexcept { return started_; }

    /// What the last train directive's train_step() reported (nullopt before the first one).
    [[nodiscard]] const std::optional<step_result>& last_step() const noexcept { return last_step_; }

    /// The checkpoint slots, by the controller's slot number. A host that keeps its
    /// checkpoints across a save/load of the controller puts them back here.
    [[nodiscard]] std::span<std::optional<checkpoint_type>, SlotCount> slots() noexcept { return slots_; }
    [[nodiscard]] std::span<const std::optional<checkpoint_type>, SlotCount> slots() const noexcept { return slots_; }

    /// The next train directive sets the LR even if it equals the last one set: call it after
    /// changing the trainer behind the executor's back (a restore of the host's own).
    void forget_learning_rate() noexcept { lr_set_ = false; }

private:
    // Where the run is, for the context of a trainer_error: the last event's stage, and the
    // candidate being tried (until an event outside the candidate's own says it is over).
    void follow(std::span<const event> events) noexcept {
        for (const event& e : events) {
            stage_ = e.stage;
            if (e.kind == event_kind::candidate_start) {
                candidate_ = e.candidate;
            } else if (e.kind != event_kind::candidate_end && e.kind != event_kind::candidate_diverged) {
                candidate_.reset();
            }
        }
    }

    std::optional<checkpoint_type>& slot_of(const directive& d) {
        if (d.slot >= SlotCount) {
            throw protocol_error("autolrs: directive for slot " + std::to_string(d.slot) + ", but the executor has " +
                                 std::to_string(SlotCount) + " slots");
        }
        return slots_[d.slot];
    }

    // Runs one trainer call; its exception becomes a trainer_error with the run's context.
    template <class Controller, class Call>
    decltype(auto) call(const Controller& controller, const directive& d, const char* operation, Call&& trainer_call) {
        try {
            return trainer_call();
        } catch (...) {
            const bool stepping = d.kind == directive_kind::train;
            throw trainer_error(operation, controller.steps_total(), stage_, candidate_,
                                stepping ? d.learning_rate : std::numeric_limits<double>::quiet_NaN(),
                                detail::current_exception_text());
        }
    }

    Trainer* trainer_;
    std::array<std::optional<checkpoint_type>, SlotCount> slots_;
    bool lr_set_ = false;
    double lr_ = 0.0;
    std::optional<step_result> last_step_;
    bool started_ = false;
    std::uint32_t stage_ = 0;
    std::optional<std::uint32_t> candidate_;
};

template <class T, class C>
directive_executor(T&, const C&) -> directive_executor<T, C::slot_count>;

}  // namespace autolrs
