#pragma once
// The AutoLRS controller's run-time settings: one validated aggregate, a reference preset,
// and the field-by-field description that the saved state is checked against.

#include "autolrs/errors.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
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

/// Settings of an AutoLRS controller. Use designated initialisers:
/// `autolrs::controller_settings{.lr_min = 1e-4, .lr_max = 1.0, .total_steps = 20000}`.
/// Every field is checked once, when a controller is built; a bad one throws
/// autolrs::invalid_setting naming it. Zero means "automatic" where a field says so.
///
/// Budget: `total_steps` counts EVERY optimizer step the trainer takes, the search's
/// included (that is what a user pays). When it is known the controller plans around it:
/// stages shrink to fit, a search that cannot pay back before the end is skipped, and the
/// last `cooldown_fraction` of the budget anneals the LR.
struct controller_settings {
    // ---- search interval and budget --------------------------------------------------
    double lr_min = 0.0;            ///< smallest LR searched (> 0)
    double lr_max = 0.0;            ///< largest LR searched (> lr_min)
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
    std::uint64_t tau0 = 0;           ///< first stage's length; 0 = total_steps/16 (1000 if unknown)
    double candidate_fraction = 0.1;  ///< tau' = candidate_fraction * tau (at least 1 step)
    double growth = 2.0;              ///< tau *= growth after each stage, up to tau_max
    std::uint64_t tau_max = 0;        ///< longest stage; 0 = total_steps/4 (8000 if unknown)

    // ---- warmup: before the first stage, no search ----------------------------------------
    std::uint64_t warmup_steps = 0;
    double warmup_lr = 0.0;           ///< LR reached at the warmup's end; 0 = sqrt(lr_min*lr_max)
    ramp_shape warmup_shape = ramp_shape::linear;  ///< from lr_min up to warmup_lr

    // ---- the loss signal -----------------------------------------------------------------
    loss_signal signal = loss_signal::training;
    std::uint64_t validation_interval = 0;  ///< steps between validation losses; 0 = tau'/16

    // ---- beyond the reference ----------------------------------------------------------------
    double anneal_probe = 0.5;         ///< after its tau' steps a candidate trains this fraction of
                                       ///< tau' more at anneal_probe_ratio times its LR, and is
                                       ///< judged by its forecast less the loss that anneal
                                       ///< removed (0 = off; training-loss signal only). Counters
                                       ///< the short-horizon bias: at a short horizon a small LR
                                       ///< wins by annealing away noise that the final cooldown
                                       ///< removes anyway, not by progress.
    double anneal_probe_ratio = 0.1;   ///< the probe's LR as a fraction of the candidate's (at
                                       ///< least lr_min)
    bool smooth_choice = false;        ///< choose by the search model's posterior mean at each
                                      ///< candidate (a noisy forecast is weighed by its stddev
                                      ///< against its neighbours) rather than by the raw forecast
                                      ///< (when the search offers posterior_mean(x))
    double prefer_larger_lr = 0.0;    ///< choose the largest LR whose forecast is within this
                                      ///< fraction of the stage's loss scale of the lowest
                                      ///< (0: the lowest forecast, as the reference)
    bool keep_winner_state = true;    ///< the stage goes on from the best candidate's state
                                      ///< instead of retraining its tau' steps
    bool warm_start = false;          ///< a stage's search starts from the previous stage's
                                      ///< observations (as improvements, with extra noise)
    double warm_start_noise = 0.5;    ///< their extra stddev, as a fraction of that stage's loss scale
    double cooldown_fraction = 0.2;   ///< the last fraction of total_steps anneals the LR
    ramp_shape cooldown_shape = ramp_shape::linear;
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

    /// Throws autolrs::invalid_setting naming the first field that breaks its rule.
    void validate() const {
        using detail::require_setting;
        const auto finite_positive = [](double v) { return std::isfinite(v) && v > 0.0; };
        require_setting(finite_positive(lr_min), "lr_min", "must be positive and finite");
        require_setting(finite_positive(lr_max), "lr_max", "must be positive and finite");
        require_setting(lr_min < lr_max, "lr_max", "must be greater than lr_min");
        require_setting(candidates >= 1, "candidates", "must be at least 1");
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
        require_setting(std::isfinite(prefer_larger_lr) && prefer_larger_lr >= 0.0, "prefer_larger_lr",
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

namespace detail {

inline std::string exact_text(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", v);
    return buffer;
}

/// Every setting as (name, exact text): what a saved state records and is checked against.
inline std::vector<std::pair<std::string_view, std::string>> describe(const controller_settings& s) {
    const auto u = [](std::uint64_t v) { return std::to_string(v); };
    return {
        {"lr_min", exact_text(s.lr_min)},
        {"lr_max", exact_text(s.lr_max)},
        {"total_steps", u(s.total_steps)},
        {"budget_aware", u(s.budget_aware)},
        {"candidates", u(s.candidates)},
        {"min_candidates", u(s.min_candidates)},
        {"initial_design", u(s.initial_design)},
        {"early_stop_gain", exact_text(s.early_stop_gain)},
        {"race_fraction", exact_text(s.race_fraction)},
        {"race_stddevs", exact_text(s.race_stddevs)},
        {"tau0", u(s.tau0)},
        {"candidate_fraction", exact_text(s.candidate_fraction)},
        {"growth", exact_text(s.growth)},
        {"tau_max", u(s.tau_max)},
        {"warmup_steps", u(s.warmup_steps)},
        {"warmup_lr", exact_text(s.warmup_lr)},
        {"warmup_shape", u(static_cast<unsigned>(s.warmup_shape))},
        {"signal", u(static_cast<unsigned>(s.signal))},
        {"validation_interval", u(s.validation_interval)},
        {"anneal_probe", exact_text(s.anneal_probe)},
        {"anneal_probe_ratio", exact_text(s.anneal_probe_ratio)},
        {"smooth_choice", u(s.smooth_choice)},
        {"prefer_larger_lr", exact_text(s.prefer_larger_lr)},
        {"keep_winner_state", u(s.keep_winner_state)},
        {"warm_start", u(s.warm_start)},
        {"warm_start_noise", exact_text(s.warm_start_noise)},
        {"cooldown_fraction", exact_text(s.cooldown_fraction)},
        {"cooldown_shape", u(static_cast<unsigned>(s.cooldown_shape))},
        {"cooldown_final_ratio", exact_text(s.cooldown_final_ratio)},
        {"bound_tolerance", exact_text(s.bound_tolerance)},
        {"divergence_factor", exact_text(s.divergence_factor)},
        {"divergence_patience", u(s.divergence_patience)},
        {"divergence_memory", u(s.divergence_memory)},
        {"divergence_backoff", exact_text(s.divergence_backoff)},
        {"seed", u(s.seed)},
    };
}

}  // namespace detail
}  // namespace autolrs
