#pragma once
// The controller's state: every field the state machine (basic_controller.hpp) keeps besides
// its policies, the progress a host reads from it, the fields' save order, and the check
// that a loaded state is one the controller could have reached. The parts (trajectory, loss
// guard, candidate table) save and check their own fields.
//
// Divergence: a non-finite loss, or one above divergence_factor times the stage's starting
// level for divergence_patience measurements in a row. A diverging candidate stops at once
// and is told to the search as infeasible (LRs above divergence_backoff times it are not
// tried again in that stage; it does not count towards `candidates`). A diverging stage (or
// cooldown) is restored to slot 0, the LR ceiling drops to divergence_backoff times its LR
// for the rest of training, and the stage is re-decided among its candidates below the
// ceiling (else it trains at the ceiling); a stage diverging at lr_min restores slot 0 and
// ends training (done). Every candidate diverging: the stage trains at lr_min.
//
// Determinism and resume: the same settings and the same loss stream give bit-identical
// directives and events. save() writes the whole state as versioned text (doubles as hex
// floats); load() on a controller built with the same settings continues exactly where the
// saved one was, even mid-stage (the stage's search is rebuilt by replaying its calls).

#include "autolrs/controller/anneal_probe.hpp"
#include "autolrs/controller/candidate_table.hpp"
#include "autolrs/controller/loss_guard.hpp"
#include "autolrs/controller/ramps.hpp"
#include "autolrs/controller/recorded_search.hpp"
#include "autolrs/controller/settings_text.hpp"
#include "autolrs/controller/stage_plan.hpp"
#include "autolrs/controller/state_io.hpp"
#include "autolrs/controller/trajectory.hpp"
#include "autolrs/controller_settings.hpp"
#include "autolrs/event.hpp"
#include "autolrs/protocol.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"
#include "autolrs/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <exception>
#include <initializer_list>
#include <istream>
#include <ostream>
#include <span>
#include <typeinfo>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autolrs::detail {

class controller_state {
public:
    static constexpr std::string_view state_format = "autolrs-controller-state";
    static constexpr std::uint64_t state_version = 4;

    /// The directive the host must carry out now.
    [[nodiscard]] const directive& pending() const noexcept { return pending_; }

    [[nodiscard]] const controller_settings& settings() const noexcept { return settings_; }
    [[nodiscard]] bool finished() const noexcept { return pending_.kind == directive_kind::done; }
    /// Every applied optimizer step so far, search included.
    [[nodiscard]] std::uint64_t steps_total() const noexcept { return trajectory_.steps_total(); }
    /// Steps on the final model's trajectory (warmup, stages, kept winners, cooldown).
    [[nodiscard]] std::uint64_t steps_trained() const noexcept { return trajectory_.steps_trained(); }
    /// Steps whose results were thrown away (candidates not kept, stages that diverged).
    [[nodiscard]] std::uint64_t steps_searched() const noexcept { return trajectory_.steps_searched(); }
    /// Steps reported with applied = false.
    [[nodiscard]] std::uint64_t steps_skipped() const noexcept { return trajectory_.steps_skipped(); }
    [[nodiscard]] std::uint64_t evaluations() const noexcept { return evaluations_; }
    /// Stages started so far (searched or not).
    [[nodiscard]] std::uint32_t stages() const noexcept { return stages_started_; }
    [[nodiscard]] std::uint32_t divergences() const noexcept { return divergences_; }
    /// The LR ceiling left by divergences (lr_max when none).
    [[nodiscard]] double learning_rate_ceiling() const noexcept { return ceiling_; }
    /// The found schedule so far as rows (start_step, lr), in trajectory steps: the steps
    /// that shaped the model (warmup, stages, kept winners, cooldown), not the search's.
    [[nodiscard]] std::span<const schedule::piecewise_constant_row> schedule_rows() const noexcept {
        return trajectory_.rows();
    }
    /// The found schedule so far, to replay with no search (autolrs::run_schedule).
    /// Throws autolrs::invalid_setting while no step has been trained.
    [[nodiscard]] schedule::piecewise_constant found_schedule() const {
        const auto rows = trajectory_.rows();
        return schedule::piecewise_constant({std::vector<schedule::piecewise_constant_row>(rows.begin(), rows.end())});
    }
    /// The resolved stage lengths: first stage, longest stage, cooldown steps.
    [[nodiscard]] std::uint64_t first_stage_length() const noexcept { return lengths_.first; }
    [[nodiscard]] std::uint64_t longest_stage_length() const noexcept { return lengths_.longest; }
    [[nodiscard]] std::uint64_t cooldown_steps() const noexcept { return lengths_.cooldown_steps; }

    /// The checkpoint slots whose contents the rest of the current stage (or cooldown) may
    /// restore, as a bit mask (bit i: slot i). 0 at stage boundaries (the warmup, a stage's
    /// start before its checkpoint, the cooldown's checkpoint, the end): there a host with
    /// empty slots (a new directive_executor, a resumed run) can take over.
    [[nodiscard]] std::uint32_t slots_needed() const noexcept {
        switch (wait_) {
            case wait::warmup_step:
            case wait::start_evaluation:
            case wait::start_checkpoint:
            case wait::cooldown_checkpoint:
            case wait::finished: return 0;
            case wait::candidate_restore:
            case wait::candidate_step:
            case wait::probe_step:
            case wait::probe_evaluation:
            case wait::candidate_evaluation:
                return winner_ != no_candidate && settings_.keep_winner_state ? 3U : 1U;
            case wait::stage_restore: return 1U | (1U << pending_.slot);
            default: return 1U;
        }
    }

    /// The events of the last call (or of construction, before the first call).
    [[nodiscard]] std::span<const event> events() const noexcept { return events_; }

protected:
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
        probe_evaluation,  // after `finished`: a state file stores the number
    };

    explicit controller_state(const controller_settings& settings)
        : settings_(validated(settings)),
          lengths_(resolve_stage_lengths(settings_)),
          log_lr_min_(std::log(settings_.lr_min)),
          log_lr_max_(std::log(settings_.lr_max)),
          warmup_lr_(settings_.warmup_lr != 0.0 ? settings_.warmup_lr : geometric_mean(settings_.lr_min, settings_.lr_max)),
          guard_(settings_.divergence_memory),
          ceiling_(settings_.lr_max),
          tau_(lengths_.first) {
        const std::uint64_t longest_candidate = candidate_steps(lengths_.longest, settings_.candidate_fraction);
        window_.assign(longest_candidate + anneal_probe_steps(longest_candidate, settings_.anneal_probe) + 1, 0.0);
        reserve_buffers();
    }

    // ---- queries and bookkeeping the state machine shares (no directive, no event) --------

    void begin_phase(std::uint64_t length) {
        phase_step_ = 0;
        phase_length_ = length;
        over_train_ = 0;
    }

    [[nodiscard]] bool budget_spent() const noexcept {
        return settings_.total_steps != 0 && steps_total() >= settings_.total_steps;
    }
    [[nodiscard]] double upper() const noexcept { return std::min(settings_.lr_max, ceiling_); }
    [[nodiscard]] std::uint64_t room() const noexcept {
        if (!lengths_.budget_aware) return std::numeric_limits<std::uint64_t>::max();
        return lengths_.cooldown_start > steps_total() ? lengths_.cooldown_start - steps_total() : 0;
    }
    [[nodiscard]] bool exploding(double loss, double reference, std::uint32_t& over) const noexcept {
        return detail::exploding(loss, reference, settings_.divergence_factor, settings_.divergence_patience, over);
    }
    [[nodiscard]] double signal_start_loss() const noexcept { return val_signal_ ? start_val_loss_ : start_train_loss_; }
    [[nodiscard]] double loss_scale() const noexcept { return candidates_.loss_scale(signal_start_loss()); }
    [[nodiscard]] double horizon_units() const noexcept {
        const double h = static_cast<double>(horizon_);
        return val_signal_ ? h / static_cast<double>(val_interval_) : h;
    }
    /// A stage's or the cooldown's start: snapshot what a divergence would undo.
    void begin_guarded_phase() {
        trajectory_.begin_stage();
        guard_.snapshot();
        start_train_loss_ = guard_.recent_mean();
        guard_train_loss_ = guard_.envelope();
    }

    /// Undo the stage's trajectory: its steps become thrown-away (searched) steps.
    void discard_stage() {
        ++divergences_;
        trajectory_.discard_stage();
        guard_.rollback();
    }


    /// On the validation signal, whether a candidate's step `step` (1-based, counted from its
    /// start) ends with an evaluation: every val_interval steps, and the anneal probe's last.
    [[nodiscard]] bool evaluates_after(std::uint64_t step) const noexcept {
        return step % val_interval_ == 0 || (step > tau_prime_ && step == tau_prime_ + probe_steps_);
    }
    /// The evaluations a candidate on the validation signal has taken after `step` steps (the
    /// window's size then): the candidate's own, then its probe's.
    [[nodiscard]] std::size_t validation_points(std::uint64_t step) const noexcept {
        const std::uint64_t own = std::min(step, tau_prime_) / val_interval_;
        if (step <= tau_prime_) return static_cast<std::size_t>(own);
        const std::uint64_t probe = step / val_interval_ - tau_prime_ / val_interval_;
        const bool last_extra = step == tau_prime_ + probe_steps_ && step % val_interval_ != 0;
        return static_cast<std::size_t>(own + probe + (last_extra ? 1 : 0));
    }

    /// The anneal probe's LR at its step `j` after a candidate at `lr`.
    [[nodiscard]] double probe_lr_at(double lr, std::uint64_t j) const noexcept {
        return detail::anneal_probe_lr_at(lr, settings_.anneal_probe_ratio, settings_.lr_min, settings_.anneal_probe_decay,
                                          j, probe_steps_);
    }

    /// An applied step's bookkeeping: the count it joins, what the loss guard remembers.
    void count_step(double loss) {
        ++phase_step_;
        last_loss_ = loss;
        switch (wait_) {
            case wait::warmup_step:
            case wait::cooldown_step:
                trajectory_.count_trajectory_step(pending_.learning_rate);
                guard_.remember(loss);
                break;
            case wait::stage_step:
                trajectory_.count_trained();
                guard_.remember(loss);
                break;
            default: trajectory_.count_searched(); break;
        }
    }

    /// Capacity for everything a step may append to, so that tell_step never allocates.
    void reserve_buffers() {
        const std::size_t k = settings_.candidates;
        candidates_.reserve(2 * k);
        warm_.reserve(2 * k);
        events_.reserve(16);
        std::size_t per_step_rows = 0;  // warmup and cooldown record one row per step
        if (wait_ == wait::finished || wait_ == wait::warmup_step) {
            per_step_rows = static_cast<std::size_t>(settings_.warmup_steps);
        } else if (wait_ == wait::cooldown_step || wait_ == wait::cooldown_checkpoint ||
                   wait_ == wait::cooldown_recovery_restore) {
            per_step_rows = static_cast<std::size_t>(settings_.total_steps - steps_total());
        }
        trajectory_.reserve(per_step_rows + 64);
    }

    /// Writes the header (with `Derived`'s policies), the state's fields, then `search`'s.
    template <class Derived, class SearchPart>
    void save_with(const Derived&, std::ostream& os, const SearchPart& search) const {
        state_text_writer w(os);
        write_header(w, policy_identity<Derived>());
        state_saver saver{w};
        visit_state(*this, saver);
        SearchPart::visit_state(search, saver);
        w.line("end");
    }

    /// Loads into a copy of `self` (its search is the member `search`), checks the copy and
    /// replays its search, and only then replaces `self`: on any error `self` is unchanged.
    template <class Derived, class SearchPart>
    static void load_into(Derived& self, SearchPart Derived::*search, std::istream& is) {
        state_text_reader r(is);
        static_cast<const controller_state&>(self).check_header(r, policy_identity<Derived>());
        Derived copy(self);
        controller_state& state = copy;
        state_loader loader{r};
        visit_state(state, loader);
        SearchPart::visit_state(copy.*search, loader);
        r.expect("end");
        state.check_loaded();
        (copy.*search).check_loaded();
        try {
            (copy.*search).replay();
        } catch (const invalid_state&) {
            throw;
        } catch (const std::exception& e) {
            throw invalid_state(std::string("replaying the stage's search failed: ") + e.what());
        }
        state.reserve_buffers();
        (copy.*search).reserve(state.settings_.candidates);
        state.events_.clear();
        self = std::move(copy);
    }

    /// The controller type's name (its search, forecaster and other policies are template
    /// arguments): a state saved by a controller with other policies is refused. Without
    /// RTTI, "unknown" (not checked).
    template <class Derived>
    [[nodiscard]] static std::string policy_identity() {
#if defined(__cpp_rtti) || defined(__GXX_RTTI) || defined(_CPPRTTI)
        std::string name = typeid(Derived).name();
        for (char& c : name) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '~';  // one word on the line
        }
        return name.empty() ? std::string("unknown") : name;
#else
        return "unknown";
#endif
    }

    /// A saved state's first lines: its format, version, the controller's policies and the
    /// settings it was saved under.
    void write_header(state_text_writer& w, std::string_view policies) const {
        w.line(state_format, state_version);
        w.line("policies", policies);
        write_settings(w, settings_);
    }
    /// Throws invalid_state naming what differs: the format, the version, the policies or a setting.
    void check_header(state_text_reader& r, std::string_view policies) const {
        r.expect(state_format);
        const std::uint64_t version = r.get_u64();
        if (version != state_version) {
            throw invalid_state("unsupported " + std::string(state_format) + " version " + std::to_string(version) +
                                " (this build reads version " + std::to_string(state_version) + ")");
        }
        r.finish_line();
        r.expect("policies");
        const std::string saved_policies = r.get_word();
        r.finish_line();
        if (saved_policies != policies && saved_policies != "unknown" && policies != "unknown") {
            throw invalid_state("saved by a controller with other policies (search, forecaster, objective, stop rule "
                                "or initial design): saved " + saved_policies + ", this controller is " +
                                std::string(policies));
        }
        check_settings(r, settings_);
    }

    /// The state's fields, then each part's, in save order (the search's are the controller's);
    /// `Self` is const for saving.
    template <class Self, class V>
    static void visit_state(Self& c, V& v) {
        v.value("pending_kind", c.pending_.kind);
        v.value("pending_learning_rate", c.pending_.learning_rate);
        v.value("pending_slot", c.pending_.slot);
        v.value("wait", c.wait_);
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
        v.value("stage_lr", c.stage_lr_);
        v.value("last_lr", c.last_lr_);
        v.value("has_stage_lr", c.has_stage_lr_);
        v.value("ceiling", c.ceiling_);
        v.value("cooldown_lr", c.cooldown_lr_);
        v.value("last_loss", c.last_loss_);
        v.value("warm_scale", c.warm_scale_);
        v.prefix("window", c.window_, c.window_size_);
        v.list("warm", c.warm_, [](auto&& io, auto& o) {
            io(o.x);
            io(o.y);
            io(o.noise_variance);
        });
        trajectory::visit_state(c.trajectory_, v);
        loss_guard::visit_state(c.guard_, v);
        candidate_table::visit_state(c.candidates_, v);
    }

    /// A loaded state must be one the controller could have reached: else a damaged file
    /// would index past buffers, hand out LRs outside [lr_min, lr_max] (or 0), or ask later
    /// for what never happened (a restore of a slot never filled, a schedule that does not
    /// start at step 0). A state file is untrusted input: every count is checked without
    /// arithmetic that could wrap, every field a later call relies on is checked here.
    void check_loaded() const {
        const controller_settings& s = settings_;
        const auto lr_ok = [&](double lr) { return std::isfinite(lr) && lr >= s.lr_min && lr <= s.lr_max; };
        const auto lr_or_unset = [&](double lr) { return lr == 0.0 || lr_ok(lr); };
        const auto waiting = [&](std::initializer_list<wait> ws) {
            return std::find(ws.begin(), ws.end(), wait_) != ws.end();
        };
        require_state(pending_.kind <= directive_kind::done && wait_ <= wait::probe_evaluation, "unknown directive or wait");
        require_state(pending_.kind == awaited(wait_), "the pending directive does not match what it waits for");
        // The slot: the winner's checkpoint is slot 1, a stage may restore the kept winner from
        // slot 1; everything else is slot 0.
        if (wait_ == wait::winner_checkpoint) {
            require_state(pending_.slot == 1 && s.keep_winner_state, "pending_slot");
        } else if (wait_ == wait::stage_restore) {
            require_state(pending_.slot == 0 || (pending_.slot == 1 && s.keep_winner_state && winner_ != no_candidate &&
                                                 winner_ != last_candidate_),
                          "pending_slot");
        } else {
            require_state(pending_.slot == 0, "pending_slot");
        }
        if (pending_.kind != directive_kind::train) {
            require_state(pending_.learning_rate == 0.0 && !std::signbit(pending_.learning_rate),
                          "pending_learning_rate (only a train directive has one)");
        }
        trajectory_.check_loaded(s.total_steps, s.lr_max);
        guard_.check_loaded();
        candidates_.check_loaded(2 * static_cast<std::size_t>(s.candidates), s.lr_min, s.lr_max);

        // Counts and lengths: each compared against a bound without adding two loaded values.
        const std::uint64_t window = window_.size();  // fixed at construction, >= 2
        require_state(tau_ >= 1 && tau_ <= lengths_.longest && planned_tau_ <= lengths_.longest, "tau or planned_tau");
        require_state(horizon_ <= std::max(lengths_.longest, s.total_steps), "horizon");
        require_state(tau_prime_ < window && probe_steps_ < window - tau_prime_, "tau_prime or probe_steps");
        require_state(val_interval_ >= 1 && stage_index_ <= stages_started_, "val_interval or stage_index");
        if (searched_) {
            // A searched stage's shape follows from its planned horizon (stage_plan.hpp).
            require_state(planned_tau_ >= 1 && tau_prime_ == candidate_steps(planned_tau_, s.candidate_fraction) &&
                              tau_prime_ <= horizon_,
                          "tau_prime does not follow from planned_tau");
            const bool val = s.signal == loss_signal::validation ||
                             (s.signal == loss_signal::reference_switch && planned_tau_ >= lengths_.longest);
            require_state(val_signal_ == val, "val_signal does not follow from planned_tau");
            // (a validation-signal stage saved before the probe ran on that signal has none)
            require_state(probe_steps_ == anneal_probe_steps(tau_prime_, s.anneal_probe) || (val && probe_steps_ == 0),
                          "probe_steps does not follow from tau_prime");
            require_state(val_interval_ <= tau_prime_, "val_interval");
        } else {
            require_state(probe_steps_ == 0 && !val_signal_, "an unsearched stage with a probe or a validation signal");
        }
        const bool in_candidate = waiting({wait::candidate_restore, wait::candidate_step, wait::probe_step,
                                           wait::probe_evaluation, wait::candidate_evaluation});
        if (in_candidate || waiting({wait::start_evaluation, wait::winner_checkpoint})) {
            require_state(searched_, "a search in an unsearched stage");
        }
        if (waiting({wait::candidate_step, wait::candidate_evaluation, wait::candidate_restore})) {
            require_state(phase_step_ <= tau_prime_ && window_size_ <= phase_step_, "candidate progress");
        }
        if (wait_ == wait::probe_step) {
            // On the validation signal the window holds the candidate's evaluations, then the probe's.
            require_state(probe_steps_ > 0 && phase_step_ >= tau_prime_ && phase_step_ - tau_prime_ < probe_steps_ &&
                              (val_signal_ ? window_size_ == validation_points(phase_step_)
                                           : window_size_ == phase_step_),
                          "anneal probe progress");
        }
        if (wait_ == wait::probe_evaluation) {
            require_state(val_signal_ && probe_steps_ > 0 && phase_step_ > tau_prime_ &&
                              phase_step_ - tau_prime_ <= probe_steps_ &&
                              window_size_ + 1 == validation_points(phase_step_),
                          "anneal probe evaluation progress");
        }
        if (wait_ == wait::warmup_step) {
            require_state(phase_length_ == s.warmup_steps && phase_step_ < phase_length_ && !has_stage_lr_ &&
                              stages_started_ == 0,
                          "warmup progress");
        }
        if (wait_ == wait::stage_step) {
            require_state(phase_step_ < phase_length_ && phase_length_ <= std::max(horizon_, s.total_steps),
                          "stage progress");
        }
        if (wait_ == wait::cooldown_step) {
            require_state(s.total_steps != 0 && steps_total() <= s.total_steps && phase_step_ < phase_length_ &&
                              phase_length_ - phase_step_ == s.total_steps - steps_total(),
                          "cooldown progress");
        }

        // Learning rates: every one a later directive may carry is inside [lr_min, lr_max]
        // (the cooldown's may be lower, never 0).
        require_state(lr_ok(ceiling_) && lr_or_unset(stage_lr_) && lr_or_unset(last_lr_) && lr_or_unset(candidate_lr_) &&
                          std::isfinite(candidate_x_) && std::isfinite(cooldown_lr_) && cooldown_lr_ >= 0.0 &&
                          cooldown_lr_ <= s.lr_max,
                      "learning rates");
        require_state(!has_stage_lr_ || lr_ok(last_lr_), "last_lr");
        if (in_candidate) require_state(lr_ok(candidate_lr_) && candidate_lr_ <= upper(), "candidate_lr");
        if (waiting({wait::stage_restore, wait::stage_step}) || (wait_ == wait::start_checkpoint && !searched_)) {
            require_state(lr_ok(stage_lr_), "stage_lr");
        }
        if (waiting({wait::cooldown_checkpoint, wait::cooldown_step, wait::cooldown_recovery_restore})) {
            // From min(last LR, ceiling), times divergence_backoff at each divergence: never
            // below lr_min * backoff^divergences (in log space: no underflow to 0).
            const double lowest = std::log(s.lr_min) + static_cast<double>(divergences_) * std::log(s.divergence_backoff);
            require_state(std::isnormal(cooldown_lr_) && cooldown_lr_ <= ceiling_ &&
                              std::log(cooldown_lr_) >= lowest - 1e-9 * std::abs(lowest) - 1e-9,
                          "cooldown_lr");
        }
        if (pending_.kind == directive_kind::train) {
            // The pending LR is the one the state machine would have set (exactly).
            const double lr = pending_.learning_rate;
            double expected = lr;
            switch (wait_) {
                case wait::warmup_step: expected = warmup_lr_at(s, warmup_lr_, phase_step_, phase_length_); break;
                case wait::candidate_step: expected = candidate_lr_; break;
                case wait::probe_step: expected = probe_lr_at(candidate_lr_, phase_step_ - tau_prime_); break;
                case wait::stage_step: expected = stage_lr_; break;
                case wait::cooldown_step: expected = cooldown_lr_at(s, cooldown_lr_, phase_step_, phase_length_); break;
                default: break;
            }
            require_state(std::isfinite(lr) && lr > 0.0 && lr <= s.lr_max && (wait_ == wait::cooldown_step || lr >= s.lr_min) &&
                              lr == expected,
                          "pending_learning_rate");
        }
        require_state((winner_ == no_candidate || winner_ < candidates_.size()) &&
                          (last_candidate_ == no_candidate || last_candidate_ < candidates_.size()),
                      "winner or last candidate");
        require_state(warm_.size() <= 2 * static_cast<std::size_t>(s.candidates) &&
                          std::all_of(warm_.begin(), warm_.end(), finite_observation),
                      "warm-start observations");
    }

    /// The directive each wait state answers.
    static constexpr directive_kind awaited(wait w) noexcept {
        switch (w) {
            case wait::warmup_step:
            case wait::candidate_step:
            case wait::probe_step:
            case wait::stage_step:
            case wait::cooldown_step: return directive_kind::train;
            case wait::start_evaluation:
            case wait::candidate_evaluation:
            case wait::probe_evaluation: return directive_kind::evaluate;
            case wait::start_checkpoint:
            case wait::winner_checkpoint:
            case wait::cooldown_checkpoint: return directive_kind::checkpoint;
            case wait::finished: return directive_kind::done;
            default: return directive_kind::restore;
        }
    }

    static controller_settings validated(const controller_settings& s) {
        s.validate();
        return s;
    }

    // the settings and what they resolve to (fixed after construction)
    controller_settings settings_;
    stage_lengths lengths_;
    double log_lr_min_ = 0.0;
    double log_lr_max_ = 0.0;
    double warmup_lr_ = 0.0;

    // the parts
    trajectory trajectory_;
    loss_guard guard_;
    candidate_table candidates_;

    // the state machine
    directive pending_;
    wait wait_ = wait::finished;
    std::uint64_t evaluations_ = 0;
    std::uint32_t stage_index_ = 0;
    std::uint32_t stages_started_ = 0;
    std::uint32_t divergences_ = 0;
    std::uint64_t phase_step_ = 0;    // steps of the current phase (warmup, candidate, stage, cooldown)
    std::uint64_t phase_length_ = 0;
    std::uint32_t over_train_ = 0;    // measurements in a row above the divergence threshold
    std::uint32_t over_val_ = 0;
    double last_loss_ = event::none;
    double ceiling_ = 0.0;            // the LR ceiling left by divergences
    double stage_lr_ = 0.0;
    double last_lr_ = 0.0;            // the last stage's LR
    bool has_stage_lr_ = false;
    double cooldown_lr_ = 0.0;

    // the current stage
    std::uint64_t tau_ = 0;          // next horizon of the growth sequence
    std::uint64_t planned_tau_ = 0;  // the current stage's horizon before any extension
    std::uint64_t horizon_ = 0;      // the current stage's horizon tau (forecast target)
    std::uint64_t tau_prime_ = 0;
    std::uint64_t probe_steps_ = 0;  // the anneal probe after each candidate of this stage
    std::uint64_t val_interval_ = 1;
    bool val_signal_ = false;
    bool searched_ = false;
    double start_train_loss_ = event::none;  // mean level: scales, warm-start shifts
    double guard_train_loss_ = event::none;  // top of the noise envelope: divergence checks
    bool train_reference_from_history_ = false;
    double start_val_loss_ = event::none;
    std::uint32_t winner_ = no_candidate;
    std::uint32_t last_candidate_ = no_candidate;
    std::vector<observation> warm_;  // the last stage's candidates as improvements (warm_start)
    double warm_scale_ = 0.0;        // the last stage's loss scale

    // the running candidate
    double candidate_x_ = 0.0;
    double candidate_lr_ = 0.0;
    std::vector<double> window_;  // its losses, then its probe's (capacity fixed at construction)
    std::size_t window_size_ = 0;

    std::vector<event> events_;
};

}  // namespace autolrs::detail
