#pragma once
// basic_controller: the AutoLRS state machine. It alone sets the next directive and reports
// events; its parts (stage plan, candidate table, loss guard, trajectory, recorded search,
// and the policies: search, forecaster, stage objective, stop rule, initial design) own
// their fields, take inputs and return values.
//
// What happens: an optional warmup; then stages. A stage checkpoints its start (slot 0),
// tries up to `candidates` LRs for tau' steps each (restoring slot 0 before each but the
// first; the first few from the initial design, then from the search), judges each by the
// stage objective (by default its forecast loss at the stage's horizon tau, less what its
// anneal probe removed) and tells the search (the stddev as the observation's noise),
// picks the lowest, and trains the stage at that LR (from the winner's state when kept).
// The stop rule may end the search early. When the budget is known, stages are planned to
// fit, a search that cannot pay back is skipped, and the last cooldown_fraction of the
// budget anneals the LR. Divergence and resume: see controller_state.hpp.

#include "autolrs/controller/controller_state.hpp"
#include "autolrs/controller/initial_design.hpp"
#include "autolrs/controller/ramps.hpp"
#include "autolrs/controller/stage_objective.hpp"
#include "autolrs/controller/stop_rule.hpp"
#include "autolrs/numeric/seeded_random.hpp"
#include "autolrs/search/concept.hpp"
#include "autolrs/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace autolrs {

/// The controller, for any search and policies (the protocol is in autolrs/protocol.hpp).
/// `autolrs::controller<...>` is this with autolrs::bayes_opt as the search.
template <class Search, class Forecaster, class Objective = annealed_loss_objective,
          class StopRule = expected_gain_stop, class Design = middle_out_design>
class basic_controller : public detail::controller_state {
    static_assert(explain_lr_search<Search>());
    static_assert(explain_loss_forecaster<Forecaster>());
    static_assert(explain_stage_objective<Objective, Forecaster>());
    static_assert(explain_stage_stop_rule<StopRule>());
    static_assert(explain_initial_design<Design>());

public:
    using search_type = Search;
    using forecaster_type = Forecaster;
    using objective_type = Objective;
    using stop_rule_type = StopRule;
    using initial_design_type = Design;
    static constexpr std::uint32_t start_slot = 0;   ///< the stage's start state
    static constexpr std::uint32_t winner_slot = 1;  ///< the best candidate's end state
    static constexpr std::uint32_t slot_count = 2;

    /// The policies besides the search and the forecasters.
    struct policies {
        Objective objective{};
        StopRule stop_rule{};
        Design initial_design{};
    };

    /// `search` must already be set up for x = log(LR) in [log(lr_min), log(lr_max)].
    /// `forecaster` forecasts training-loss windows, `validation_forecaster` validation-loss
    /// windows (by default the same).
    basic_controller(const controller_settings& settings, Search search, Forecaster forecaster = Forecaster{})
        : basic_controller(settings, std::move(search), forecaster, forecaster) {}
    basic_controller(const controller_settings& settings, Search search, Forecaster forecaster,
                     Forecaster validation_forecaster, policies chosen = {});

    // ---- the protocol ------------------------------------------------------------------------

    /// After a `train` directive: the step's loss, and whether the step was really applied.
    /// Does not allocate.
    directive tell_step(double loss, bool applied = true);
    directive tell_step(step_result result) { return tell_step(result.loss, result.applied); }

    /// After a `checkpoint` directive.
    directive tell_checkpointed();

    /// After a `restore` directive.
    directive tell_restored();

    /// After an `evaluate` directive: the validation loss.
    directive tell_validation(double loss);

    // ---- progress: see also controller_state ----------------------------------------------

    /// The current stage's search (rebuilt from a pristine copy at every stage).
    [[nodiscard]] const Search& search() const noexcept { return search_.search(); }
    [[nodiscard]] const Forecaster& forecaster() const noexcept { return forecaster_; }
    [[nodiscard]] const policies& chosen_policies() const noexcept { return policies_; }

    // ---- save and load -------------------------------------------------------------------

    /// Writes the whole state (versioned text; doubles as hex floats, so exact).
    void save(std::ostream& os) const;
    [[nodiscard]] std::string save() const {
        std::ostringstream os;
        save(os);
        return os.str();
    }

    /// Replaces this controller's state by a saved one. The controller must have been built
    /// with the same settings (else autolrs::invalid_state names the setting that differs)
    /// and equal policies. On any error this controller is left as it was.
    void load(std::istream& is);
    void load(std::string_view text) {
        std::istringstream is{std::string(text)};
        load(is);
    }

private:
    // ---- transitions: the only places that set the directive -------------------------------

    void expect(directive_kind kind, const char* call) const {
        if (pending_.kind != kind) {
            throw protocol_error(std::string("autolrs controller: ") + call + "() called, but the pending directive is '" +
                                 std::string(to_string(pending_.kind)) + "'");
        }
    }
    void emit(event e) {
        e.step = steps_total();
        e.stage = stage_index_;
        events_.push_back(e);
    }
    void train_at(double lr, wait next) {
        pending_ = {directive_kind::train, lr, 0};
        wait_ = next;
    }
    void await(directive_kind kind, std::uint32_t slot, wait next) {
        pending_ = {kind, 0.0, slot};
        wait_ = next;
    }
    /// What the running candidate is judged by, from its first `points` and `probe` probe steps.
    [[nodiscard]] forecast judge(std::size_t points, std::uint64_t probe) const {
        const candidate_window w{std::span<const double>(window_.data(), window_size_), points, probe, horizon_units()};
        return policies_.objective.judge(val_signal_ ? validation_forecaster_ : forecaster_, w);
    }

    // ---- stages ----------------------------------------------------------------------------

    void start_stage() {
        if (lengths_.budget_aware && room() == 0) {
            start_cooldown();
            return;
        }
        const detail::stage_plan plan =
            detail::plan_stage(settings_, lengths_, tau_, room(), upper() > settings_.lr_min, has_stage_lr_);
        searched_ = plan.searched;
        horizon_ = plan.horizon;
        if (plan.searched) {
            tau_prime_ = plan.candidate_steps;
            planned_tau_ = plan.planned_horizon;
            val_signal_ = plan.validation_signal;
            val_interval_ = plan.validation_interval;
        }
        begin_guarded_phase();
        candidates_.clear();
        winner_ = detail::no_candidate;
        last_candidate_ = detail::no_candidate;
        train_reference_from_history_ = guard_.has_history();
        start_val_loss_ = event::none;
        ++stages_started_;
        probe_steps_ = plan.probe_steps;
        if (!searched_) {
            stage_lr_ = has_stage_lr_ ? std::min(last_lr_, upper()) : detail::geometric_mean(settings_.lr_min, upper());
            val_signal_ = false;
            emit({.kind = event_kind::stage_start, .loss = start_train_loss_, .length = horizon_,
                  .message = "a stage without search (0 candidates): search_skipped follows with the reason"});
            emit({.kind = event_kind::search_skipped, .learning_rate = stage_lr_, .length = horizon_,
                  .message = plan.skip_reason});
            await(directive_kind::checkpoint, start_slot, wait::start_checkpoint);
            return;
        }
        // A kept winner's probe adds rows to the schedule (not on the per-step path).
        if (trajectory_.spare_rows() < probe_steps_ + 8) trajectory_.reserve(probe_steps_ + 64);
        emit({.kind = event_kind::stage_start, .candidates = settings_.candidates, .loss = start_train_loss_,
              .length = horizon_,
              .message = val_signal_ ? "a stage: search up to `candidates` LRs on the validation loss, horizon `length`"
                                     : "a stage: search up to `candidates` LRs on the training loss, horizon `length`"});
        if (val_signal_) {
            await(directive_kind::evaluate, 0, wait::start_evaluation);
        } else {
            await(directive_kind::checkpoint, start_slot, wait::start_checkpoint);
        }
    }

    void prepare_search() {
        search_.begin_stage(detail::mix_seed(settings_.seed + 0x9e3779b97f4a7c15ULL * (stage_index_ + 1ULL)),
                            std::log(upper()));
        const double start = signal_start_loss();
        if (settings_.warm_start && !warm_.empty() && std::isfinite(start)) {
            search_.warm_start(warm_, start, std::pow(settings_.warm_start_noise * warm_scale_, 2));
        }
        if (ceiling_ < settings_.lr_max) search_.tell_infeasible(search_.top_x());
        if (searches_below_incumbent()) {
            // Just above the incumbent: the incumbent itself stays inside the search's interval.
            const double incumbent_x = std::log(std::clamp(last_lr_, settings_.lr_min, upper()));
            if (incumbent_x < search_.top_x()) search_.rule_out_above(incumbent_x + incumbent_ceiling_slack);
        }
    }

    /// With search_below_incumbent, a stage with an incumbent searches at or below it.
    [[nodiscard]] bool searches_below_incumbent() const noexcept {
        return settings_.search_below_incumbent && incumbent_leads();
    }
    static constexpr double incumbent_ceiling_slack = 1e-9;  ///< in log LR: rounding, not a step

    /// With incumbent_margin, a stage after the first tries the previous stage's LR first.
    [[nodiscard]] bool incumbent_leads() const noexcept { return settings_.incumbent_margin > 0.0 && has_stage_lr_; }

    /// The initial design's point for candidate `index` (x = log LR), or the search's top_x when
    /// the design is spent. After an incumbent, design points within half a design spacing of it
    /// are skipped (they would measure the incumbent again), and with search_below_incumbent
    /// those above it.
    [[nodiscard]] double design_point(std::uint32_t index) const {
        const std::uint32_t size = settings_.initial_design;
        const double low = log_lr_min_, high = std::log(upper());
        if (!incumbent_leads()) {
            return index < size ? static_cast<double>(policies_.initial_design.point(index, size, low, high)) : search_.top_x();
        }
        const double incumbent_x = std::log(std::clamp(last_lr_, settings_.lr_min, upper()));
        const double too_close = 0.5 * (high - low) / static_cast<double>(size + 1);
        for (std::uint32_t i = 0, taken = 1; i < size; ++i) {  // the incumbent is candidate 0
            const auto x = static_cast<double>(policies_.initial_design.point(i, size, low, high));
            if (std::abs(x - incumbent_x) < too_close || (searches_below_incumbent() && x > incumbent_x)) continue;
            if (taken++ == index) return x;
        }
        return search_.top_x();
    }

    void begin_candidate() {
        const std::uint32_t index = candidates_.size();
        if (index == 0) prepare_search();
        const bool incumbent = incumbent_leads() && index == 0;
        const double design_x = incumbent || search_.warm_started() ? search_.top_x() : design_point(index);
        const bool from_design = design_x < search_.top_x();
        std::tie(candidate_x_, candidate_lr_) = detail::inside_interval(
            incumbent ? std::log(last_lr_) : from_design ? design_x : search_.ask(), settings_.lr_min, upper());
        begin_phase(0);
        window_size_ = 0;
        over_val_ = 0;
        emit({.kind = event_kind::candidate_start, .candidate = index, .learning_rate = candidate_lr_, .length = tau_prime_,
              .message = incumbent     ? "candidate LR: the previous stage's, which another must beat by incumbent_margin stddevs"
                         : from_design ? "candidate LR from the initial space-filling design"
                                       : "candidate LR from the search"});
        if (index == 0) {
            train_at(candidate_lr_, wait::candidate_step);
        } else {
            await(directive_kind::restore, start_slot, wait::candidate_restore);
        }
    }

    void candidate_step(double loss) {
        if (phase_step_ == 1 && !train_reference_from_history_ && std::isfinite(loss)) {
            // No history: the first loss of each candidate measures the stage's start state.
            start_train_loss_ = std::isfinite(start_train_loss_) ? std::min(start_train_loss_, loss) : loss;
            guard_train_loss_ = start_train_loss_;
        }
        if (exploding(loss, guard_train_loss_, over_train_)) {
            candidate_diverged(loss);
        } else if (!val_signal_) {
            window_[window_size_++] = loss;
            window_filled();
        } else if (phase_step_ % val_interval_ == 0) {
            await(directive_kind::evaluate, 0, wait::candidate_evaluation);
        } else if (phase_step_ >= tau_prime_) {
            window_filled();  // no evaluation at tau': the window is complete, probe or end
        }
    }

    /// After a point joins the running candidate's window: race it, end it, probe it, or go on.
    void window_filled() {
        if (const auto raced = race_forecast()) {
            end_candidate(*raced, true);
        } else if (phase_step_ < tau_prime_) {
            if (wait_ == wait::candidate_evaluation) train_at(candidate_lr_, wait::candidate_step);
        } else if (probe_steps_ > 0) {
            train_at(probe_lr_at(candidate_lr_, 0), wait::probe_step);
        } else {
            end_candidate(judge(window_size_, 0), false);
        }
    }

    /// Racing: once per candidate, when its window holds race_fraction of a full candidate's
    /// points (more than two, less than all), a candidate whose forecast, even race_stddevs
    /// below, is above the stage's best so far ends with that forecast: finishing it cannot
    /// change the choice.
    [[nodiscard]] std::optional<forecast> race_forecast() const {
        const std::uint64_t full = val_signal_ ? tau_prime_ / val_interval_ : tau_prime_;
        const std::uint32_t best = candidates_.best(upper());
        if (!detail::race_due(settings_.race_fraction, window_size_, full) || best == detail::no_candidate) return {};
        const forecast f = judge(window_size_, 0);
        if (!detail::clearly_worse(f, candidates_[best].forecast, settings_.race_stddevs)) return {};
        return f;
    }

    void candidate_diverged(double loss) {
        last_candidate_ = candidates_.add(
            {candidate_x_, candidate_lr_, event::none, event::none, forecast_status::invalid_input, false});
        mark_infeasible();
        emit({.kind = event_kind::candidate_diverged, .candidate = last_candidate_, .learning_rate = candidate_lr_,
              .loss = loss, .length = phase_step_,
              .message = std::isfinite(loss) ? "the loss rose above divergence_factor times the stage's starting level: "
                                               "infeasible, the search stays below divergence_backoff times this LR"
                                             : "non-finite loss: infeasible, the search stays below divergence_backoff times this LR"});
        after_candidate();
    }

    /// LRs above divergence_backoff times the running candidate's are infeasible for the rest
    /// of the stage (the LR just below a divergence is rarely worth a candidate).
    void mark_infeasible() { search_.rule_out_above(candidate_x_ + std::log(settings_.divergence_backoff)); }

    /// `f`: what the candidate is judged by; `raced`: stopped by racing before its tau' steps.
    void end_candidate(const forecast& f, bool raced) {
        // stddev^2 must be finite too: it is the search's noise variance (losses near 1e300 overflow it).
        if (f.status == forecast_status::invalid_input || !std::isfinite(f.value) || !std::isfinite(f.stddev * f.stddev)) {
            last_candidate_ = candidates_.add({candidate_x_, candidate_lr_, event::none, event::none, f.status, false});
            mark_infeasible();
            emit({.kind = event_kind::candidate_diverged, .candidate = last_candidate_, .learning_rate = candidate_lr_,
                  .loss = last_loss_, .length = phase_step_, .message = "no usable loss to forecast: infeasible"});
            after_candidate();
            return;
        }
        search_.tell(candidate_x_, f.value, f.stddev * f.stddev);
        last_candidate_ = candidates_.add({candidate_x_, candidate_lr_, f.value, f.stddev, f.status, true});
        emit({.kind = event_kind::candidate_end, .candidate = last_candidate_, .learning_rate = candidate_lr_,
              .loss = last_loss_, .forecast = f.value, .stddev = f.stddev, .status = f.status, .length = phase_step_,
              .message = raced ? "dropped by racing (its forecast's lower bound is above the best): "
                                 "forecast from the steps so far, told to the search"
                    : described_objective<Objective> ? judged_by<Objective>()
                    : probe_steps_ > 0 ? "forecast at the stage's horizon less the loss its anneal probe removed, told to the search"
                                       : "forecast at the stage's horizon, told to the search"});
        if (settings_.keep_winner_state &&
            (winner_ == detail::no_candidate || f.value < candidates_[winner_].forecast)) {
            winner_ = last_candidate_;
            await(directive_kind::checkpoint, winner_slot, wait::winner_checkpoint);
            return;
        }
        after_candidate();
    }

    /// Diverged candidates do not count towards `candidates` (an interval whose top diverges
    /// would otherwise use up the search); at most twice `candidates` are tried.
    void after_candidate() {
        const search_progress progress{candidates_.size(), candidates_.feasible_count(), 0.0};
        if (progress.feasible >= settings_.candidates || progress.tried >= 2 * settings_.candidates ||
            search_.top_x() <= log_lr_min_) {
            decide();
            return;
        }
        auto gain = [this] { return search_.expected_gain(); };
        const stop_verdict verdict = policies_.stop_rule.verdict(
            {progress.tried, progress.feasible, loss_scale(), candidates_.best(settings_.lr_max)}, settings_,
            expected_gain_query(gain));
        if (verdict.stop) {
            emit({.kind = event_kind::search_stopped_early, .candidates = progress.tried, .expected_gain = verdict.gain,
                  .loss_scale = verdict.scale,
                  .message = "the search's expected gain is small against the stage's loss scale"});
            decide();
            return;
        }
        begin_candidate();
    }

    void decide() {
        std::uint32_t lowest = candidates_.best(upper());
        constexpr bool smooth = lr_search_with_posterior_mean<Search>;
        if constexpr (smooth) {
            if (settings_.smooth_choice && lowest != detail::no_candidate) {
                lowest = candidates_.lowest_by([&](double x) { return search_.search().posterior_mean(x); }, upper(),
                                               lowest);
            }
        }
        if (lowest == detail::no_candidate) {
            emit({.kind = event_kind::fallback, .learning_rate = settings_.lr_min,
                  .message = "every candidate diverged: the stage trains at lr_min"});
            start_training(settings_.lr_min, false, true);
            return;
        }
        std::uint32_t best = settings_.prefer_larger_lr > 0.0
                                 ? candidates_.largest_within(lowest, settings_.prefer_larger_lr * loss_scale(), upper())
                                 : lowest;
        const bool kept = incumbent_leads() && detail::incumbent_holds(candidates_, best, settings_.incumbent_margin, upper());
        if (kept) {
            best = 0;
        } else if (settings_.move_to_nearest_tie && incumbent_leads() && best == lowest && candidates_.size() > 0) {
            best = candidates_.nearest_tie(lowest, candidates_[0].x, upper(), 0);
        }
        const detail::candidate_record& c = candidates_[best];
        // Between candidates: the parabola's vertex, when it is off the candidate by more than
        // rounding (the winner's kept state is then not the stage's: it starts from slot 0).
        const double vertex = settings_.interpolate_choice && !kept && best == lowest
                                  ? candidates_.parabola_vertex(best, upper())
                                  : c.x;
        const bool between = std::abs(vertex - c.x) > 1e-9;
        const double lr = between ? detail::inside_interval(vertex, settings_.lr_min, upper()).second : c.learning_rate;
        emit({.kind = event_kind::stage_lr_chosen, .candidate = best, .learning_rate = lr,
              .forecast = c.forecast, .stddev = c.stddev, .status = c.status, .length = horizon_,
              .message = kept ? "the previous stage's LR: no candidate is judged lower by incumbent_margin stddevs"
                         : between ? "the vertex of the parabola in log LR through the best candidate and its neighbours"
                         : best != lowest && settings_.move_to_nearest_tie && incumbent_leads()
                             ? "leaving the previous stage's LR: the candidate nearest it among those within one stddev of the lowest"
                         : best != lowest ? "the largest LR whose forecast is within prefer_larger_lr of the lowest"
                         : settings_.smooth_choice && smooth ? "the lowest posterior mean of the search's model at the stage's candidates"
                                                             : "the lowest forecast of the stage's candidates"});
        if (const int side = detail::bound_side(settings_, lr); side != 0) {
            emit({.kind = event_kind::warning_lr_at_bound, .learning_rate = lr,
                  .message = side < 0 ? "the chosen LR sits on lr_min: the best LR may be lower, lower lr_min"
                                      : "the chosen LR sits on lr_max: the best LR may be higher, raise lr_max"});
        }
        start_training(lr, settings_.keep_winner_state && best == winner_ && !between, true);
    }

    /// Trains the stage at `lr`: from the kept winner's state, or from slot 0.
    void start_training(double lr, bool from_winner, bool needs_restore) {
        stage_lr_ = lr;
        last_lr_ = lr;
        has_stage_lr_ = true;
        trajectory_.record_stage_lr(lr);
        if (from_winner) {
            // The winner's tau' steps, and its anneal probe's, join the trajectory.
            const std::uint64_t kept = tau_prime_ + probe_steps_;
            trajectory_.keep_winner(tau_prime_, probe_steps_, lr, [&](std::uint64_t j) { return probe_lr_at(lr, j); });
            begin_phase(std::min(horizon_ > kept ? horizon_ - kept : 0, room()));
            if (last_candidate_ == winner_) {
                train_stage_or_end();
            } else {
                await(directive_kind::restore, winner_slot, wait::stage_restore);
            }
            return;
        }
        begin_phase(std::min(horizon_, room()));
        if (needs_restore) {
            await(directive_kind::restore, start_slot, wait::stage_restore);
        } else {
            train_stage_or_end();
        }
    }

    void train_stage_or_end() {
        if (phase_length_ == 0) {
            end_stage();
        } else {
            train_at(stage_lr_, wait::stage_step);
        }
    }

    void stage_step(double loss) {
        if (phase_step_ == 1 && !std::isfinite(guard_train_loss_) && std::isfinite(loss)) guard_train_loss_ = loss;
        if (exploding(loss, guard_train_loss_, over_train_)) {
            stage_diverged(loss);
        } else if (phase_step_ >= phase_length_) {
            end_stage();
        }
    }

    void stage_diverged(double loss) {
        discard_stage();
        const double lr = stage_lr_;
        if (lr <= settings_.lr_min * (1.0 + 1e-12)) {
            emit({.kind = event_kind::stage_diverged, .learning_rate = lr, .loss = loss,
                  .message = "the stage diverged at lr_min: restore its start and stop"});
            await(directive_kind::restore, start_slot, wait::final_restore);
            return;
        }
        ceiling_ = std::max(settings_.lr_min, std::min(ceiling_, lr * settings_.divergence_backoff));
        emit({.kind = event_kind::stage_diverged, .learning_rate = lr, .loss = loss, .forecast = event::none,
              .message = "the stage diverged: restore its start, lower the LR ceiling, decide again"});
        await(directive_kind::restore, start_slot, wait::recovery_restore);
    }

    void redecide() {
        const std::uint32_t best = candidates_.best(upper());
        if (best == detail::no_candidate) {
            emit({.kind = event_kind::fallback, .learning_rate = upper(),
                  .message = "no candidate below the lowered ceiling: the stage trains at the ceiling"});
            start_training(upper(), false, false);
            return;
        }
        const detail::candidate_record& c = candidates_[best];
        emit({.kind = event_kind::stage_lr_chosen, .candidate = best, .learning_rate = c.learning_rate,
              .forecast = c.forecast, .stddev = c.stddev, .status = c.status, .length = horizon_,
              .message = "the lowest forecast below the lowered ceiling, after a divergence"});
        start_training(c.learning_rate, false, false);
    }

    void end_stage() {
        if (searched_) {
            candidates_.improvements_over(signal_start_loss(), warm_);
            warm_scale_ = loss_scale();
            tau_ = detail::grown_horizon(planned_tau_, settings_.growth, lengths_.longest);
        }
        ++stage_index_;
        start_stage();
    }

    // ---- cooldown and the end ------------------------------------------------------------

    void start_cooldown() {
        if (lengths_.cooldown_steps == 0 || budget_spent()) {
            finish("the step budget is spent");
            return;
        }
        cooldown_lr_ = has_stage_lr_ ? std::min(last_lr_, upper()) : detail::geometric_mean(settings_.lr_min, upper());
        begin_guarded_phase();
        trajectory_.reserve(static_cast<std::size_t>(settings_.total_steps - steps_total()) + 1);
        emit({.kind = event_kind::cooldown_start, .learning_rate = cooldown_lr_,
              .length = settings_.total_steps - steps_total(), .message = "the final anneal of the budget's last steps"});
        await(directive_kind::checkpoint, start_slot, wait::cooldown_checkpoint);
    }

    void run_cooldown() {
        begin_phase(settings_.total_steps - steps_total());
        train_at(detail::cooldown_lr_at(settings_, cooldown_lr_, 0, phase_length_), wait::cooldown_step);
    }

    void cooldown_step(double loss) {
        if (phase_step_ == 1 && !std::isfinite(guard_train_loss_) && std::isfinite(loss)) guard_train_loss_ = loss;
        if (exploding(loss, guard_train_loss_, over_train_)) {
            discard_stage();
            ceiling_ = std::max(settings_.lr_min, std::min(ceiling_, cooldown_lr_ * settings_.divergence_backoff));
            cooldown_lr_ *= settings_.divergence_backoff;
            emit({.kind = event_kind::stage_diverged, .learning_rate = pending_.learning_rate, .loss = loss,
                  .message = "the cooldown diverged: restore its start, anneal from a lower LR"});
            await(directive_kind::restore, start_slot, wait::cooldown_recovery_restore);
            return;
        }
        pending_.learning_rate = detail::cooldown_lr_at(settings_, cooldown_lr_, phase_step_, phase_length_);
    }

    void finish(std::string_view reason) {
        emit({.kind = event_kind::done, .learning_rate = has_stage_lr_ ? last_lr_ : event::none, .loss = last_loss_,
              .length = steps_total(),
              .message = reason});
        await(directive_kind::done, 0, wait::finished);
    }

    // ---- the policies (the rest of the state is controller_state's) ----------------------

    detail::recorded_search<Search> search_;
    Forecaster forecaster_;
    Forecaster validation_forecaster_;
    policies policies_;
};

}  // namespace autolrs

// The protocol's entry points (constructor, tell_*, save/load), defined out of the class.
#include "autolrs/controller/basic_controller_inl.hpp"
