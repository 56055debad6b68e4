#pragma once
// The LR range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017):
// train a few steps while the LR grows exponentially, watch where the loss stops falling and
// where it blows up, and propose [lr_min, lr_max] for AutoLRS so that a user needs no LR
// settings at all.

#include "autolrs/errors.hpp"
#include "autolrs/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace autolrs {

struct lr_range_test_settings {
    double lr_start = 1e-7;           ///< LR of the first step; finite, > 0
    double lr_end = 10.0;             ///< LR of the last planned step; finite, > lr_start
    std::uint64_t steps = 100;        ///< applied steps of the full sweep; >= 2
    double smoothing = 0.05;          ///< weight of the newest loss in the moving averages; in (0, 1]
    double divergence_factor = 4.0;   ///< stop once the smoothed loss exceeds this times its best; > 1
    double margin_decades = 0.0;      ///< lr_max = LR at the smoothed minimum / 10^margin_decades; >= 0
    double span_decades = 2.0;        ///< lr_min = lr_max / 10^span_decades (see the rule); > 0
    double min_improvement = 0.02;    ///< the smoothed loss must fall this fraction below its first
                                      ///< value, else status no_improvement; in [0, 1)
    bool restore_after = true;        ///< checkpoint first and restore at the end (also on an exception)
};

enum class lr_range_test_status {
    diverged,          ///< stopped on divergence: the normal outcome, the suggestion is well founded
    completed,         ///< reached lr_end without diverging: lr_max may be too low; raise lr_end
    no_improvement,    ///< (overrides diverged/completed) the loss never fell by min_improvement: the
                       ///< suggestion is a guess; the sweep
                       ///< probably started too high (lower lr_start) or is too short (more steps)
    too_many_skipped,  ///< the trainer skipped `steps` steps (e.g. a loss scaler overflowing throughout)
};

/// One applied step of the sweep.
struct lr_range_test_point {
    double lr;             ///< the LR the step ran at
    double loss;           ///< its training loss as the trainer reported it (non-finite on a diverged last step)
    double smoothed_loss;  ///< the zero-lag smoothed loss the suggestion is read from; +inf on a non-finite step
};

struct lr_range_test_result {
    double lr_min;                          ///< suggested lower bound for AutoLRS; finite, > 0, < lr_max
    double lr_max;                          ///< suggested upper bound for AutoLRS; finite, > 0
    lr_range_test_status status;
    double lr_at_minimum;                   ///< LR where the smoothed loss was lowest
    std::optional<double> diverged_at_lr;   ///< LR of the step that triggered the divergence stop
    std::uint64_t steps_skipped = 0;        ///< steps the trainer reported as not applied
    std::vector<lr_range_test_point> curve; ///< every applied step, in order (steps_run = curve.size())
};

namespace detail {

inline void validate(const lr_range_test_settings& s) {
    require_setting(std::isfinite(s.lr_start) && s.lr_start > 0.0, "lr_start", "must be finite and > 0");
    require_setting(s.lr_start >= std::numeric_limits<double>::min(), "lr_start",
                    "must be a normal double (>= 2.2250738585072014e-308): a subnormal LR has too few bits "
                    "to sweep from, and the suggestion could not hold lr_min < lr_max");
    require_setting(std::isfinite(s.lr_end) && s.lr_end > s.lr_start, "lr_end", "must be finite and > lr_start");
    require_setting(s.steps >= 2, "steps", "must be >= 2");
    require_setting(std::isfinite(s.smoothing) && s.smoothing > 0.0 && s.smoothing <= 1.0, "smoothing",
                    "must be in (0, 1]");
    require_setting(std::isfinite(s.divergence_factor) && s.divergence_factor > 1.0, "divergence_factor",
                    "must be finite and > 1");
    require_setting(std::isfinite(s.margin_decades) && s.margin_decades >= 0.0, "margin_decades",
                    "must be finite and >= 0");
    require_setting(std::isfinite(s.span_decades) && s.span_decades > 0.0, "span_decades", "must be finite and > 0");
    require_setting(std::isfinite(s.min_improvement) && s.min_improvement >= 0.0 && s.min_improvement < 1.0,
                    "min_improvement", "must be in [0, 1)");
}

/// A bias-corrected exponential moving average: the first value is taken as is, instead of
/// being pulled towards 0.
class debiased_average {
public:
    explicit debiased_average(double weight) noexcept : keep_(1.0 - weight) {}
    double add(double value) noexcept {
        sum_ = keep_ * sum_ + (1.0 - keep_) * value;
        kept_ *= keep_;
        return sum_ / (1.0 - kept_);
    }

private:
    double keep_;
    double sum_ = 0.0;
    double kept_ = 1.0;  // keep_^count
};

template <class R>
step_result as_step_result(R&& r) {
    if constexpr (std::is_same_v<std::remove_cvref_t<R>, step_result>) return r;
    else return step_result{static_cast<double>(r), true};
}

/// Fills curve[i].smoothed_loss for the finite prefix of the curve with a forward-then-backward
/// moving average: zero lag, so the minimum sits at the LR where it really is (a one-way
/// average of weight 0.05 lags ~20 steps, which in a 100-step sweep over 8 decades is 1.6 decades).
/// Losses above `ceiling` (the divergence threshold) are clipped to it first: once a loss has
/// blown up its size says nothing more, and unclipped it would drag the smoothed curve up for
/// dozens of steps before the blow-up and hide the minimum.
inline void smooth_without_lag(std::vector<lr_range_test_point>& curve, std::size_t finite, double weight,
                               double ceiling) {
    debiased_average forward(weight);
    for (std::size_t i = 0; i < finite; ++i) curve[i].smoothed_loss = forward.add(std::min(curve[i].loss, ceiling));
    debiased_average backward(weight);
    for (std::size_t i = finite; i-- > 0;) curve[i].smoothed_loss = backward.add(curve[i].smoothed_loss);
}

/// An LR range test's sweep without a trainer: the LR of each applied step, the stop rule and
/// the suggestion. autolrs::lr_range_test() drives it over a trainer; with_range_test drives
/// it through the controller's directives (and replays it from a saved state). Pure: it sees
/// only the losses it is given.
class range_sweep {
public:
    explicit range_sweep(const lr_range_test_settings& settings) : settings_(settings), online_(settings.smoothing) {
        validate(settings);
        result_.lr_at_minimum = settings.lr_start;
        result_.curve.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(settings.steps, std::uint64_t{1} << 20)));
        // In log space when lr_end / lr_start overflows (a sweep over 1e-200 .. 1e200): every
        // LR swept stays finite and inside [lr_start, lr_end].
        const double ratio = settings.lr_end / settings.lr_start;
        wide_ = !std::isfinite(ratio);
        log_ratio_per_step_ = (wide_ ? std::log(settings.lr_end) - std::log(settings.lr_start) : std::log(ratio)) /
                              static_cast<double>(settings.steps - 1);
    }

    [[nodiscard]] const lr_range_test_settings& settings() const noexcept { return settings_; }
    /// The sweep has stopped: all steps ran, it diverged, or the trainer skipped too many.
    [[nodiscard]] bool over() const noexcept { return over_; }
    /// The LR of the next applied step.
    [[nodiscard]] double next_lr() const noexcept { return lr_at(result_.curve.size()); }
    [[nodiscard]] std::uint64_t steps_applied() const noexcept { return result_.curve.size(); }
    [[nodiscard]] std::uint64_t steps_skipped() const noexcept { return result_.steps_skipped; }
    [[nodiscard]] const std::vector<lr_range_test_point>& curve() const noexcept { return result_.curve; }

    /// A step at next_lr() was applied with `loss`. Returns over().
    bool add(double loss) {
        const double lr = next_lr();
        result_.curve.push_back({lr, loss, std::numeric_limits<double>::infinity()});
        if (!std::isfinite(loss)) return stop_diverged(lr);
        const double smoothed = online_.add(loss);
        best_ = std::min(best_, smoothed);
        if (best_ > 0.0 && smoothed > settings_.divergence_factor * best_) return stop_diverged(lr);
        over_ = result_.curve.size() >= settings_.steps;
        return over_;
    }
    /// `count` steps the trainer did not apply (each is retried at the same LR). Returns over().
    bool skip(std::uint64_t count = 1) noexcept {
        result_.steps_skipped += std::min(count, settings_.steps - std::min(settings_.steps, result_.steps_skipped));
        if (result_.steps_skipped >= settings_.steps) {
            result_.status = lr_range_test_status::too_many_skipped;
            over_ = true;
        }
        return over_;
    }

    /// The result: the curve smoothed without lag and the suggested interval (see lr_range_test).
    [[nodiscard]] lr_range_test_result result() const& { return finished(result_); }
    [[nodiscard]] lr_range_test_result result() && { return finished(std::move(result_)); }

private:
    [[nodiscard]] lr_range_test_result finished(lr_range_test_result result) const {
        auto& curve = result.curve;
        std::size_t finite = curve.size();
        if (finite > 0 && !std::isfinite(curve.back().loss)) --finite;
        smooth_without_lag(curve, finite, settings_.smoothing,
                           best_ > 0.0 ? settings_.divergence_factor * best_ : std::numeric_limits<double>::infinity());

        bool improved = false;
        if (finite > 0) {
            const auto lowest = std::min_element(curve.begin(), curve.begin() + static_cast<std::ptrdiff_t>(finite),
                                                 [](const auto& a, const auto& b) { return a.smoothed_loss < b.smoothed_loss; });
            result.lr_at_minimum = lowest->lr;
            const double first = curve.front().smoothed_loss;
            improved = lowest->smoothed_loss < first - settings_.min_improvement * std::abs(first);
        }
        if (!improved && result.status != lr_range_test_status::too_many_skipped) {
            result.status = lr_range_test_status::no_improvement;
        }

        result.lr_max = std::clamp(result.lr_at_minimum * std::pow(10.0, -settings_.margin_decades), settings_.lr_start,
                                   settings_.lr_end);
        const double below = result.lr_max * std::pow(10.0, -settings_.span_decades);
        result.lr_min = result.lr_max > settings_.lr_start ? std::max(below, settings_.lr_start)
                                                           : std::max(below, std::numeric_limits<double>::min());
        if (!(result.lr_min < result.lr_max)) {  // a tiny span_decades, or an lr_max near the smallest double
            result.lr_min = below > 0.0 && below < result.lr_max ? below : std::nextafter(result.lr_max, 0.0);
        }
        return result;
    }

    [[nodiscard]] double lr_at(std::uint64_t i) const noexcept {
        const double grown = std::exp(log_ratio_per_step_ * static_cast<double>(i));
        if (!wide_ && std::isfinite(grown)) return std::min(settings_.lr_start * grown, settings_.lr_end);
        const double lr = std::exp(std::log(settings_.lr_start) + log_ratio_per_step_ * static_cast<double>(i));
        return std::clamp(lr, settings_.lr_start, settings_.lr_end);
    }
    bool stop_diverged(double lr) noexcept {
        result_.status = lr_range_test_status::diverged;
        result_.diverged_at_lr = lr;
        over_ = true;
        return true;
    }

    lr_range_test_settings settings_;
    debiased_average online_;
    double best_ = std::numeric_limits<double>::infinity();  // lowest one-way smoothed loss
    double log_ratio_per_step_ = 0.0;
    bool wide_ = false;
    bool over_ = false;
    lr_range_test_result result_{.lr_min = 0.0,
                                 .lr_max = 0.0,
                                 .status = lr_range_test_status::completed,
                                 .lr_at_minimum = 0.0,
                                 .diverged_at_lr = std::nullopt,
                                 .steps_skipped = 0,
                                 .curve = {}};
};

}  // namespace detail

/// Runs an LR range test on `trainer` and suggests [lr_min, lr_max] for AutoLRS.
///
/// The sweep: applied step i (0-based) runs at lr_start * (lr_end / lr_start)^(i / (steps - 1)).
/// A step the trainer reports as not applied is retried at the same LR. The sweep stops early on
/// divergence: a non-finite loss, or a one-way smoothed loss above divergence_factor times its
/// lowest value so far (losses are assumed >= 0, as for cross-entropy or squared error; with a
/// negative loss only the non-finite test applies).
///
/// The suggestion, read from the zero-lag smoothed curve (see smooth_without_lag):
///   lr_max = (LR of the smoothed minimum) / 10^margin_decades, clamped to [lr_start, lr_end];
///   lr_min = max(lr_max / 10^span_decades, lr_start), or lr_max / 10^span_decades if that clamp
///            would leave no interval (lr_max == lr_start).
/// Why: the minimum of the loss along an exponential sweep sits where the LR stops helping, at or
/// just past the edge of stability (the loss takes a few steps to blow up). For AutoLRS the two
/// errors cost differently: an lr_max too high costs a few steps (a candidate that diverges is
/// infeasible and the search stays below it), an lr_max too low caps every stage. So lr_max is the
/// minimum itself by default (margin_decades = 0; the classic "a tenth of it" rule, 1, suits a
/// fixed LR). The good LRs of later stages are lower than the best early one, so two decades below
/// lr_max cover the decay that a schedule needs. Clamping keeps the interval inside what the test
/// observed.
///
/// With restore_after (the default) the trainer is checkpointed first and restored at the end,
/// and also when a step throws: the model and optimizer state are as before the test. The trainer's
/// LR is left at the last LR swept (unless its checkpoint holds the LR): set it before training.
/// One allocation: the curve, reserved for `steps` points (up to 2^20, after which it grows).
template <class T>  // unconstrained, so that explain_trainer names what a wrong type lacks
lr_range_test_result lr_range_test(T& trainer, const lr_range_test_settings& settings = {}) {
    static_assert(explain_trainer<T>());
    detail::range_sweep sweep(settings);
    std::optional<typename T::checkpoint_type> saved;
    if (settings.restore_after) saved.emplace(trainer.checkpoint());
    try {
        while (!sweep.over()) {
            trainer.set_learning_rate(sweep.next_lr());
            const step_result step = detail::as_step_result(trainer.train_step());
            if (step.applied) {
                sweep.add(step.loss);
            } else {
                sweep.skip();
            }
        }
    } catch (...) {
        if (saved) trainer.restore(*saved);
        throw;
    }
    if (saved) trainer.restore(*saved);
    return std::move(sweep).result();
}

}  // namespace autolrs
