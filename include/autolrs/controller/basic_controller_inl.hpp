#pragma once
// basic_controller's protocol entry points (basic_controller.hpp), defined out of the class:
// not implicitly inline, so that an `extern template` (controller.hpp, in the compiled mode)
// keeps the whole state machine out of its users' translation units.

#include "autolrs/controller/basic_controller.hpp"

#include <istream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>

namespace autolrs {

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
basic_controller<Search, Forecaster, Objective, StopRule, Design>::basic_controller(
    const controller_settings& settings, Search search, Forecaster forecaster, Forecaster validation_forecaster,
    policies chosen)
    : detail::controller_state(settings),
      search_(std::move(search)),
      forecaster_(std::move(forecaster)),
      validation_forecaster_(std::move(validation_forecaster)),
      policies_(std::move(chosen)) {
    search_.reserve(settings_.candidates);
    if (settings_.warmup_steps > 0) {
        emit({.kind = event_kind::warmup_start, .learning_rate = warmup_lr_, .length = settings_.warmup_steps,
              .message = "warmup from lr_min to its target LR, no search"});
        begin_phase(settings_.warmup_steps);
        train_at(detail::warmup_lr_at(settings_, warmup_lr_, 0, phase_length_), wait::warmup_step);
    } else {
        start_stage();
    }
}

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
directive basic_controller<Search, Forecaster, Objective, StopRule, Design>::tell_step(double loss, bool applied) {
    expect(directive_kind::train, "tell_step");
    events_.clear();
    if (!applied) {
        trajectory_.count_skipped();
        return pending_;
    }
    count_step(loss);
    if (budget_spent()) {  // inside a search: restore the stage's start, not an unfinished candidate
        const bool searching = wait_ == wait::candidate_step || wait_ == wait::probe_step;
        searching ? await(directive_kind::restore, start_slot, wait::final_restore) : finish("the step budget is spent");
        return pending_;
    }
    switch (wait_) {
        case wait::warmup_step:
            if (phase_step_ >= phase_length_) {
                start_stage();
            } else {
                pending_.learning_rate = detail::warmup_lr_at(settings_, warmup_lr_, phase_step_, phase_length_);
            }
            break;
        case wait::candidate_step: candidate_step(loss); break;
        case wait::probe_step:
            if (exploding(loss, guard_train_loss_, over_train_)) {
                candidate_diverged(loss);
            } else if (val_signal_) {  // the window takes the probe's evaluations
                if (evaluates_after(phase_step_)) {
                    await(directive_kind::evaluate, 0, wait::probe_evaluation);
                } else {
                    pending_.learning_rate = probe_lr_at(candidate_lr_, phase_step_ - tau_prime_);
                }
            } else {
                window_[window_size_++] = loss;
                if (phase_step_ >= tau_prime_ + probe_steps_) {
                    end_candidate(judge(tau_prime_, probe_steps_), false);
                } else {
                    pending_.learning_rate = probe_lr_at(candidate_lr_, phase_step_ - tau_prime_);
                }
            }
            break;
        case wait::stage_step: stage_step(loss); break;
        case wait::cooldown_step: cooldown_step(loss); break;
        default: break;
    }
    return pending_;
}

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
directive basic_controller<Search, Forecaster, Objective, StopRule, Design>::tell_checkpointed() {
    expect(directive_kind::checkpoint, "tell_checkpointed");
    events_.clear();
    switch (wait_) {
        case wait::start_checkpoint:
            if (searched_) {
                begin_candidate();
            } else {
                start_training(stage_lr_, false, false);
            }
            break;
        case wait::winner_checkpoint: after_candidate(); break;
        case wait::cooldown_checkpoint: run_cooldown(); break;
        default: break;
    }
    return pending_;
}

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
directive basic_controller<Search, Forecaster, Objective, StopRule, Design>::tell_restored() {
    expect(directive_kind::restore, "tell_restored");
    events_.clear();
    switch (wait_) {
        case wait::candidate_restore: train_at(candidate_lr_, wait::candidate_step); break;
        case wait::stage_restore: train_stage_or_end(); break;
        case wait::recovery_restore: redecide(); break;
        case wait::cooldown_recovery_restore: run_cooldown(); break;
        case wait::final_restore:
            finish(budget_spent() ? "the step budget ran out inside a search: the stage's start was restored"
                                  : "the loss diverges even at lr_min: training stops");
            break;
        default: break;
    }
    return pending_;
}

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
directive basic_controller<Search, Forecaster, Objective, StopRule, Design>::tell_validation(double loss) {
    expect(directive_kind::evaluate, "tell_validation");
    events_.clear();
    ++evaluations_;
    if (wait_ == wait::start_evaluation) {
        start_val_loss_ = std::isfinite(loss) ? loss : event::none;
        await(directive_kind::checkpoint, start_slot, wait::start_checkpoint);
    } else if (wait_ == wait::candidate_evaluation) {
        if (exploding(loss, start_val_loss_, over_val_)) {
            candidate_diverged(loss);
        } else {
            window_[window_size_++] = loss;
            window_filled();
        }
    } else if (wait_ == wait::probe_evaluation) {
        if (exploding(loss, start_val_loss_, over_val_)) {
            candidate_diverged(loss);
        } else {
            window_[window_size_++] = loss;
            const std::size_t own = validation_points(tau_prime_);
            if (phase_step_ >= tau_prime_ + probe_steps_) {
                end_candidate(judge(own, window_size_ - own), false);
            } else {
                train_at(probe_lr_at(candidate_lr_, phase_step_ - tau_prime_), wait::probe_step);
            }
        }
    }
    return pending_;
}

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
void basic_controller<Search, Forecaster, Objective, StopRule, Design>::save(std::ostream& os) const {
    save_with(*this, os, search_);
}

template <class Search, class Forecaster, class Objective, class StopRule, class Design>
void basic_controller<Search, Forecaster, Objective, StopRule, Design>::load(std::istream& is) {
    load_into(*this, &basic_controller::search_, is);
}

}  // namespace autolrs
