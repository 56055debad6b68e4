#pragma once
// The AutoLRS controller's run-time settings: one validated aggregate, a reference preset,
// the one list of its fields by name (visit_settings), and the field-by-field description
// written from that list, which the saved state is checked against.

#include "autolrs/errors.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace autolrs {

/// Which loss the candidates are judged on (and forecast from).
enum class loss_signal : std::uint8_t {
    training,          ///< the training loss of every step (free: no extra evaluations)
    validation,        ///< the validation loss every `validation_interval` steps
    reference_switch,  ///< the reference: training loss while tau grows, validation once it stops
};

/// Shape of a warmup (rising) or cooldown (falling) ramp.
enum class ramp_shape : std::uint8_t { linear, cosine };

namespace detail {

/// The longest stage whose candidate window (tau' = candidate_fraction * tau steps plus an
/// anneal probe of anneal_probe * tau', rounded up, plus slack) fits controller_settings'
/// max_window (2^22 losses). For finite candidate_fraction in (0, 1] and anneal_probe in [0, 4].
[[nodiscard]] inline std::uint64_t longest_stage_for_window(double candidate_fraction, double anneal_probe) noexcept {
    constexpr double window = static_cast<double>(1ULL << 22);
    if (!(candidate_fraction > 0.0) || !(anneal_probe >= 0.0) || !std::isfinite(candidate_fraction * (1.0 + anneal_probe))) {
        return 0;  // validate() refuses these settings first
    }
    const double longest = std::floor((window - 8.0) / (candidate_fraction * (1.0 + anneal_probe)));
    constexpr double cap = static_cast<double>(1ULL << 53);
    return static_cast<std::uint64_t>(std::min(longest, cap));
}

/// sqrt(a * b) for positive finite a and b, without overflow or underflow: sqrt(a * b) when
/// the product is a normal double (so bit for bit what it always was), else sqrt(a) * sqrt(b).
[[nodiscard]] inline double geometric_mean(double a, double b) noexcept {
    const double product = a * b;
    return std::isnormal(product) ? std::sqrt(product) : std::sqrt(a) * std::sqrt(b);
}

}  // namespace detail

/// Settings of an AutoLRS controller. Use designated initialisers:
/// `autolrs::controller_settings{.lr_min = 1e-4, .lr_max = 1.0, .total_steps = 20000}`.
/// Every field is checked once, when a controller is built; a bad one throws
/// autolrs::invalid_setting naming it. Zero means "automatic" where a field says so.
///
/// Budget: `total_steps` counts EVERY optimizer step the trainer takes, the search's
/// included (that is what a user pays). When it is known the controller plans around it:
/// stages shrink to fit, a search that cannot pay back before the end is skipped, and the
/// last `cooldown_fraction` of the budget anneals the LR.
///
/// The defaults search twice, then decay: a searched stage over the first tenth of the budget,
/// a second over the next fifth that keeps the first's LR unless a candidate beats it by two
/// stddevs (incumbent_margin), then a cosine to 0 over the last 70%. Each candidate is followed
/// by an anneal probe as long as itself that decays its LR, and controller<> judges it by where
/// that probe ends (annealed_loss_objective): the loss it leaves for the end of training, not
/// at the stage's horizon, where a small LR wins by annealing away noise early. Measured on both
/// halves of bench_suite (bench/results/search_twice): 2.39 / 1.03 accuracy points and x1.19 /
/// x1.24 the loss closer to the best tuned schedule than horizon_stages() (the defaults they
/// replaced) on the development / hold-out half, better on 18 of the suite's 22 tasks; still below the
/// tuned cosine on 6 of the 10 tasks that are not replays. With the budget unknown, stages of
/// 1000 steps doubling up to 8000 go on until the host stops, with no cooldown; there
/// horizon_stages() did better on a noisy quadratic stopped at 10000 and 30000 steps
/// (bench/results/unknown_budget_nqm.md).
struct controller_settings {
    // ---- search interval and budget --------------------------------------------------
    double lr_min = 0.0;            ///< smallest LR searched (> 0); both 0: found by an LR range test
    double lr_max = 0.0;            ///< largest LR searched (> lr_min)   (run(), with_range_test)
    std::uint64_t total_steps = 0;  ///< every optimizer step, search included; 0 = unknown
                                    ///< (stages go on until the host stops; no cooldown)
    bool budget_aware = true;       ///< plan stages and the cooldown around total_steps;
                                    ///< false (reference): stop wherever the budget ends

    // ---- the search of one stage ---------------------------------------------------------
    std::uint32_t candidates = 6;      ///< k: most candidates per stage with a forecast (diverged
                                       ///< ones do not count; at most 2k are tried)
    std::uint32_t min_candidates = 3;  ///< early stop never before this many
    std::uint32_t initial_design = 3;  ///< a stage whose search starts empty (no warm start) first
                                       ///< tries this many LRs evenly spread in log space
    double early_stop_gain = 0.05;     ///< stop a stage's search once the search's expected gain
                                       ///< is below this fraction of the stage's loss scale
                                       ///< (0 = always try `candidates`)

    double race_fraction = 0.0;        ///< racing: after this fraction of its tau' steps a candidate
                                       ///< is dropped when clearly worse than the best so far
                                       ///< (0 = off: every candidate runs its tau' steps)
    double race_stddevs = 2.0;         ///< "clearly worse": its forecast minus this many stddevs is
                                       ///< still above the best forecast

    // ---- stage lengths (in optimizer steps) ------------------------------------------------
    std::uint64_t tau0 = 0;           ///< first stage's length; 0 = tau0_fraction * total_steps
                                      ///< (1000 if unknown)
    double tau0_fraction = 0.1;       ///< with tau0 = 0, the first stage's share of the budget the
                                      ///< controller is given (after a range test, what it left);
                                      ///< 0 = 1/16
    double candidate_fraction = 0.1;  ///< tau' = candidate_fraction * tau (at least 1 step)
    double growth = 2.0;              ///< tau *= growth after each stage, up to tau_max
    bool plan_with_least_search = false;  ///< budget-aware: a stage takes the steps before the
                                          ///< cooldown that another searched stage could not use
                                          ///< only when that stage would not fit even if both
                                          ///< searches stopped at min_candidates (false: at their
                                          ///< worst case, `candidates`). With the defaults the
                                          ///< worst-case rule searches once at 38% of budgets, by
                                          ///< rounding (3327 of 8692 from 100 to 200000 steps;
                                          ///< 4000 twice, 4001 once); this one searches twice at
                                          ///< all of them. Measured on bench_suite: the same runs
                                          ///< on the development half, CNN 1500 0.13 points lower
                                          ///< on the hold-out (a second search on 10-step windows),
                                          ///< so not the default
    std::uint64_t tau_max = 0;        ///< longest stage; 0 = total_steps/4 (8000 if unknown)

    // ---- warmup: before the first stage, no search ----------------------------------------
    std::uint64_t warmup_steps = 0;
    double warmup_lr = 0.0;           ///< LR reached at the warmup's end; 0 = sqrt(lr_min*lr_max)
    ramp_shape warmup_shape = ramp_shape::linear;  ///< from lr_min up to warmup_lr

    // ---- the loss signal -----------------------------------------------------------------
    loss_signal signal = loss_signal::training;
    std::uint64_t validation_interval = 0;  ///< steps between validation losses; 0 = tau'/16

    // ---- beyond the reference ----------------------------------------------------------------
    double anneal_probe = 1.0;         ///< after its tau' steps a candidate trains this fraction of
                                       ///< tau' more at anneal_probe_ratio times its LR, and is
                                       ///< judged by its forecast less the loss that anneal
                                       ///< removed (0 = off; on a validation signal the probe's
                                       ///< evaluations, every validation_interval steps and at its
                                       ///< end, join the candidate's window). Counters
                                       ///< the short-horizon bias: at a short horizon a small LR
                                       ///< wins by annealing away noise that the final cooldown
                                       ///< removes anyway, not by progress.
    double anneal_probe_ratio = 0.1;   ///< the probe's LR as a fraction of the candidate's (at
                                       ///< least lr_min)
    bool anneal_probe_decay = true;    ///< the probe's LR falls linearly from the candidate's LR to
                                       ///< anneal_probe_ratio times it (a short cooldown), instead
                                       ///< of holding anneal_probe_ratio times it
    bool smooth_choice = false;        ///< choose by the search model's posterior mean at each
                                      ///< candidate (a noisy forecast is weighed by its stddev
                                      ///< against its neighbours) rather than by the raw forecast
                                      ///< (when the search offers posterior_mean(x))
    double prefer_larger_lr = 0.0;    ///< choose the largest LR whose forecast is within this
                                      ///< fraction of the stage's loss scale of the lowest
                                      ///< (0: the lowest forecast, as the reference)
    double incumbent_margin = 2.0;    ///< a stage after the first tries the previous stage's LR
                                      ///< first and moves off it only to a candidate judged lower
                                      ///< by more than this many stddevs of the difference: a
                                      ///< later search then follows evidence, not noise (0: off)
    bool move_to_nearest_tie = false;  ///< with incumbent_margin, a stage that leaves the previous
                                       ///< stage's LR moves to the candidate nearest it among those
                                       ///< judged within one stddev of the lowest (the evidence says
                                       ///< to leave, not how far), not to the lowest itself.
                                       ///< Measured on bench_suite: -0.36 / x1.15 on the development
                                       ///< half against the defaults' -0.36 / x1.13 (a noisy
                                       ///< quadratic's seed moved less than it should), so off
    bool search_below_incumbent = false;  ///< with incumbent_margin, a stage after the first searches
                                          ///< only at or below the previous stage's LR (design points
                                          ///< above it are skipped, the search asks below it): the best
                                          ///< LR stays or falls as training goes on, and an LR above
                                          ///< the incumbent is a candidate's cost for nothing.
                                          ///< Measured on bench_suite: -0.38 / x1.14 (development)
                                          ///< and -0.22 / x1.25 (hold-out) against the defaults'
                                          ///< -0.36 / x1.13 and -0.32 / x1.21, so off
    bool interpolate_choice = false;  ///< train the stage at the vertex of the parabola (in log LR)
                                      ///< through the best candidate and its nearest neighbours,
                                      ///< not at the best candidate itself (when it has one on
                                      ///< each side; from the stage's start, its steps retrained):
                                      ///< a choice finer than the candidates' spacing. Measured
                                      ///< worse with the defaults on bench_suite's development
                                      ///< half (-0.76 points / x1.20 against -0.36 / x1.13)
    bool keep_winner_state = true;    ///< the stage goes on from the best candidate's state
                                      ///< instead of retraining its tau' steps
    bool warm_start = false;          ///< a stage's search starts from the previous stage's
                                      ///< observations (as improvements, with extra noise)
    double warm_start_noise = 0.5;    ///< their extra stddev, as a fraction of that stage's loss scale
    double cooldown_fraction = 0.7;   ///< the last fraction of total_steps anneals the LR
    ramp_shape cooldown_shape = ramp_shape::cosine;
    double cooldown_final_ratio = 0.0;  ///< the cooldown ends at this fraction of its start LR
                                        ///< (the cooldown may go below lr_min)
    double bound_tolerance = 0.02;    ///< warn when a chosen LR is this close to lr_min or lr_max
                                      ///< (fraction of the log-interval)

    // ---- divergence --------------------------------------------------------------------------
    double divergence_factor = 10.0;      ///< a loss above factor * the stage's starting level
                                          ///< (same signal: the top of the trajectory's training
                                          ///< losses, or the stage's starting validation loss)
                                          ///< counts as exploding; a divergence grows past any
                                          ///< factor, noise near a noise floor reaches ~5x
    std::uint32_t divergence_patience = 3;  ///< ... for this many measurements in a row
                                            ///< (a non-finite loss diverges at once)
    std::uint64_t divergence_memory = 1000;  ///< steps over which that top forgets a high loss
    double divergence_backoff = 0.5;      ///< a candidate diverging at LR x rules out LRs above
                                          ///< backoff * x for its stage; a stage diverging at x,
                                          ///< for the rest of training

    std::uint64_t seed = 0;  ///< per-stage search seeds derive from it

    /// The reference implementation's configuration (k = 10 candidates, tau0 = 1000,
    /// tau' = tau/10 doubling up to tau_max = 8000, the training/validation switch, the
    /// winner's steps discarded, no early stop, no warm start, no cooldown, not budget
    /// aware, no racing, no anneal probe, the raw lowest forecast chosen). Use it with `autolrs::reference_controller` (LCB with kappa = 1e6 and the
    /// reference forecaster) to compare against the original method on the same trainer.
    [[nodiscard]] static controller_settings reference(double lr_min, double lr_max) {
        controller_settings s;
        s.lr_min = lr_min;
        s.lr_max = lr_max;
        s.budget_aware = false;
        s.candidates = 10;
        s.min_candidates = 10;
        s.initial_design = 0;  // its LCB with kappa = 1e6 is a space-filling design already
        s.early_stop_gain = 0.0;
        s.race_fraction = 0.0;
        s.smooth_choice = false;
        s.anneal_probe = 0.0;
        s.anneal_probe_decay = false;
        s.incumbent_margin = 0.0;
        s.tau0 = 1000;
        s.candidate_fraction = 0.1;
        s.growth = 2.0;
        s.tau_max = 8000;
        s.signal = loss_signal::reference_switch;
        s.validation_interval = 0;
        s.keep_winner_state = false;
        s.warm_start = false;
        s.cooldown_fraction = 0.0;
        s.bound_tolerance = 0.0;
        return s;
    }

    /// The defaults before they became search-twice-then-decay (the first five sessions'):
    /// stages of total_steps/16 doubling up to total_steps/4, each searched and judged by its
    /// candidates' forecast loss at the stage's horizon less what a held anneal probe of half
    /// their length removed, then a linear cooldown over the last fifth. Build it with
    /// horizon_stages_controller (controller<horizon_forecast_objective>):
    /// make_horizon_stages_controller does both. Kept to compare against and for budgets the
    /// host does not know; measured on bench_suite it brings the LR down too early (see the
    /// defaults above).
    [[nodiscard]] static controller_settings horizon_stages(double lr_min, double lr_max, std::uint64_t total_steps = 0) {
        controller_settings s;
        s.lr_min = lr_min;
        s.lr_max = lr_max;
        s.total_steps = total_steps;
        s.tau0_fraction = 0.0;  // total_steps / 16
        s.anneal_probe = 0.5;
        s.anneal_probe_decay = false;
        s.incumbent_margin = 0.0;
        s.cooldown_fraction = 0.2;
        s.cooldown_shape = ramp_shape::linear;
        return s;
    }

    /// Search once, then decay: one searched stage over the first fifth of the budget finds the
    /// peak LR, then a cosine from it to 0 over the other four fifths; candidates are judged as
    /// horizon_stages judges them (build it with horizon_stages_controller). The search costs
    /// 3-9% of the budget, and no later stage can bring the LR down early. Measured on both
    /// halves of bench_suite (bench/results/search_once): better than horizon_stages on 11 of 11
    /// development tasks and 9 of 11 hold-out tasks; at or above the tuned cosine on 4 of the 6
    /// network tasks, not on the noisy quadratics (x1.12-1.74 its loss), and its one search is
    /// sensitive to the interval there. Needs the budget.
    [[nodiscard]] static controller_settings search_once(double lr_min, double lr_max, std::uint64_t total_steps) {
        detail::require_setting(total_steps > 0, "total_steps", "must be known (> 0) to search once, then decay over the rest");
        controller_settings s = horizon_stages(lr_min, lr_max, total_steps);
        // the first fifth, but no longer than a candidate's window allows (budgets beyond ~1e8 steps)
        s.tau0 = std::min(std::max<std::uint64_t>(1, total_steps / 5),
                          detail::longest_stage_for_window(s.candidate_fraction, s.anneal_probe));
        s.cooldown_fraction = 0.8;
        s.cooldown_shape = ramp_shape::cosine;
        return s;
    }

    /// The defaults, with the budget required: search twice, then decay. Kept under its name
    /// (it was a preset before it became the defaults) for code that names it.
    [[nodiscard]] static controller_settings search_twice(double lr_min, double lr_max, std::uint64_t total_steps) {
        detail::require_setting(total_steps > 0, "total_steps", "must be known (> 0) to search twice, then decay over the rest");
        controller_settings s;
        s.lr_min = lr_min;
        s.lr_max = lr_max;
        s.total_steps = total_steps;
        return s;
    }

    /// The most steps total_steps, tau0, tau_max and warmup_steps may hold: 2^53, where every
    /// count is still exact as a double (stage plans, ramps and the cooldown use doubles).
    static constexpr std::uint64_t max_steps = 1ULL << 53;
    /// The most candidates per stage (the candidate table and the search's buffers are
    /// sized for 2 * candidates at construction).
    static constexpr std::uint32_t max_candidates = 1024;
    /// The most losses a candidate's window may hold (tau' plus its anneal probe): the window
    /// is allocated at construction, 8 bytes a loss (32 MiB at this limit). An automatic
    /// tau_max (total_steps / 4) is capped to fit, so memory does not grow with the budget.
    static constexpr std::uint64_t max_window = 1ULL << 22;

    /// Throws autolrs::invalid_setting naming the first field that breaks its rule.
    void validate() const {
        using detail::require_setting;
        const auto finite_positive = [](double v) { return std::isfinite(v) && v > 0.0; };
        require_setting(lr_min != 0.0 || lr_max != 0.0, "lr_min",
                        "and lr_max are 0, the zero-setting mode: this controller needs an interval. "
                        "autolrs::run() and autolrs::with_range_test<Controller> run an LR range test to find it "
                        "(autolrs::default_controller is with_range_test<controller<>>)");
        require_setting(finite_positive(lr_min), "lr_min", "must be positive and finite");
        require_setting(finite_positive(lr_max), "lr_max", "must be positive and finite");
        require_setting(lr_min < lr_max, "lr_max", "must be greater than lr_min");
        require_setting(total_steps <= max_steps, "total_steps", "must be at most 2^53 (9007199254740992)");
        require_setting(tau0 <= max_steps, "tau0", "must be at most 2^53 (9007199254740992)");
        require_setting(std::isfinite(tau0_fraction) && tau0_fraction >= 0.0 && tau0_fraction < 1.0, "tau0_fraction",
                        "must be in [0, 1)");
        require_setting(tau_max <= max_steps, "tau_max", "must be at most 2^53 (9007199254740992)");
        require_setting(warmup_steps <= max_steps, "warmup_steps", "must be at most 2^53 (9007199254740992)");
        require_setting(signal <= loss_signal::reference_switch, "signal",
                        "must be loss_signal::training, validation or reference_switch");
        require_setting(warmup_shape <= ramp_shape::cosine, "warmup_shape", "must be ramp_shape::linear or cosine");
        require_setting(cooldown_shape <= ramp_shape::cosine, "cooldown_shape", "must be ramp_shape::linear or cosine");
        require_setting(candidates >= 1, "candidates", "must be at least 1");
        require_setting(candidates <= max_candidates, "candidates", "must be at most 1024");
        require_setting(min_candidates >= 1, "min_candidates", "must be at least 1");
        require_setting(min_candidates <= candidates, "min_candidates", "must not exceed candidates");
        require_setting(initial_design <= candidates, "initial_design", "must not exceed candidates");
        require_setting(std::isfinite(early_stop_gain) && early_stop_gain >= 0.0, "early_stop_gain",
                        "must be finite and >= 0 (0 turns early stopping off)");
        require_setting(std::isfinite(race_fraction) && race_fraction >= 0.0 && race_fraction < 1.0, "race_fraction",
                        "must be in [0, 1) (0 turns racing off)");
        require_setting(std::isfinite(race_stddevs) && race_stddevs >= 0.0, "race_stddevs", "must be finite and >= 0");
        require_setting(std::isfinite(candidate_fraction) && candidate_fraction > 0.0, "candidate_fraction",
                        "must be positive and finite");
        require_setting(candidate_fraction <= 1.0, "candidate_fraction",
                        "must be at most 1: a candidate (tau') cannot be longer than its stage (tau)");
        require_setting(std::isfinite(growth) && growth >= 1.0, "growth", "must be finite and >= 1");
        require_setting(tau_max == 0 || tau0 == 0 || tau_max >= tau0, "tau_max", "must be >= tau0");
        require_setting(warmup_lr == 0.0 || (std::isfinite(warmup_lr) && warmup_lr >= lr_min && warmup_lr <= lr_max),
                        "warmup_lr", "must be 0 (automatic) or inside [lr_min, lr_max]");
        require_setting(total_steps == 0 || warmup_steps < total_steps, "warmup_steps",
                        "must be smaller than total_steps");
        require_setting(std::isfinite(anneal_probe) && anneal_probe >= 0.0 && anneal_probe <= 4.0, "anneal_probe",
                        "must be in [0, 4] (a fraction of tau'; 0 turns the probe off)");
        require_setting(std::isfinite(anneal_probe_ratio) && anneal_probe_ratio > 0.0 && anneal_probe_ratio < 1.0,
                        "anneal_probe_ratio", "must be in (0, 1)");
        // The candidate's window (tau' plus its probe) is allocated at construction: bounded.
        const std::uint64_t longest_window_stage = detail::longest_stage_for_window(candidate_fraction, anneal_probe);
        require_setting(tau0 <= longest_window_stage, "tau0",
                        "is too long: a candidate's window (candidate_fraction * tau0 steps plus its anneal probe) "
                        "must hold at most 2^22 (4194304) losses; lower tau0, candidate_fraction or anneal_probe");
        require_setting(tau_max <= longest_window_stage, "tau_max",
                        "is too long: a candidate's window (candidate_fraction * tau_max steps plus its anneal probe) "
                        "must hold at most 2^22 (4194304) losses; lower tau_max, candidate_fraction or anneal_probe");
        require_setting(std::isfinite(prefer_larger_lr) && prefer_larger_lr >= 0.0, "prefer_larger_lr",
                        "must be finite and >= 0");
        require_setting(std::isfinite(incumbent_margin) && incumbent_margin >= 0.0, "incumbent_margin",
                        "must be finite and >= 0");
        require_setting(std::isfinite(warm_start_noise) && warm_start_noise >= 0.0, "warm_start_noise",
                        "must be finite and >= 0");
        require_setting(std::isfinite(cooldown_fraction) && cooldown_fraction >= 0.0 && cooldown_fraction < 1.0,
                        "cooldown_fraction", "must be in [0, 1)");
        require_setting(std::isfinite(cooldown_final_ratio) && cooldown_final_ratio >= 0.0 &&
                            cooldown_final_ratio <= 1.0,
                        "cooldown_final_ratio", "must be in [0, 1]");
        require_setting(std::isfinite(bound_tolerance) && bound_tolerance >= 0.0 && bound_tolerance < 0.5,
                        "bound_tolerance", "must be in [0, 0.5)");
        require_setting(!std::isnan(divergence_factor) && divergence_factor > 1.0, "divergence_factor",
                        "must be greater than 1 (infinity: only non-finite losses diverge)");
        require_setting(divergence_patience >= 1, "divergence_patience", "must be at least 1");
        require_setting(divergence_memory >= 1, "divergence_memory", "must be at least 1");
        require_setting(std::isfinite(divergence_backoff) && divergence_backoff > 0.0 && divergence_backoff < 1.0,
                        "divergence_backoff", "must be in (0, 1)");
    }
};

/// Calls `f(name, member)` for every field of `settings`, in declaration order: the one list
/// of the settings by name (detail::describe, and so the saved state's header and the golden
/// traces, are written from it; a parser sets fields through it). `Settings` is
/// controller_settings, const or not. A field added to the struct must be added here too
/// (tests/unit/test_settings_list.cpp counts the struct's fields against this list).
template <class Settings, class F>
    requires std::same_as<std::remove_const_t<Settings>, controller_settings>
constexpr void visit_settings(Settings& settings, F&& f) {
    f(std::string_view("lr_min"), settings.lr_min);
    f(std::string_view("lr_max"), settings.lr_max);
    f(std::string_view("total_steps"), settings.total_steps);
    f(std::string_view("budget_aware"), settings.budget_aware);
    f(std::string_view("candidates"), settings.candidates);
    f(std::string_view("min_candidates"), settings.min_candidates);
    f(std::string_view("initial_design"), settings.initial_design);
    f(std::string_view("early_stop_gain"), settings.early_stop_gain);
    f(std::string_view("race_fraction"), settings.race_fraction);
    f(std::string_view("race_stddevs"), settings.race_stddevs);
    f(std::string_view("tau0"), settings.tau0);
    f(std::string_view("tau0_fraction"), settings.tau0_fraction);
    f(std::string_view("candidate_fraction"), settings.candidate_fraction);
    f(std::string_view("growth"), settings.growth);
    f(std::string_view("plan_with_least_search"), settings.plan_with_least_search);
    f(std::string_view("tau_max"), settings.tau_max);
    f(std::string_view("warmup_steps"), settings.warmup_steps);
    f(std::string_view("warmup_lr"), settings.warmup_lr);
    f(std::string_view("warmup_shape"), settings.warmup_shape);
    f(std::string_view("signal"), settings.signal);
    f(std::string_view("validation_interval"), settings.validation_interval);
    f(std::string_view("anneal_probe"), settings.anneal_probe);
    f(std::string_view("anneal_probe_ratio"), settings.anneal_probe_ratio);
    f(std::string_view("anneal_probe_decay"), settings.anneal_probe_decay);
    f(std::string_view("smooth_choice"), settings.smooth_choice);
    f(std::string_view("prefer_larger_lr"), settings.prefer_larger_lr);
    f(std::string_view("incumbent_margin"), settings.incumbent_margin);
    f(std::string_view("move_to_nearest_tie"), settings.move_to_nearest_tie);
    f(std::string_view("search_below_incumbent"), settings.search_below_incumbent);
    f(std::string_view("interpolate_choice"), settings.interpolate_choice);
    f(std::string_view("keep_winner_state"), settings.keep_winner_state);
    f(std::string_view("warm_start"), settings.warm_start);
    f(std::string_view("warm_start_noise"), settings.warm_start_noise);
    f(std::string_view("cooldown_fraction"), settings.cooldown_fraction);
    f(std::string_view("cooldown_shape"), settings.cooldown_shape);
    f(std::string_view("cooldown_final_ratio"), settings.cooldown_final_ratio);
    f(std::string_view("bound_tolerance"), settings.bound_tolerance);
    f(std::string_view("divergence_factor"), settings.divergence_factor);
    f(std::string_view("divergence_patience"), settings.divergence_patience);
    f(std::string_view("divergence_memory"), settings.divergence_memory);
    f(std::string_view("divergence_backoff"), settings.divergence_backoff);
    f(std::string_view("seed"), settings.seed);
}

namespace detail {

inline std::string exact_text(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", v);
    return buffer;
}

/// A setting's exact text: a double as a hex float, anything else (integers, bools, enums)
/// as an unsigned decimal.
template <class T>
[[nodiscard]] std::string setting_text(const T& v) {
    if constexpr (std::is_same_v<T, double>) {
        return exact_text(v);
    } else if constexpr (std::is_enum_v<T>) {
        return std::to_string(static_cast<std::uint64_t>(static_cast<unsigned>(v)));
    } else {
        static_assert(std::is_same_v<T, bool> || std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t>,
                      "autolrs::controller_settings: a setting's type must be double, bool, an unsigned integer or "
                      "an enum (detail::setting_text writes it into the saved state)");
        return std::to_string(static_cast<std::uint64_t>(v));
    }
}

/// Every setting as (name, exact text), in visit_settings' order: what a saved state records
/// and is checked against.
inline std::vector<std::pair<std::string_view, std::string>> describe(const controller_settings& s) {
    std::vector<std::pair<std::string_view, std::string>> fields;
    fields.reserve(48);
    visit_settings(s, [&](std::string_view name, const auto& v) { fields.emplace_back(name, setting_text(v)); });
    return fields;
}

}  // namespace detail
}  // namespace autolrs
