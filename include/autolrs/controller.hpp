#pragma once
// The AutoLRS controller: an ask/tell state machine that the host's training loop drives.
//
// The protocol. The host owns the model, the optimizer and the loop. The controller hands
// out one directive at a time; the host carries it out and acknowledges it with the
// matching tell_*() call, which returns the next directive:
//
//   directive              host does                                  then calls
//   train (learning_rate)  set the LR, run ONE optimizer step          tell_step(loss, applied)
//   checkpoint (slot)      save model+optimizer state into slot        tell_checkpointed()
//   restore (slot)         put slot's state back exactly               tell_restored()
//   evaluate               compute the validation loss                 tell_validation(loss)
//   done                   stop: the budget is spent                   -
//
// Two slots: 0 holds the current stage's start state, 1 the best candidate's end state
// (only with keep_winner_state). A step reported with applied = false (a skipped
// mixed-precision step, a gradient-accumulation micro-step) does not count: the same
// directive comes back. After a restore, set the LR again before the next step (some
// backends restore the LR with the optimizer state). Calling a tell_*() that does not
// match the pending directive throws autolrs::protocol_error.
//
// What happens: an optional warmup; then stages. A stage checkpoints its start (slot 0),
// tries up to `candidates` LRs for tau' steps each (restoring slot 0 before each but the
// first; the first few from a space-filling design, then from the search), forecasts each
// candidate's loss at the stage's horizon tau and tells the search (forecast variance as
// the observation's noise), picks the lowest forecast, and trains the stage at that LR
// (from the winner's state when kept). With anneal_probe (on by default) each candidate then
// trains anneal_probe * tau' more steps at anneal_probe_ratio times its LR, and what it is
// judged by is its forecast less the loss that short anneal removed: over a few dozen steps a
// small LR otherwise wins by settling into the current valley (noise the final cooldown
// removes anyway), not by progress, and the schedule decays far too early. The search
// stops early when its expected gain is small. When the budget is known, stages are
// planned to fit, a search that cannot pay back is skipped, and the last cooldown_fraction
// of the budget anneals the LR. Every decision is reported as an event (events() after
// each call).
//
// Divergence: a non-finite loss, or one above divergence_factor times the stage's starting
// level for divergence_patience measurements in a row (training loss against the top of
// the recent training losses; validation loss against the stage's starting validation
// loss). A diverging candidate stops at once and is told to the search as infeasible
// (LRs above divergence_backoff times it are not tried again in that stage; it does not
// count towards `candidates`). A diverging stage (or cooldown) is restored to slot 0, the
// LR ceiling drops to divergence_backoff times its LR for the rest of training, and the
// stage is re-decided among its candidates below the ceiling (else it trains at the
// ceiling); a stage diverging at lr_min restores slot 0 and ends training (done). Every
// candidate diverging: the stage trains at lr_min. Each case is an event.
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
//
// Determinism and resume: the same settings and the same loss stream give bit-identical
// directives and events. save() writes the whole state as versioned text (doubles as hex
// floats); load() on a controller built with the same settings continues exactly where
// the saved one was, even mid-stage (the current stage's search is rebuilt by replaying
// its calls). A state saved under other settings throws autolrs::invalid_state naming
// the setting that differs.

#include "autolrs/controller_settings.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/event.hpp"
#include "autolrs/forecast/concept.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"
#include "autolrs/trainer.hpp"
#include "autolrs/types.hpp"
#include "autolrs/detail/state_text.hpp"
#include "autolrs/search/bayes_opt.hpp"
#include "autolrs/search/concept.hpp"
#include "autolrs/protocol.hpp"
#include "autolrs/acquisition/lower_confidence_bound.hpp"
#include "autolrs/acquisition/expected_improvement.hpp"
#include "autolrs/surrogate/gaussian_process.hpp"
#include "autolrs/kernel/matern52.hpp"
#include "autolrs/forecast/exponential.hpp"
#include "autolrs/forecast/reference.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <istream>
#include <limits>
#include <numbers>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace autolrs {

namespace detail {

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

[[nodiscard]] inline double ramp(ramp_shape shape, double fraction) noexcept {
    return shape == ramp_shape::linear ? fraction : 0.5 * (1.0 - std::cos(std::numbers::pi * fraction));
}

inline constexpr std::uint32_t no_candidate = 0xffffffffU;

}  // namespace detail

/// The controller, for any search and forecaster (see the protocol at the top of this
/// header). `autolrs::controller<Surrogate, Acquisition, Forecaster>` is this with
/// autolrs::bayes_opt as the search.
template <class Search, class Forecaster>
class basic_controller {
    static_assert(explain_lr_search<Search>());
    static_assert(explain_loss_forecaster<Forecaster>());

public:
    using search_type = Search;
    using forecaster_type = Forecaster;
    static constexpr std::uint32_t start_slot = 0;   ///< the stage's start state
    static constexpr std::uint32_t winner_slot = 1;  ///< the best candidate's end state
    static constexpr std::uint32_t slot_count = 2;
    static constexpr std::string_view state_format = "autolrs-controller-state";
    static constexpr std::uint64_t state_version = 2;

    /// `search` must already be set up for x = log(LR) in [log(lr_min), log(lr_max)].
    /// `forecaster` forecasts training-loss windows, `validation_forecaster` validation-loss
    /// windows (by default the same).
    basic_controller(const controller_settings& settings, Search search, Forecaster forecaster = Forecaster{})
        : basic_controller(settings, std::move(search), forecaster, forecaster) {}
    basic_controller(const controller_settings& settings, Search search, Forecaster forecaster,
                     Forecaster validation_forecaster)
        : settings_(validated(settings)),
          prototype_(std::move(search)),
          search_(prototype_),
          forecaster_(std::move(forecaster)),
          validation_forecaster_(std::move(validation_forecaster)) {
        resolve();
        begin();
    }

    // ---- the protocol ------------------------------------------------------------------------

    /// The directive the host must carry out now.
    [[nodiscard]] const directive& pending() const noexcept { return pending_; }

    /// After a `train` directive: the step's loss, and whether the step was really applied.
    /// Does not allocate.
    directive tell_step(double loss, bool applied = true) {
        expect(directive_kind::train, "tell_step");
        events_.clear();
        if (!applied) {
            ++steps_skipped_;
            return pending_;
        }
        ++steps_total_;
        ++phase_step_;
        last_loss_ = loss;
        switch (wait_) {
            case wait::warmup_step:
            case wait::cooldown_step:
                trajectory_step(pending_.learning_rate);
                remember(loss);
                break;
            case wait::stage_step:
                ++steps_trained_;
                remember(loss);
                break;
            default:
                ++steps_searched_;
                break;
        }
        if (budget_spent()) {
            finish("the step budget is spent");
            return pending_;
        }
        switch (wait_) {
            case wait::warmup_step: warmup_step(); break;
            case wait::candidate_step: candidate_step(loss); break;
            case wait::probe_step: probe_step(loss); break;
            case wait::stage_step: stage_step(loss); break;
            case wait::cooldown_step: cooldown_step(loss); break;
            default: break;
        }
        return pending_;
    }
    directive tell_step(step_result result) { return tell_step(result.loss, result.applied); }

    /// After a `checkpoint` directive.
    directive tell_checkpointed() {
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

    /// After a `restore` directive.
    directive tell_restored() {
        expect(directive_kind::restore, "tell_restored");
        events_.clear();
        switch (wait_) {
            case wait::candidate_restore: train_at(candidate_lr_, wait::candidate_step); break;
            case wait::stage_restore:
                if (phase_length_ == 0) {
                    end_stage();
                } else {
                    train_at(stage_lr_, wait::stage_step);
                }
                break;
            case wait::recovery_restore: redecide(); break;
            case wait::cooldown_recovery_restore: run_cooldown(); break;
            case wait::final_restore: finish("the loss diverges even at lr_min: training stops"); break;
            default: break;
        }
        return pending_;
    }

    /// After an `evaluate` directive: the validation loss.
    directive tell_validation(double loss) {
        expect(directive_kind::evaluate, "tell_validation");
        events_.clear();
        ++evaluations_;
        if (wait_ == wait::start_evaluation) {
            start_val_loss_ = std::isfinite(loss) ? loss : event::none;
            pending_ = {directive_kind::checkpoint, 0.0, start_slot};
            wait_ = wait::start_checkpoint;
        } else if (wait_ == wait::candidate_evaluation) {
            if (exploding(loss, start_val_loss_, over_val_)) {
                candidate_diverged(loss);
            } else {
                window_[window_size_++] = loss;
                if (phase_step_ >= tau_prime_) {
                    end_candidate(current_forecast(), false);
                } else if (const auto raced = race_forecast()) {
                    end_candidate(*raced, true);
                } else {
                    train_at(candidate_lr_, wait::candidate_step);
                }
            }
        }
        return pending_;
    }

    /// The events of the last call (or of construction, before the first call).
    [[nodiscard]] std::span<const event> events() const noexcept { return events_; }

    // ---- progress ----------------------------------------------------------------------------

    [[nodiscard]] const controller_settings& settings() const noexcept { return settings_; }
    /// The current stage's search (rebuilt from a pristine copy at every stage).
    [[nodiscard]] const Search& search() const noexcept { return search_; }
    [[nodiscard]] const Forecaster& forecaster() const noexcept { return forecaster_; }
    [[nodiscard]] bool finished() const noexcept { return pending_.kind == directive_kind::done; }
    /// Every applied optimizer step so far, search included.
    [[nodiscard]] std::uint64_t steps_total() const noexcept { return steps_total_; }
    /// Steps on the final model's trajectory (warmup, stages, kept winners, cooldown).
    [[nodiscard]] std::uint64_t steps_trained() const noexcept { return steps_trained_; }
    /// Steps whose results were thrown away (candidates not kept, stages that diverged).
    [[nodiscard]] std::uint64_t steps_searched() const noexcept { return steps_searched_; }
    /// Steps reported with applied = false.
    [[nodiscard]] std::uint64_t steps_skipped() const noexcept { return steps_skipped_; }
    [[nodiscard]] std::uint64_t evaluations() const noexcept { return evaluations_; }
    /// Stages started so far (searched or not).
    [[nodiscard]] std::uint32_t stages() const noexcept { return stages_started_; }
    [[nodiscard]] std::uint32_t divergences() const noexcept { return divergences_; }
    /// The LR ceiling left by divergences (lr_max when none).
    [[nodiscard]] double learning_rate_ceiling() const noexcept { return ceiling_; }
    /// The found schedule so far as rows (start_step, lr), in trajectory steps: the steps
    /// that shaped the model (warmup, stages, kept winners, cooldown), not the search's.
    [[nodiscard]] std::span<const schedule::piecewise_constant_row> schedule_rows() const noexcept { return schedule_; }
    /// The found schedule so far, to replay with no search (autolrs::run_schedule).
    /// Throws autolrs::invalid_setting while no step has been trained.
    [[nodiscard]] schedule::piecewise_constant found_schedule() const {
        return schedule::piecewise_constant({schedule_});
    }
    /// The resolved stage lengths: first stage, longest stage, cooldown steps.
    [[nodiscard]] std::uint64_t first_stage_length() const noexcept { return tau0_; }
    [[nodiscard]] std::uint64_t longest_stage_length() const noexcept { return tau_max_; }
    [[nodiscard]] std::uint64_t cooldown_steps() const noexcept { return cooldown_steps_; }

    // ---- save and load -------------------------------------------------------------------

    /// Writes the whole state (versioned text; doubles as hex floats, so exact).
    void save(std::ostream& os) const {
        detail::state_text_writer w(os);
        w.line(state_format, state_version);
        for (const auto& [name, value] : detail::describe(settings_)) w.line("setting", name, std::string_view(value));
        state_saver saver{w};
        visit_state(*this, saver);
        w.line("end");
    }
    [[nodiscard]] std::string save() const {
        std::ostringstream os;
        save(os);
        return os.str();
    }

    /// Replaces this controller's state by a saved one. The controller must have been built
    /// with the same settings (else autolrs::invalid_state names the setting that differs)
    /// and an equal search and forecaster.
    void load(std::istream& is) {
        detail::state_text_reader r(is);
        r.expect(state_format);
        const std::uint64_t version = r.get_u64();
        if (version != state_version) {
            throw invalid_state("unsupported " + std::string(state_format) + " version " + std::to_string(version));
        }
        for (const auto& [name, value] : detail::describe(settings_)) {
            r.expect("setting");
            const std::string saved_name = r.get_word();
            const std::string saved_value = r.get_word();
            if (saved_name != name) {
                throw invalid_state("expected setting '" + std::string(name) + "', found '" + saved_name + "'");
            }
            if (saved_value != value) {
                throw invalid_state("setting '" + std::string(name) + "' differs: saved " + saved_value +
                                    ", this controller has " + value);
            }
        }
        basic_controller copy(*this);
        state_loader loader{r};
        visit_state(copy, loader);
        r.expect("end");
        copy.check_loaded(window_.size());
        copy.window_.resize(window_.size());
        try {
            copy.replay_search();
        } catch (const invalid_state&) {
            throw;
        } catch (const std::exception& e) {
            throw invalid_state(std::string("replaying the stage's search failed: ") + e.what());
        }
        copy.reserve_buffers();
        copy.events_.clear();
        *this = std::move(copy);
    }
    void load(std::string_view text) {
        std::istringstream is{std::string(text)};
        load(is);
    }

private:
    /// A loaded state must be one the controller could have reached: else a damaged file
    /// would index past buffers or hand out LRs outside [lr_min, lr_max].
    void check_loaded(std::size_t window_capacity) const {
        const controller_settings& s = settings_;
        const auto require = [](bool ok, const char* what) {
            if (!ok) throw invalid_state(std::string("inconsistent state: ") + what);
        };
        const auto lr_ok = [&](double lr) { return std::isfinite(lr) && lr >= s.lr_min && lr <= s.lr_max; };
        const auto lr_or_unset = [&](double lr) { return lr == 0.0 || lr_ok(lr); };
        const auto finite_observation = [](const observation& o) {
            return std::isfinite(o.x) && std::isfinite(o.y) && std::isfinite(o.noise_variance) && o.noise_variance >= 0.0;
        };
        require(pending_.kind <= directive_kind::done && wait_ <= wait::finished, "unknown directive or wait");
        require(pending_.slot < slot_count, "pending_slot");
        directive_kind expected = directive_kind::restore;
        switch (wait_) {
            case wait::warmup_step:
            case wait::candidate_step:
            case wait::probe_step:
            case wait::stage_step:
            case wait::cooldown_step: expected = directive_kind::train; break;
            case wait::start_evaluation:
            case wait::candidate_evaluation: expected = directive_kind::evaluate; break;
            case wait::start_checkpoint:
            case wait::winner_checkpoint:
            case wait::cooldown_checkpoint: expected = directive_kind::checkpoint; break;
            case wait::finished: expected = directive_kind::done; break;
            default: break;
        }
        require(pending_.kind == expected, "the pending directive does not match what it waits for");
        if (pending_.kind == directive_kind::train) {
            const double lr = pending_.learning_rate;
            require(std::isfinite(lr) && lr > 0.0 && lr <= s.lr_max &&
                        (wait_ == wait::cooldown_step || lr >= s.lr_min),
                    "pending_learning_rate");
        }
        require(steps_trained_ + steps_searched_ == steps_total_ && stage_begin_trained_ <= steps_trained_ &&
                    (s.total_steps == 0 || steps_total_ <= s.total_steps),
                "step counts");
        require(tau_ <= tau_max_ && planned_tau_ <= tau_max_ && tau_prime_ + probe_steps_ < window_capacity &&
                    (probe_steps_ == 0 || !val_signal_) &&
                    window_size_ < window_capacity && val_interval_ >= 1 && (!searched_ || tau_prime_ <= horizon_),
                "stage lengths");
        if (wait_ == wait::candidate_step || wait_ == wait::candidate_evaluation || wait_ == wait::candidate_restore) {
            require(phase_step_ <= tau_prime_ && window_size_ <= phase_step_, "candidate progress");
        }
        if (wait_ == wait::probe_step) {
            require(probe_steps_ > 0 && phase_step_ >= tau_prime_ && phase_step_ < tau_prime_ + probe_steps_ &&
                        window_size_ == phase_step_,
                    "anneal probe progress");
        }
        if (wait_ == wait::warmup_step) {
            require(phase_length_ == s.warmup_steps && phase_step_ < phase_length_, "warmup progress");
        }
        if (wait_ == wait::cooldown_step) {
            require(phase_step_ < phase_length_ && phase_length_ - phase_step_ == s.total_steps - steps_total_,
                    "cooldown progress");
        }
        require(recent_next_ < recent_capacity && recent_count_ <= recent_capacity &&
                    saved_recent_next_ < recent_capacity && saved_recent_count_ <= recent_capacity,
                "recent losses");
        require(lr_ok(ceiling_) && lr_or_unset(stage_lr_) && lr_or_unset(last_lr_) && lr_or_unset(candidate_lr_) &&
                    std::isfinite(candidate_x_) && std::isfinite(cooldown_lr_) && cooldown_lr_ >= 0.0 &&
                    cooldown_lr_ <= s.lr_max,
                "learning rates");
        require(candidates_.size() <= 2 * static_cast<std::size_t>(s.candidates), "too many candidates");
        for (const candidate_record& c : candidates_) {
            require(std::isfinite(c.x) && lr_ok(c.learning_rate) && c.status <= forecast_status::invalid_input &&
                        (!c.feasible || (std::isfinite(c.forecast) && std::isfinite(c.stddev * c.stddev))),
                    "a candidate");
        }
        require((winner_ == detail::no_candidate || winner_ < candidates_.size()) &&
                    (last_candidate_ == detail::no_candidate || last_candidate_ < candidates_.size()),
                "winner or last candidate");
        require(std::all_of(warm_.begin(), warm_.end(), finite_observation) &&
                    std::all_of(log_warm_.begin(), log_warm_.end(), finite_observation),
                "warm-start observations");
        for (const search_call& call : log_) require(call.op <= search_op::gain, "an unknown search call");
        require(stage_schedule_size_ <= schedule_.size(), "stage_schedule_size");
        for (std::size_t i = 0; i < schedule_.size(); ++i) {
            const auto& row = schedule_[i];
            require(std::isfinite(row.lr) && row.lr > 0.0 && row.lr <= s.lr_max && row.start_step <= steps_trained_ &&
                        (i == 0 || schedule_[i - 1].start_step <= row.start_step),
                    "the schedule");
        }
    }

    enum class wait : std::uint8_t {
        warmup_step,
        start_evaluation,
        start_checkpoint,
        candidate_restore,
        candidate_step,
        probe_step,
        candidate_evaluation,
        winner_checkpoint,
        stage_restore,
        stage_step,
        recovery_restore,
        cooldown_checkpoint,
        cooldown_step,
        cooldown_recovery_restore,
        final_restore,
        finished,
    };

    struct candidate_record {
        double x = 0.0;
        double learning_rate = 0.0;
        double forecast = 0.0;
        double stddev = 0.0;
        forecast_status status = forecast_status::fitted;
        bool feasible = false;
    };

    enum class search_op : std::uint8_t { reset, warm_start, ask, tell, tell_infeasible, gain };
    struct search_call {
        search_op op = search_op::reset;
        double a = 0.0;
        double b = 0.0;
        double c = 0.0;
        std::uint64_t seed = 0;
    };

    static constexpr std::size_t recent_capacity = 16;

    static controller_settings validated(const controller_settings& s) {
        s.validate();
        return s;
    }

    // ---- setup ---------------------------------------------------------------------------

    static std::uint64_t candidate_steps_for(std::uint64_t tau, double fraction) noexcept {
        const auto tp = static_cast<std::uint64_t>(std::llround(static_cast<double>(tau) * fraction));
        return std::clamp<std::uint64_t>(tp, 1, std::max<std::uint64_t>(tau, 1));
    }

    /// The anneal probe's length after a candidate of `tau_prime` steps (0: no probe).
    [[nodiscard]] std::uint64_t probe_steps_for(std::uint64_t tau_prime) const noexcept {
        if (settings_.anneal_probe <= 0.0) return 0;
        return std::max<std::uint64_t>(
            2, static_cast<std::uint64_t>(std::llround(settings_.anneal_probe * static_cast<double>(tau_prime))));
    }

    void resolve() {
        const controller_settings& s = settings_;
        const std::uint64_t budget = s.total_steps;
        log_lr_min_ = std::log(s.lr_min);
        log_lr_max_ = std::log(s.lr_max);
        tau_max_ = s.tau_max != 0 ? s.tau_max : (budget != 0 ? std::max<std::uint64_t>(budget / 4, 1) : 8000);
        tau0_ = s.tau0 != 0 ? s.tau0 : std::min(tau_max_, budget != 0 ? std::max<std::uint64_t>(budget / 16, 1) : 1000);
        tau_max_ = std::max(tau_max_, tau0_);
        aware_ = s.budget_aware && budget != 0;
        cooldown_steps_ = 0;
        if (aware_) {
            cooldown_steps_ = static_cast<std::uint64_t>(std::llround(s.cooldown_fraction * static_cast<double>(budget)));
            cooldown_steps_ = std::min(cooldown_steps_, budget - s.warmup_steps);
        }
        cooldown_start_ = budget - cooldown_steps_;
        warmup_lr_ = s.warmup_lr != 0.0 ? s.warmup_lr : std::sqrt(s.lr_min * s.lr_max);
        ceiling_ = s.lr_max;
        tau_ = tau0_;
        envelope_decay_ = std::exp(-1.0 / static_cast<double>(s.divergence_memory));

        const std::uint64_t longest_candidate = candidate_steps_for(tau_max_, s.candidate_fraction);
        window_.assign(longest_candidate + probe_steps_for(longest_candidate) + 1, 0.0);
        reserve_buffers();
    }

    /// Capacity for everything a step may append to, so that tell_step never allocates.
    void reserve_buffers() {
        const std::size_t k = settings_.candidates;
        candidates_.reserve(2 * k);
        warm_.reserve(2 * k);
        log_warm_.reserve(2 * k);
        log_.reserve(8 * k + 8);
        events_.reserve(16);
        std::size_t per_step_segments = 0;  // warmup and cooldown record one segment per step
        if (wait_ == wait::finished || wait_ == wait::warmup_step) {
            per_step_segments = static_cast<std::size_t>(settings_.warmup_steps);
        } else if (wait_ == wait::cooldown_step || wait_ == wait::cooldown_checkpoint ||
                   wait_ == wait::cooldown_recovery_restore) {
            per_step_segments = static_cast<std::size_t>(settings_.total_steps - steps_total_);
        }
        schedule_.reserve(schedule_.size() + per_step_segments + 64);
    }

    void begin() {
        events_.clear();
        if (settings_.warmup_steps > 0) {
            emit({.kind = event_kind::warmup_start, .learning_rate = warmup_lr_, .length = settings_.warmup_steps,
                  .message = "warmup from lr_min to its target LR, no search"});
            phase_step_ = 0;
            phase_length_ = settings_.warmup_steps;
            train_at(warmup_lr_at(0), wait::warmup_step);
        } else {
            start_stage();
        }
    }

    // ---- small helpers -------------------------------------------------------------------

    void expect(directive_kind kind, const char* call) const {
        if (pending_.kind != kind) {
            throw protocol_error(std::string("autolrs controller: ") + call + "() called, but the pending directive is '" +
                                 std::string(to_string(pending_.kind)) + "'");
        }
    }

    void emit(event e) {
        e.step = steps_total_;
        e.stage = stage_index_;
        events_.push_back(e);
    }

    void train_at(double lr, wait next) {
        pending_ = {directive_kind::train, lr, 0};
        wait_ = next;
    }

    [[nodiscard]] bool budget_spent() const noexcept {
        return settings_.total_steps != 0 && steps_total_ >= settings_.total_steps;
    }

    [[nodiscard]] double upper() const noexcept { return std::min(settings_.lr_max, ceiling_); }

    [[nodiscard]] double warmup_lr_at(std::uint64_t step) const noexcept {
        const double fraction = static_cast<double>(step + 1) / static_cast<double>(settings_.warmup_steps);
        return settings_.lr_min + (warmup_lr_ - settings_.lr_min) * detail::ramp(settings_.warmup_shape, fraction);
    }

    [[nodiscard]] double cooldown_lr_at(std::uint64_t step) const noexcept {
        const double fraction = static_cast<double>(step) / static_cast<double>(std::max<std::uint64_t>(phase_length_, 1));
        const double r = settings_.cooldown_final_ratio;
        return cooldown_lr_ * (r + (1.0 - r) * (1.0 - detail::ramp(settings_.cooldown_shape, fraction)));
    }

    /// A step on the final trajectory at `lr` (warmup and cooldown; stages record at decision).
    void trajectory_step(double lr) {
        record_lr(steps_trained_, lr);
        ++steps_trained_;
    }

    /// The found schedule's row for `start` on (start steps strictly increase, LRs change).
    void record_lr(std::uint64_t start, double lr) {
        if (!schedule_.empty() && schedule_.back().start_step == start) schedule_.pop_back();
        if (schedule_.empty() || schedule_.back().lr != lr) schedule_.push_back({start, lr});
    }

    void remember(double loss) {
        if (!std::isfinite(loss)) return;
        // The guard level: the top of the losses' envelope, forgetting a high loss over
        // divergence_memory steps. Not their mean: per-step losses (minibatch noise, slow
        // fluctuations near a noise floor) often sit several times above a recent mean,
        // while a divergence outgrows any bound.
        envelope_ = std::isfinite(envelope_) ? std::max(loss, envelope_ * envelope_decay_) : loss;
        recent_[recent_next_] = loss;
        recent_next_ = (recent_next_ + 1) % recent_capacity;
        recent_count_ = std::min<std::uint64_t>(recent_count_ + 1, recent_capacity);
    }

    [[nodiscard]] double recent_mean() const noexcept {
        if (recent_count_ == 0) return event::none;
        double sum = 0.0;
        for (std::uint64_t i = 0; i < recent_count_; ++i) sum += recent_[i];
        return sum / static_cast<double>(recent_count_);
    }

    /// A non-finite loss diverges at once; one above factor * reference must persist.
    [[nodiscard]] bool exploding(double loss, double reference, std::uint32_t& over) const noexcept {
        if (!std::isfinite(loss)) return true;
        if (!std::isfinite(reference) || reference == 0.0) return false;
        const double threshold = reference + (settings_.divergence_factor - 1.0) * std::abs(reference);
        over = loss > threshold ? over + 1 : 0;
        return over >= settings_.divergence_patience;
    }

    [[nodiscard]] double signal_start_loss() const noexcept { return val_signal_ ? start_val_loss_ : start_train_loss_; }

    /// The stage's loss scale: the improvement its best forecast promises over the stage's
    /// start, or (when none) the spread of its forecasts.
    [[nodiscard]] double loss_scale() const noexcept {
        double lo = std::numeric_limits<double>::infinity();
        double hi = -lo;
        for (const candidate_record& c : candidates_) {
            if (!c.feasible) continue;
            lo = std::min(lo, c.forecast);
            hi = std::max(hi, c.forecast);
        }
        if (!std::isfinite(lo)) return 0.0;
        const double start = signal_start_loss();
        const double improvement = std::isfinite(start) ? start - lo : 0.0;
        return improvement > 0.0 ? improvement : hi - lo;
    }

    // ---- the search, with every call logged for replay at load ---------------------------

    double search_ask() {
        const double x = static_cast<double>(search_.ask());
        log_.push_back({search_op::ask, x, 0.0, 0.0, 0});
        return x;
    }
    void search_tell(double x, double y, double noise_variance) {
        search_.tell(x, y, noise_variance);
        log_.push_back({search_op::tell, x, y, noise_variance, 0});
    }
    void search_infeasible(double x) {
        search_.tell_infeasible(x);
        log_.push_back({search_op::tell_infeasible, x, 0.0, 0.0, 0});
        search_top_x_ = std::min(search_top_x_, x);
    }
    /// A candidate diverged at x: LRs above divergence_backoff * exp(x) are infeasible for the
    /// rest of the stage (the LR just below a divergence is rarely worth a candidate).
    void mark_infeasible(double x) { search_infeasible(x + std::log(settings_.divergence_backoff)); }
    double search_gain() {
        const double gain = static_cast<double>(std::as_const(search_).expected_gain());
        log_.push_back({search_op::gain, gain, 0.0, 0.0, 0});
        return gain;
    }

    void prepare_search() {
        search_ = prototype_;
        log_.clear();
        log_warm_.clear();
        const std::uint64_t seed = detail::splitmix64(settings_.seed + 0x9e3779b97f4a7c15ULL * (stage_index_ + 1ULL));
        search_.reset(seed);
        log_.push_back({search_op::reset, 0.0, 0.0, 0.0, seed});
        search_top_x_ = std::log(upper());
        const double start = signal_start_loss();
        if (settings_.warm_start && !warm_.empty() && std::isfinite(start)) {
            // Finite only: losses near the largest double overflow these sums and squares.
            const double extra = std::pow(settings_.warm_start_noise * warm_scale_, 2);
            for (const observation& o : warm_) {
                if (o.x <= search_top_x_ && std::isfinite(o.y + start) && std::isfinite(o.noise_variance)) {
                    log_warm_.push_back({o.x, o.y + start, o.noise_variance});
                }
            }
            if (!std::isfinite(extra)) log_warm_.clear();
            if (!log_warm_.empty()) {
                search_.warm_start(std::span<const observation>(log_warm_), extra);
                log_.push_back({search_op::warm_start, extra, 0.0, 0.0, 0});
            }
        }
        if (ceiling_ < settings_.lr_max) {
            search_.tell_infeasible(search_top_x_);
            log_.push_back({search_op::tell_infeasible, search_top_x_, 0.0, 0.0, 0});
        }
    }

    void replay_search() {
        search_ = prototype_;
        for (const search_call& call : log_) {
            switch (call.op) {
                case search_op::reset: search_.reset(call.seed); break;
                case search_op::warm_start: search_.warm_start(std::span<const observation>(log_warm_), call.a); break;
                case search_op::ask: {
                    const double x = static_cast<double>(search_.ask());
                    if (!(x == call.a)) throw invalid_state("replaying the stage's search gave a different LR: the search "
                                                            "is not deterministic, or differs from the saved one");
                    break;
                }
                case search_op::tell: search_.tell(call.a, call.b, call.c); break;
                case search_op::tell_infeasible: search_.tell_infeasible(call.a); break;
                case search_op::gain: {
                    const double gain = static_cast<double>(std::as_const(search_).expected_gain());
                    if (!(gain == call.a)) throw invalid_state("replaying the stage's search gave a different expected "
                                                               "gain: the search differs from the saved one");
                    break;
                }
            }
        }
    }

    // ---- stages ----------------------------------------------------------------------------

    [[nodiscard]] std::uint64_t room() const noexcept {
        if (!aware_) return std::numeric_limits<std::uint64_t>::max();
        return cooldown_start_ > steps_total_ ? cooldown_start_ - steps_total_ : 0;
    }

    /// Worst-case steps of a searched stage of horizon tau (all candidates).
    [[nodiscard]] std::uint64_t stage_cost(std::uint64_t tau) const noexcept {
        const std::uint64_t tp = candidate_steps_for(tau, settings_.candidate_fraction);
        const std::uint64_t per_candidate = tp + probe_steps_for(tp);
        return settings_.candidates * per_candidate + std::max(tau, per_candidate) -
               (settings_.keep_winner_state ? per_candidate : 0);
    }

    [[nodiscard]] std::uint64_t shortest_searched_stage() const noexcept { return std::max<std::uint64_t>(tau0_ / 2, 1); }

    void start_stage() {
        if (aware_ && room() == 0) {
            start_cooldown();
            return;
        }
        const std::uint64_t available = room();
        std::uint64_t horizon = tau_;
        searched_ = upper() > settings_.lr_min;
        std::string_view skip_reason = "the LR ceiling left by divergences is lr_min: nothing to search";
        if (aware_ && searched_) {
            if (stage_cost(horizon) > available) {
                // The largest horizon whose worst-case search still fits.
                const double per_step = 1.0 + settings_.candidate_fraction * (1.0 + settings_.anneal_probe) *
                                                  (settings_.candidates - (settings_.keep_winner_state ? 1.0 : 0.0));
                horizon = static_cast<std::uint64_t>(static_cast<double>(available) / per_step) + 1;
                while (horizon > 0 && stage_cost(horizon) > available) --horizon;
                if (horizon == 0 || (horizon < shortest_searched_stage() && has_stage_lr_)) {
                    searched_ = false;
                    skip_reason = "a search would not pay back before the cooldown: the last LR goes on";
                }
            }
            if (searched_) {
                const std::uint64_t leftover = available - stage_cost(horizon);
                tau_prime_ = candidate_steps_for(horizon, settings_.candidate_fraction);
                planned_tau_ = horizon;
                // Too little would be left for another searched stage: this one takes it.
                if (leftover < stage_cost(shortest_searched_stage())) horizon += leftover;
            }
        } else if (searched_) {
            tau_prime_ = candidate_steps_for(horizon, settings_.candidate_fraction);
            planned_tau_ = horizon;
        }

        stage_begin_trained_ = steps_trained_;
        stage_schedule_size_ = schedule_.size();
        saved_recent_ = recent_;
        saved_recent_next_ = recent_next_;
        saved_recent_count_ = recent_count_;
        saved_envelope_ = envelope_;
        candidates_.clear();
        winner_ = detail::no_candidate;
        last_candidate_ = detail::no_candidate;
        start_train_loss_ = recent_mean();
        guard_train_loss_ = envelope_;
        train_reference_from_history_ = recent_count_ > 0;
        start_val_loss_ = event::none;
        ++stages_started_;

        probe_steps_ = 0;
        if (!searched_) {
            horizon_ = aware_ ? available : tau_;
            stage_lr_ = has_stage_lr_ ? std::min(last_lr_, upper()) : std::sqrt(settings_.lr_min * upper());
            val_signal_ = false;
            emit({.kind = event_kind::search_skipped, .learning_rate = stage_lr_, .length = horizon_, .message = skip_reason});
            pending_ = {directive_kind::checkpoint, 0.0, start_slot};
            wait_ = wait::start_checkpoint;
            return;
        }

        horizon_ = horizon;
        val_signal_ = settings_.signal == loss_signal::validation ||
                      (settings_.signal == loss_signal::reference_switch && planned_tau_ >= tau_max_);
        val_interval_ = settings_.validation_interval != 0 ? std::min(settings_.validation_interval, tau_prime_)
                                                           : std::max<std::uint64_t>(tau_prime_ / 16, 1);
        probe_steps_ = val_signal_ ? 0 : probe_steps_for(tau_prime_);
        // A kept winner's probe adds a segment to the schedule (not on the per-step path).
        if (schedule_.capacity() - schedule_.size() < 8) schedule_.reserve(schedule_.size() + 64);
        emit({.kind = event_kind::stage_start, .candidate = settings_.candidates, .loss = start_train_loss_,
              .length = horizon_,
              .message = val_signal_ ? "a stage: search up to `candidate` LRs on the validation loss, horizon `length`"
                                     : "a stage: search up to `candidate` LRs on the training loss, horizon `length`"});
        if (val_signal_) {
            pending_ = {directive_kind::evaluate, 0.0, 0};
            wait_ = wait::start_evaluation;
        } else {
            pending_ = {directive_kind::checkpoint, 0.0, start_slot};
            wait_ = wait::start_checkpoint;
        }
    }

    void begin_candidate() {
        const auto index = static_cast<std::uint32_t>(candidates_.size());
        if (index == 0) prepare_search();
        // A stage whose search starts empty first tries a space-filling design: a random
        // first ask and a GP fitted to one or two points explore a wide interval badly.
        const bool from_design = index < settings_.initial_design && log_warm_.empty() &&
                                 design_x(index) < search_top_x_;
        double x = from_design ? design_x(index) : search_ask();
        double lr = std::exp(x);
        if (!(lr >= settings_.lr_min && lr <= upper())) {
            lr = std::clamp(std::isfinite(lr) ? lr : settings_.lr_min, settings_.lr_min, upper());
            x = std::log(lr);
        }
        candidate_x_ = x;
        candidate_lr_ = lr;
        phase_step_ = 0;
        window_size_ = 0;
        over_train_ = 0;
        over_val_ = 0;
        emit({.kind = event_kind::candidate_start, .candidate = index, .learning_rate = lr, .length = tau_prime_,
              .message = from_design ? "candidate LR from the initial space-filling design" : "candidate LR from the search"});
        if (index == 0) {
            train_at(lr, wait::candidate_step);
        } else {
            pending_ = {directive_kind::restore, 0.0, start_slot};
            wait_ = wait::candidate_restore;
        }
    }

    /// The index-th point of the initial design: n points evenly inside the log interval
    /// (lr_min to the ceiling), from the middle outwards, the higher first.
    [[nodiscard]] double design_x(std::uint32_t index) const noexcept {
        const std::uint32_t n = settings_.initial_design;
        std::uint32_t j = n / 2;  // the middle (the upper middle for even n)
        for (std::uint32_t step = 1, taken = 0; taken < index; ++step) {
            if (n / 2 + step < n && taken < index) {
                j = n / 2 + step;
                ++taken;
            }
            if (step <= n / 2 && taken < index) {
                j = n / 2 - step;
                ++taken;
            }
        }
        const double top = std::log(upper());
        return log_lr_min_ + (top - log_lr_min_) * static_cast<double>(j + 1) / static_cast<double>(n + 1);
    }

    void candidate_step(double loss) {
        if (phase_step_ == 1 && !train_reference_from_history_ && std::isfinite(loss)) {
            // No history: the first loss of each candidate measures the stage's start state.
            start_train_loss_ = std::isfinite(start_train_loss_) ? std::min(start_train_loss_, loss) : loss;
            guard_train_loss_ = start_train_loss_;
        }
        if (exploding(loss, guard_train_loss_, over_train_)) {
            candidate_diverged(loss);
            return;
        }
        if (!val_signal_) {
            window_[window_size_++] = loss;
            if (const auto raced = race_forecast()) {
                end_candidate(*raced, true);
                return;
            }
        } else if (phase_step_ % val_interval_ == 0) {
            pending_ = {directive_kind::evaluate, 0.0, 0};
            wait_ = wait::candidate_evaluation;
            return;
        }
        if (phase_step_ >= tau_prime_) {
            if (probe_steps_ > 0) {
                train_at(probe_lr(candidate_lr_), wait::probe_step);
            } else {
                end_candidate(current_forecast(), false);
            }
        }
    }

    [[nodiscard]] double probe_lr(double candidate_lr) const noexcept {
        return std::max(settings_.lr_min, candidate_lr * settings_.anneal_probe_ratio);
    }

    void probe_step(double loss) {
        if (exploding(loss, guard_train_loss_, over_train_)) {
            candidate_diverged(loss);
            return;
        }
        window_[window_size_++] = loss;
        if (phase_step_ >= tau_prime_ + probe_steps_) end_candidate(probed_forecast(), false);
    }

    /// The candidate's forecast (from its tau' steps) less the loss its anneal probe removed:
    /// the drop from the mean of the window's last fifth to the mean of the probe's second
    /// half. Its variance adds the noise of both means (the per-step noise estimated from
    /// the window's last fifth) to the forecast's. For a positive loss the result is at least
    /// the forecast times after / before (the drop in proportion): near the edge of stability
    /// a candidate's window is far from its noise level, the forecast extrapolates a fall, and
    /// the two drops added would promise a loss below zero (seen on the noisy quadratic model).
    [[nodiscard]] forecast probed_forecast() const {
        const auto n = static_cast<std::size_t>(tau_prime_);
        const forecast f = forecast_of(n);
        const std::size_t tail = std::max<std::size_t>(2, n / 5);
        const std::size_t probe_tail = std::max<std::size_t>(1, static_cast<std::size_t>(probe_steps_ / 2));
        if (n < tail || !std::isfinite(f.value)) return f;
        const auto mean = [&](std::size_t first, std::size_t count) {
            double sum = 0.0;
            for (std::size_t i = first; i < first + count; ++i) sum += window_[i];
            return sum / static_cast<double>(count);
        };
        const double before = mean(n - tail, tail);
        const double after = mean(window_size_ - probe_tail, probe_tail);
        double spread = 0.0;
        for (std::size_t i = n - tail; i < n; ++i) spread += (window_[i] - before) * (window_[i] - before);
        const double step_var = spread / static_cast<double>(tail - 1);
        const double gain = before - after;
        if (!std::isfinite(gain) || !std::isfinite(step_var) || gain <= 0.0) return f;
        double value = f.value - gain;
        if (before > 0.0 && after > 0.0 && f.value > 0.0) value = std::max(value, f.value * (after / before));
        const double gain_var = step_var * (1.0 / static_cast<double>(tail) + 1.0 / static_cast<double>(probe_tail));
        return {value, std::sqrt(f.stddev * f.stddev + gain_var), f.status, f.non_finite};
    }

    /// Racing is checked once per candidate, when its window holds race_fraction of the
    /// points a full candidate gives (and more than two, less than all).
    [[nodiscard]] bool race_due() const noexcept {
        if (settings_.race_fraction <= 0.0) return false;
        const std::uint64_t full = val_signal_ ? tau_prime_ / val_interval_ : tau_prime_;
        const auto at = static_cast<std::uint64_t>(std::ceil(settings_.race_fraction * static_cast<double>(full)));
        return at > 2 && at < full && window_size_ == at;
    }

    /// The running candidate's forecast from its window so far, at the stage's horizon.
    [[nodiscard]] forecast current_forecast() const { return forecast_of(window_size_); }
    [[nodiscard]] forecast forecast_of(std::size_t window_points) const {
        const Forecaster& forecaster = val_signal_ ? validation_forecaster_ : forecaster_;
        return forecaster.predict(std::span<const double>(window_.data(), window_points), horizon_units());
    }

    /// When racing is due and the running candidate's forecast, even at its lower bound
    /// (race_stddevs stddevs below), is above the stage's best so far, that forecast:
    /// finishing the candidate cannot change the choice.
    [[nodiscard]] std::optional<forecast> race_forecast() const {
        if (!race_due()) return std::nullopt;
        const std::uint32_t best = best_candidate(upper());
        if (best == detail::no_candidate) return std::nullopt;
        const forecast f = current_forecast();
        if (f.status == forecast_status::invalid_input || !std::isfinite(f.value) || !std::isfinite(f.stddev))
            return std::nullopt;
        if (!(f.value - settings_.race_stddevs * f.stddev > candidates_[best].forecast)) return std::nullopt;
        return f;
    }

    [[nodiscard]] double horizon_units() const noexcept {
        const double h = static_cast<double>(horizon_);
        return val_signal_ ? h / static_cast<double>(val_interval_) : h;
    }

    void candidate_diverged(double loss) {
        candidates_.push_back({candidate_x_, candidate_lr_, event::none, event::none, forecast_status::invalid_input, false});
        last_candidate_ = static_cast<std::uint32_t>(candidates_.size() - 1);
        mark_infeasible(candidate_x_);
        emit({.kind = event_kind::candidate_diverged, .candidate = last_candidate_, .learning_rate = candidate_lr_,
              .loss = loss, .length = phase_step_,
              .message = std::isfinite(loss) ? "the loss rose above divergence_factor times the stage's starting level: "
                                               "infeasible, the search stays below divergence_backoff times this LR"
                                             : "non-finite loss: infeasible, the search stays below divergence_backoff times this LR"});
        after_candidate();
    }

    /// `f`: the candidate's forecast; `raced`: stopped by racing before its tau' steps.
    void end_candidate(const forecast& f, bool raced) {
        const auto index = static_cast<std::uint32_t>(candidates_.size());
        // stddev^2 must be finite too: it is the search's noise variance (losses near 1e300 overflow it).
        if (f.status == forecast_status::invalid_input || !std::isfinite(f.value) || !std::isfinite(f.stddev * f.stddev)) {
            candidates_.push_back({candidate_x_, candidate_lr_, event::none, event::none, f.status, false});
            last_candidate_ = index;
            mark_infeasible(candidate_x_);
            emit({.kind = event_kind::candidate_diverged, .candidate = index, .learning_rate = candidate_lr_,
                  .loss = last_loss_, .length = phase_step_, .message = "no usable loss to forecast: infeasible"});
            after_candidate();
            return;
        }
        search_tell(candidate_x_, f.value, f.stddev * f.stddev);
        candidates_.push_back({candidate_x_, candidate_lr_, f.value, f.stddev, f.status, true});
        last_candidate_ = index;
        emit({.kind = event_kind::candidate_end, .candidate = index, .learning_rate = candidate_lr_, .loss = last_loss_,
              .forecast = f.value, .stddev = f.stddev, .status = f.status, .length = phase_step_,
              .message = raced ? "dropped by racing (its forecast's lower bound is above the best): "
                                 "forecast from the steps so far, told to the search"
                    : probe_steps_ > 0 ? "forecast at the stage's horizon less the loss its anneal probe removed, told to the search"
                                       : "forecast at the stage's horizon, told to the search"});
        if (settings_.keep_winner_state && (winner_ == detail::no_candidate || f.value < candidates_[winner_].forecast)) {
            winner_ = index;
            pending_ = {directive_kind::checkpoint, 0.0, winner_slot};
            wait_ = wait::winner_checkpoint;
            return;
        }
        after_candidate();
    }

    /// Diverged candidates cost a few steps each and do not count towards `candidates`
    /// (an interval whose top diverges would otherwise use up the search); at most twice
    /// `candidates` are tried.
    void after_candidate() {
        const std::size_t tried = candidates_.size();
        const auto feasible = static_cast<std::size_t>(
            std::count_if(candidates_.begin(), candidates_.end(), [](const auto& c) { return c.feasible; }));
        if (feasible >= settings_.candidates || tried >= 2 * static_cast<std::size_t>(settings_.candidates)) {
            decide();
            return;
        }
        if (search_top_x_ <= log_lr_min_) {
            decide();
            return;
        }
        if (feasible >= settings_.min_candidates && settings_.early_stop_gain > 0.0) {
            const double scale = loss_scale();
            if (scale > 0.0) {
                const double gain = search_gain();
                if (gain < settings_.early_stop_gain * scale) {
                    emit({.kind = event_kind::search_stopped_early, .candidate = static_cast<std::uint32_t>(tried),
                          .loss = gain, .forecast = scale,
                          .message = "the search's expected gain (loss) is small against the stage's loss scale (forecast)"});
                    decide();
                    return;
                }
            }
        }
        begin_candidate();
    }

    /// The best feasible candidate at or below `limit`, or no_candidate.
    [[nodiscard]] std::uint32_t best_candidate(double limit) const noexcept {
        std::uint32_t best = detail::no_candidate;
        for (std::uint32_t i = 0; i < candidates_.size(); ++i) {
            const candidate_record& c = candidates_[i];
            if (!c.feasible || c.learning_rate > limit) continue;
            if (best == detail::no_candidate || c.forecast < candidates_[best].forecast) best = i;
        }
        return best;
    }

    /// The largest LR whose forecast is within prefer_larger_lr * the stage's loss scale of
    /// the lowest (the lowest itself when that tolerance is 0).
    [[nodiscard]] std::uint32_t chosen_candidate(std::uint32_t best) const noexcept {
        if (best == detail::no_candidate || settings_.prefer_larger_lr <= 0.0) return best;
        const double limit = candidates_[best].forecast + settings_.prefer_larger_lr * loss_scale();
        std::uint32_t chosen = best;
        for (std::uint32_t i = 0; i < candidates_.size(); ++i) {
            const candidate_record& c = candidates_[i];
            if (c.feasible && c.learning_rate <= upper() && c.forecast <= limit &&
                c.learning_rate > candidates_[chosen].learning_rate) {
                chosen = i;
            }
        }
        return chosen;
    }

    /// The feasible candidate at or below the ceiling with the lowest posterior mean of the
    /// search's model, when smooth_choice is on and the search offers one; else `lowest`.
    static constexpr bool search_has_posterior_mean = requires(const Search& s, double x) {
        { s.posterior_mean(x) } -> std::convertible_to<double>;
    };

    [[nodiscard]] std::uint32_t smoothed_best(std::uint32_t lowest) const {
        if constexpr (search_has_posterior_mean) {
            if (!settings_.smooth_choice || lowest == detail::no_candidate) return lowest;
            std::uint32_t best = lowest;
            double best_mean = std::numeric_limits<double>::infinity();
            for (std::uint32_t i = 0; i < candidates_.size(); ++i) {
                const candidate_record& c = candidates_[i];
                if (!c.feasible || c.learning_rate > upper()) continue;
                const double mean = static_cast<double>(search_.posterior_mean(c.x));
                if (std::isfinite(mean) && mean < best_mean) {
                    best_mean = mean;
                    best = i;
                }
            }
            return best;
        } else {
            return lowest;
        }
    }

    void decide() {
        const std::uint32_t lowest = smoothed_best(best_candidate(upper()));
        if (lowest == detail::no_candidate) {
            emit({.kind = event_kind::fallback, .learning_rate = settings_.lr_min,
                  .message = "every candidate diverged: the stage trains at lr_min"});
            start_training(settings_.lr_min, false, true);
            return;
        }
        const std::uint32_t best = chosen_candidate(lowest);
        const candidate_record& c = candidates_[best];
        emit({.kind = event_kind::stage_lr_chosen, .candidate = best, .learning_rate = c.learning_rate,
              .forecast = c.forecast, .stddev = c.stddev, .status = c.status, .length = horizon_,
              .message = best != lowest ? "the largest LR whose forecast is within prefer_larger_lr of the lowest"
                         : settings_.smooth_choice && search_has_posterior_mean ? "the lowest posterior mean of the search's model at the stage's candidates"
                                                   : "the lowest forecast of the stage's candidates"});
        warn_if_at_bound(c.learning_rate);
        start_training(c.learning_rate, settings_.keep_winner_state && best == winner_, true);
    }

    void warn_if_at_bound(double lr) {
        const double tolerance = settings_.bound_tolerance * (log_lr_max_ - log_lr_min_);
        if (settings_.bound_tolerance <= 0.0) return;
        const double x = std::log(lr);
        if (x - log_lr_min_ <= tolerance) {
            emit({.kind = event_kind::warning_lr_at_bound, .learning_rate = lr,
                  .message = "the chosen LR sits on lr_min: the best LR may be lower, lower lr_min"});
        } else if (log_lr_max_ - x <= tolerance) {
            emit({.kind = event_kind::warning_lr_at_bound, .learning_rate = lr,
                  .message = "the chosen LR sits on lr_max: the best LR may be higher, raise lr_max"});
        }
    }

    /// Trains the stage at `lr`: from the kept winner's state, or from slot 0.
    void start_training(double lr, bool from_winner, bool needs_restore) {
        stage_lr_ = lr;
        last_lr_ = lr;
        has_stage_lr_ = true;
        phase_step_ = 0;
        over_train_ = 0;
        record_lr(steps_trained_, lr);
        if (from_winner) {
            // The winner's tau' steps, and its anneal probe's, join the trajectory.
            const std::uint64_t kept = tau_prime_ + probe_steps_;
            if (probe_steps_ > 0) {
                const double probe = probe_lr(lr);
                record_lr(steps_trained_ + tau_prime_, probe);
                record_lr(steps_trained_ + kept, lr);
            }
            steps_searched_ -= kept;
            steps_trained_ += kept;
            phase_length_ = std::min(horizon_ > kept ? horizon_ - kept : 0, room());
            if (last_candidate_ == winner_) {
                if (phase_length_ == 0) {
                    end_stage();
                } else {
                    train_at(lr, wait::stage_step);
                }
                return;
            }
            pending_ = {directive_kind::restore, 0.0, winner_slot};
            wait_ = wait::stage_restore;
            return;
        }
        phase_length_ = std::min(horizon_, room());
        if (needs_restore) {
            pending_ = {directive_kind::restore, 0.0, start_slot};
            wait_ = wait::stage_restore;
        } else if (phase_length_ == 0) {
            end_stage();
        } else {
            train_at(lr, wait::stage_step);
        }
    }

    void stage_step(double loss) {
        if (phase_step_ == 1 && !std::isfinite(guard_train_loss_) && std::isfinite(loss)) guard_train_loss_ = loss;
        if (exploding(loss, guard_train_loss_, over_train_)) {
            stage_diverged(loss);
            return;
        }
        if (phase_step_ >= phase_length_) end_stage();
    }

    /// Undo the stage's trajectory: its steps become wasted (searched) steps.
    void discard_stage_trajectory() {
        steps_searched_ += steps_trained_ - stage_begin_trained_;
        steps_trained_ = stage_begin_trained_;
        schedule_.resize(stage_schedule_size_);
        recent_ = saved_recent_;
        recent_next_ = saved_recent_next_;
        recent_count_ = saved_recent_count_;
        envelope_ = saved_envelope_;
    }

    void stage_diverged(double loss) {
        ++divergences_;
        discard_stage_trajectory();
        const double lr = stage_lr_;
        if (lr <= settings_.lr_min * (1.0 + 1e-12)) {
            emit({.kind = event_kind::stage_diverged, .learning_rate = lr, .loss = loss,
                  .message = "the stage diverged at lr_min: restore its start and stop"});
            pending_ = {directive_kind::restore, 0.0, start_slot};
            wait_ = wait::final_restore;
            return;
        }
        ceiling_ = std::max(settings_.lr_min, std::min(ceiling_, lr * settings_.divergence_backoff));
        emit({.kind = event_kind::stage_diverged, .learning_rate = lr, .loss = loss, .forecast = event::none,
              .message = "the stage diverged: restore its start, lower the LR ceiling, decide again"});
        pending_ = {directive_kind::restore, 0.0, start_slot};
        wait_ = wait::recovery_restore;
    }

    void redecide() {
        const std::uint32_t best = best_candidate(upper());
        if (best == detail::no_candidate) {
            emit({.kind = event_kind::fallback, .learning_rate = upper(),
                  .message = "no candidate below the lowered ceiling: the stage trains at the ceiling"});
            start_training(upper(), false, false);
            return;
        }
        const candidate_record& c = candidates_[best];
        emit({.kind = event_kind::stage_lr_chosen, .candidate = best, .learning_rate = c.learning_rate,
              .forecast = c.forecast, .stddev = c.stddev, .status = c.status, .length = horizon_,
              .message = "the lowest forecast below the lowered ceiling, after a divergence"});
        start_training(c.learning_rate, false, false);
    }

    void end_stage() {
        if (searched_) {
            warm_.clear();
            const double start = signal_start_loss();
            if (std::isfinite(start)) {
                for (const candidate_record& c : candidates_) {
                    if (c.feasible) warm_.push_back({c.x, c.forecast - start, c.stddev * c.stddev});
                }
            }
            warm_scale_ = loss_scale();
            const double grown = std::round(static_cast<double>(planned_tau_) * settings_.growth);
            tau_ = std::min<std::uint64_t>(tau_max_, static_cast<std::uint64_t>(std::max(grown, 1.0)));
        }
        ++stage_index_;
        start_stage();
    }

    // ---- cooldown and the end ------------------------------------------------------------

    void start_cooldown() {
        if (cooldown_steps_ == 0 || budget_spent()) {
            finish("the step budget is spent");
            return;
        }
        cooldown_lr_ = has_stage_lr_ ? std::min(last_lr_, upper()) : std::sqrt(settings_.lr_min * upper());
        stage_begin_trained_ = steps_trained_;
        stage_schedule_size_ = schedule_.size();
        saved_recent_ = recent_;
        saved_recent_next_ = recent_next_;
        saved_recent_count_ = recent_count_;
        saved_envelope_ = envelope_;
        start_train_loss_ = recent_mean();
        guard_train_loss_ = envelope_;
        schedule_.reserve(schedule_.size() + static_cast<std::size_t>(settings_.total_steps - steps_total_) + 1);
        emit({.kind = event_kind::cooldown_start, .learning_rate = cooldown_lr_, .length = settings_.total_steps - steps_total_,
              .message = "the final anneal of the budget's last steps"});
        pending_ = {directive_kind::checkpoint, 0.0, start_slot};
        wait_ = wait::cooldown_checkpoint;
    }

    void run_cooldown() {
        phase_step_ = 0;
        over_train_ = 0;
        phase_length_ = settings_.total_steps - steps_total_;
        train_at(cooldown_lr_at(0), wait::cooldown_step);
    }

    void cooldown_step(double loss) {
        if (phase_step_ == 1 && !std::isfinite(guard_train_loss_) && std::isfinite(loss)) guard_train_loss_ = loss;
        if (exploding(loss, guard_train_loss_, over_train_)) {
            ++divergences_;
            discard_stage_trajectory();
            ceiling_ = std::max(settings_.lr_min, std::min(ceiling_, cooldown_lr_ * settings_.divergence_backoff));
            cooldown_lr_ *= settings_.divergence_backoff;
            emit({.kind = event_kind::stage_diverged, .learning_rate = pending_.learning_rate, .loss = loss,
                  .message = "the cooldown diverged: restore its start, anneal from a lower LR"});
            pending_ = {directive_kind::restore, 0.0, start_slot};
            wait_ = wait::cooldown_recovery_restore;
            return;
        }
        pending_.learning_rate = cooldown_lr_at(phase_step_);
    }

    void warmup_step() {
        if (phase_step_ >= phase_length_) {
            start_stage();
        } else {
            pending_.learning_rate = warmup_lr_at(phase_step_);
        }
    }

    void finish(std::string_view reason) {
        emit({.kind = event_kind::done, .learning_rate = last_lr_, .loss = last_loss_, .length = steps_total_,
              .message = reason});
        pending_ = {directive_kind::done, 0.0, 0};
        wait_ = wait::finished;
    }

    // ---- the saved state -------------------------------------------------------------------

    struct state_saver {
        detail::state_text_writer& w;

        template <class T>
        void put(const T& v) {
            if constexpr (std::is_same_v<T, double>) {
                w.put(v);
            } else {
                w.put(static_cast<std::uint64_t>(v));
            }
        }
        template <class T>
        void value(std::string_view key, const T& v) {
            w.begin(key);
            put(v);
            w.end();
        }
        template <class R, class F>
        void list(std::string_view key, const std::vector<R>& items, std::size_t count, F each) {
            w.begin(key);
            w.put(static_cast<std::uint64_t>(count));
            for (std::size_t i = 0; i < count; ++i) each([&](const auto& m) { put(m); }, items[i]);
            w.end();
        }
        template <std::size_t N>
        void array(std::string_view key, const std::array<double, N>& items) {
            w.begin(key);
            for (const double v : items) w.put(v);
            w.end();
        }
    };

    struct state_loader {
        detail::state_text_reader& r;

        template <class T>
        void get(T& v) {
            if constexpr (std::is_same_v<T, double>) {
                v = r.get_double();
            } else if constexpr (std::is_same_v<T, bool>) {
                v = r.get_bool();
            } else if constexpr (std::is_enum_v<T>) {
                v = static_cast<T>(r.get_u64());
            } else if constexpr (sizeof(T) == 4) {
                v = r.get_u32();
            } else {
                v = r.get_u64();
            }
        }
        template <class T>
        void value(std::string_view key, T& v) {
            r.expect(key);
            get(v);
            r.finish_line();
        }
        template <class R, class F>
        void list(std::string_view key, std::vector<R>& items, std::size_t& count, F each) {
            r.expect(key);
            const std::uint64_t n = r.get_u64();
            if (n > (1ULL << 32)) throw invalid_state("'" + std::string(key) + "' is too long");
            // Grown item by item: a damaged count cannot allocate more than the line holds.
            count = static_cast<std::size_t>(n);
            for (std::size_t i = 0; i < count; ++i) {
                if (i == items.size()) items.emplace_back();
                each([&](auto& m) { get(m); }, items[i]);
            }
            r.finish_line();
        }
        template <std::size_t N>
        void array(std::string_view key, std::array<double, N>& items) {
            r.expect(key);
            for (double& v : items) v = r.get_double();
            r.finish_line();
        }
    };

    /// The state's fields, in save order; `Self` is const for saving.
    template <class Self, class V>
    static void visit_state(Self& c, V& v) {
        v.value("pending_kind", c.pending_.kind);
        v.value("pending_learning_rate", c.pending_.learning_rate);
        v.value("pending_slot", c.pending_.slot);
        v.value("wait", c.wait_);
        v.value("steps_total", c.steps_total_);
        v.value("steps_trained", c.steps_trained_);
        v.value("steps_searched", c.steps_searched_);
        v.value("steps_skipped", c.steps_skipped_);
        v.value("evaluations", c.evaluations_);
        v.value("stage_index", c.stage_index_);
        v.value("stages_started", c.stages_started_);
        v.value("divergences", c.divergences_);
        v.value("tau", c.tau_);
        v.value("planned_tau", c.planned_tau_);
        v.value("horizon", c.horizon_);
        v.value("tau_prime", c.tau_prime_);
        v.value("probe_steps", c.probe_steps_);
        v.value("val_interval", c.val_interval_);
        v.value("val_signal", c.val_signal_);
        v.value("searched", c.searched_);
        v.value("phase_step", c.phase_step_);
        v.value("phase_length", c.phase_length_);
        v.value("stage_begin_trained", c.stage_begin_trained_);
        v.value("stage_schedule_size", c.stage_schedule_size_);
        v.value("start_train_loss", c.start_train_loss_);
        v.value("guard_train_loss", c.guard_train_loss_);
        v.value("train_reference_from_history", c.train_reference_from_history_);
        v.value("start_val_loss", c.start_val_loss_);
        v.value("over_train", c.over_train_);
        v.value("over_val", c.over_val_);
        v.value("candidate_x", c.candidate_x_);
        v.value("candidate_lr", c.candidate_lr_);
        v.value("winner", c.winner_);
        v.value("last_candidate", c.last_candidate_);
        v.value("search_top_x", c.search_top_x_);
        v.value("stage_lr", c.stage_lr_);
        v.value("last_lr", c.last_lr_);
        v.value("has_stage_lr", c.has_stage_lr_);
        v.value("ceiling", c.ceiling_);
        v.value("cooldown_lr", c.cooldown_lr_);
        v.value("last_loss", c.last_loss_);
        v.value("warm_scale", c.warm_scale_);
        v.value("recent_next", c.recent_next_);
        v.value("recent_count", c.recent_count_);
        v.array("recent", c.recent_);
        v.value("saved_recent_next", c.saved_recent_next_);
        v.value("saved_recent_count", c.saved_recent_count_);
        v.array("saved_recent", c.saved_recent_);
        v.value("envelope", c.envelope_);
        v.value("saved_envelope", c.saved_envelope_);
        v.list("window", c.window_, c.window_size_, [](auto&& io, auto& x) { io(x); });
        std::size_t n = c.candidates_.size();
        v.list("candidates", c.candidates_, n, [](auto&& io, auto& r) {
            io(r.x);
            io(r.learning_rate);
            io(r.forecast);
            io(r.stddev);
            io(r.status);
            io(r.feasible);
        });
        if constexpr (!std::is_const_v<Self>) c.candidates_.resize(n);
        const auto each_observation = [](auto&& io, auto& o) {
            io(o.x);
            io(o.y);
            io(o.noise_variance);
        };
        n = c.warm_.size();
        v.list("warm", c.warm_, n, each_observation);
        if constexpr (!std::is_const_v<Self>) c.warm_.resize(n);
        n = c.log_warm_.size();
        v.list("search_warm", c.log_warm_, n, each_observation);
        if constexpr (!std::is_const_v<Self>) c.log_warm_.resize(n);
        n = c.log_.size();
        v.list("search_calls", c.log_, n, [](auto&& io, auto& call) {
            io(call.op);
            io(call.a);
            io(call.b);
            io(call.c);
            io(call.seed);
        });
        if constexpr (!std::is_const_v<Self>) c.log_.resize(n);
        n = c.schedule_.size();
        v.list("schedule", c.schedule_, n, [](auto&& io, auto& s) {
            io(s.start_step);
            io(s.lr);
        });
        if constexpr (!std::is_const_v<Self>) c.schedule_.resize(n);
    }

    // ---- fields ---------------------------------------------------------------------------

    controller_settings settings_;
    Search prototype_;
    Search search_;
    Forecaster forecaster_;
    Forecaster validation_forecaster_;

    // resolved at construction
    double log_lr_min_ = 0.0;
    double log_lr_max_ = 0.0;
    std::uint64_t tau0_ = 0;
    std::uint64_t tau_max_ = 0;
    bool aware_ = false;
    std::uint64_t cooldown_steps_ = 0;
    std::uint64_t cooldown_start_ = 0;
    double warmup_lr_ = 0.0;

    // the state machine
    directive pending_;
    wait wait_ = wait::finished;
    std::uint64_t steps_total_ = 0;
    std::uint64_t steps_trained_ = 0;
    std::uint64_t steps_searched_ = 0;
    std::uint64_t steps_skipped_ = 0;
    std::uint64_t evaluations_ = 0;
    std::uint32_t stage_index_ = 0;
    std::uint32_t stages_started_ = 0;
    std::uint32_t divergences_ = 0;
    std::uint64_t tau_ = 0;          // next horizon of the growth sequence
    std::uint64_t planned_tau_ = 0;  // the current stage's horizon before any extension
    std::uint64_t horizon_ = 0;      // the current stage's horizon tau (forecast target)
    std::uint64_t tau_prime_ = 0;
    std::uint64_t probe_steps_ = 0;  ///< the anneal probe after each candidate of this stage
    std::uint64_t val_interval_ = 1;
    bool val_signal_ = false;
    bool searched_ = false;
    std::uint64_t phase_step_ = 0;
    std::uint64_t phase_length_ = 0;
    std::uint64_t stage_begin_trained_ = 0;
    std::uint64_t stage_schedule_size_ = 0;
    double start_train_loss_ = event::none;  // mean level: scales, warm-start shifts
    double guard_train_loss_ = event::none;  // top of the noise envelope: divergence checks
    bool train_reference_from_history_ = false;
    double start_val_loss_ = event::none;
    std::uint32_t over_train_ = 0;
    std::uint32_t over_val_ = 0;
    double candidate_x_ = 0.0;
    double candidate_lr_ = 0.0;
    std::uint32_t winner_ = detail::no_candidate;
    std::uint32_t last_candidate_ = detail::no_candidate;
    double search_top_x_ = 0.0;
    double stage_lr_ = 0.0;
    double last_lr_ = 0.0;
    bool has_stage_lr_ = false;
    double ceiling_ = 0.0;
    double cooldown_lr_ = 0.0;
    double last_loss_ = event::none;
    double warm_scale_ = 0.0;

    std::array<double, recent_capacity> recent_{};
    std::uint64_t recent_next_ = 0;
    std::uint64_t recent_count_ = 0;
    std::array<double, recent_capacity> saved_recent_{};
    std::uint64_t saved_recent_next_ = 0;
    std::uint64_t saved_recent_count_ = 0;
    double envelope_ = event::none;
    double saved_envelope_ = event::none;
    double envelope_decay_ = 1.0;  // resolved: exp(-1 / divergence_memory)

    std::vector<double> window_;
    std::size_t window_size_ = 0;
    std::vector<candidate_record> candidates_;
    std::vector<observation> warm_;      // the last stage's observations, as improvements
    std::vector<observation> log_warm_;  // what this stage's search was warm-started with
    std::vector<search_call> log_;       // this stage's search calls, replayed at load
    std::vector<schedule::piecewise_constant_row> schedule_;
    std::vector<event> events_;
};


/// The AutoLRS controller with Bayesian optimisation as the search: `controller<>` is our
/// default configuration (GP with a Matern 5/2 kernel, expected improvement, the bounded
/// exponential forecaster). Swap one policy without restating the others, e.g.
/// `controller<gaussian_process<matern32>>` or `controller<gaussian_process<>, lower_confidence_bound>`.
template <class Surrogate = gaussian_process<matern52>, class Acquisition = expected_improvement,
          class Forecaster = exponential_forecaster>
class controller : public basic_controller<bayes_opt<Surrogate, Acquisition>, Forecaster> {
    using base = basic_controller<bayes_opt<Surrogate, Acquisition>, Forecaster>;

public:
    using surrogate_type = Surrogate;
    using acquisition_type = Acquisition;

    /// `search`'s x_min, x_max and seed are overwritten from `settings` (log(lr_min),
    /// log(lr_max), settings.seed); its other fields (grid size, ...) are kept.
    explicit controller(const controller_settings& settings, Forecaster forecaster = Forecaster{},
                        Surrogate surrogate = Surrogate{}, Acquisition acquisition = Acquisition{},
                        bayes_opt_settings search = {.x_min = 0.0, .x_max = 1.0})
        : controller(settings, forecaster, forecaster, std::move(surrogate), std::move(acquisition), search) {}

    /// As above, with a separate forecaster for validation-loss windows.
    controller(const controller_settings& settings, Forecaster forecaster, Forecaster validation_forecaster,
               Surrogate surrogate, Acquisition acquisition, bayes_opt_settings search)
        : base(settings, make_search(settings, search, std::move(surrogate), std::move(acquisition)),
               std::move(forecaster), std::move(validation_forecaster)) {}

private:
    static bayes_opt<Surrogate, Acquisition> make_search(const controller_settings& settings, bayes_opt_settings search,
                                                         Surrogate surrogate, Acquisition acquisition) {
        settings.validate();  // before log(lr_min): a bad interval must name lr_min, not x_min
        search.x_min = std::log(settings.lr_min);
        search.x_max = std::log(settings.lr_max);
        search.seed = settings.seed;
        return bayes_opt<Surrogate, Acquisition>(search, std::move(surrogate), std::move(acquisition));
    }
};

/// The reference implementation's configuration: LCB with kappa = 1e6 (a space-filling
/// design), the reference's forecaster (its training-loss trimming for training windows,
/// its validation variant for validation windows) and controller_settings::reference.
using reference_controller = controller<gaussian_process<matern52>, lower_confidence_bound, reference_exponential_forecaster>;

/// A reference_controller over [lr_min, lr_max]; `total_steps` is only where it stops
/// (the reference does not plan around a budget).
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
