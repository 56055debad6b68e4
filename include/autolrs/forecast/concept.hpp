#pragma once
// The loss-forecaster concept: fit a window of losses, predict the loss at a horizon,
// with a predictive standard deviation and a status that says which path was taken.

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>

namespace autolrs {

/// Which path a forecaster took. Everything but `fitted` is a fallback or a diagnosis;
/// the value is finite in every case.
enum class forecast_status {
    fitted,               ///< the model was fitted and its extrapolation used as is
    fitted_bounded,       ///< fitted, but the extrapolation was clamped to the sane range
    fallback_flat,        ///< no significant trend: robust level of the window's tail
    fallback_rising,      ///< the window rises: robust level of the window's tail
    fallback_too_short,   ///< too few finite points to fit: robust level of what there is
    fallback_degenerate,  ///< the fit failed numerically: robust level of the window's tail
    invalid_input,        ///< no finite loss at all (empty, all NaN/inf): value is 0 and
                          ///< meaningless; treat the candidate as diverged
};

/// A short name for logs ("fitted", "fallback_flat", ...).
[[nodiscard]] constexpr std::string_view to_string(forecast_status s) noexcept {
    switch (s) {
        case forecast_status::fitted: return "fitted";
        case forecast_status::fitted_bounded: return "fitted_bounded";
        case forecast_status::fallback_flat: return "fallback_flat";
        case forecast_status::fallback_rising: return "fallback_rising";
        case forecast_status::fallback_too_short: return "fallback_too_short";
        case forecast_status::fallback_degenerate: return "fallback_degenerate";
        case forecast_status::invalid_input: return "invalid_input";
    }
    return "unknown";
}

/// True when the forecast came from a fitted model (clamped or not).
[[nodiscard]] constexpr bool is_fitted(forecast_status s) noexcept {
    return s == forecast_status::fitted || s == forecast_status::fitted_bounded;
}

/// What a forecaster returns.
struct forecast {
    double value;              ///< predicted (expected) loss at the horizon; always finite
    double stddev;             ///< predictive standard deviation of `value`, >= 0, finite
    forecast_status status;    ///< which path was taken
    std::size_t non_finite = 0;  ///< how many losses were NaN/inf and ignored
};

/// A loss forecaster. `losses[i]` is the loss observed at time t = i + 1 (uniform spacing:
/// one step, or one validation interval); `predict(losses, horizon)` forecasts the loss at
/// t = horizon (normally horizon >= losses.size()). Must be deterministic (any internal
/// randomness seeded per call) and never return NaN/inf, even when `losses` holds NaN/inf.
template <class F>
concept loss_forecaster = requires(const F& f, std::span<const double> losses, double horizon) {
    { f.predict(losses, horizon) } -> std::same_as<forecast>;
};

/// Call as `static_assert(autolrs::explain_loss_forecaster<F>())` where a forecaster is
/// required: the compiler then says what is missing and how to write it.
template <class F>
consteval bool explain_loss_forecaster() {
    static_assert(requires(const F& f, std::span<const double> losses, double horizon) {
        f.predict(losses, horizon);
    }, "autolrs loss_forecaster: add `autolrs::forecast predict(std::span<const double> losses, double horizon) const` "
       "(const: a forecaster must not change when it predicts)");
    static_assert(requires(const F& f, std::span<const double> losses, double horizon) {
        { f.predict(losses, horizon) } -> std::same_as<forecast>;
    }, "autolrs loss_forecaster: predict(losses, horizon) must return `autolrs::forecast` "
       "{value, stddev, status}, not a bare number");
    return loss_forecaster<F>;
}

}  // namespace autolrs
