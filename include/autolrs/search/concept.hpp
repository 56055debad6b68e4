#pragma once
// What the controller needs from the search over x = log(LR) of one stage.

#include "autolrs/types.hpp"

#include <concepts>
#include <cstdint>
#include <span>

namespace autolrs {

/// A 1-D search over x = log(LR) (autolrs::bayes_opt fits).
/// Determinism contract: its answers are a pure function of its construction and the
/// sequence of calls made on it (the controller replays the calls to resume mid-stage).
template <class S>
concept lr_search = std::copyable<S> &&
    requires(S& s, const S& cs, double x, std::uint64_t seed, std::span<const observation> earlier) {
        { s.ask() } -> std::convertible_to<double>;
        s.tell(x, x, x);
        s.tell_infeasible(x);
        { cs.expected_gain() } -> std::convertible_to<double>;
        s.reset(seed);
        s.warm_start(earlier, x);
    };

/// Call as `static_assert(autolrs::explain_lr_search<S>())`: names what a search type lacks.
template <class S>
consteval bool explain_lr_search() {
    static_assert(std::copyable<S>, "autolrs lr_search: the search must be copyable (the controller keeps a "
                                    "pristine copy to start every stage from)");
    static_assert(requires(S& s) { { s.ask() } -> std::convertible_to<double>; },
                  "autolrs lr_search: add `double ask()`: the next x = log(LR) to try");
    static_assert(requires(S& s, double x) { s.tell(x, x, x); },
                  "autolrs lr_search: add `void tell(double x, double y, double noise_variance)`");
    static_assert(requires(S& s, double x) { s.tell_infeasible(x); },
                  "autolrs lr_search: add `void tell_infeasible(double x)`: x diverged, ask below it");
    static_assert(requires(const S& s) { { s.expected_gain() } -> std::convertible_to<double>; },
                  "autolrs lr_search: add `double expected_gain() const`: what another ask may still gain");
    static_assert(requires(S& s, std::uint64_t seed) { s.reset(seed); },
                  "autolrs lr_search: add `void reset(std::uint64_t seed)`: forget everything, new search");
    static_assert(requires(S& s, std::span<const observation> earlier, double v) { s.warm_start(earlier, v); },
                  "autolrs lr_search: add `void warm_start(std::span<const autolrs::observation>, double "
                  "extra_noise_variance)`");
    return lr_search<S>;
}

/// Optional: a search that offers its model's posterior mean lets the controller choose the
/// stage's LR by it (controller_settings::smooth_choice).
template <class S>
concept lr_search_with_posterior_mean = lr_search<S> && requires(const S& s, double x) {
    { s.posterior_mean(x) } -> std::convertible_to<double>;
};

}  // namespace autolrs
