#pragma once
// When a stage's search stops: the stop rule policy family. The controller always stops at
// `candidates` feasible candidates (or twice that many tried) and when divergences leave no
// LR to try; a stop rule may end the search earlier.

#include "autolrs/controller_settings.hpp"

#include <concepts>
#include <cstdint>
#include <type_traits>

namespace autolrs {

/// Where a stage's search stands after a candidate.
struct search_progress {
    std::uint32_t tried = 0;     ///< candidates tried, diverged ones included
    std::uint32_t feasible = 0;  ///< candidates with a usable forecast
    double loss_scale = 0.0;     ///< the stage's loss scale (the improvement its best promises)
    std::uint32_t best = 0xffffffffU;  ///< the index (in try order) of the best feasible candidate
                                       ///< so far, or 0xffffffff when none: a stateless rule can
                                       ///< stop once `tried - 1 - best` candidates did not improve
};

/// Asks the search what another candidate may still gain (type-erased: one call costs a
/// search call, which the controller logs, so a rule asks only when it needs it).
class expected_gain_query {
public:
    template <class F>
        requires std::invocable<F&> && (!std::same_as<std::remove_cvref_t<F>, expected_gain_query>)
    explicit expected_gain_query(F& f) noexcept
        : context_(&f), call_([](void* c) { return static_cast<double>((*static_cast<F*>(c))()); }) {}
    double operator()() const { return call_(context_); }

private:
    void* context_;
    double (*call_)(void*);
};

/// A stop rule's answer: go on, or stop (with what the event reports).
struct stop_verdict {
    bool stop = false;
    double gain = 0.0;   ///< what the rule measured (the event's expected_gain)
    double scale = 0.0;  ///< what it measured against (the event's loss_scale)
};

template <class R>
concept stage_stop_rule = std::copyable<R> &&
    requires(const R& r, const search_progress& p, const controller_settings& s, const expected_gain_query& gain) {
        { r.verdict(p, s, gain) } -> std::same_as<stop_verdict>;
    };

/// Call as `static_assert(autolrs::explain_stage_stop_rule<R>())`: names what a stop rule lacks.
template <class R>
consteval bool explain_stage_stop_rule() {
    static_assert(std::copyable<R>, "autolrs stage_stop_rule: the stop rule must be copyable");
    static_assert(requires(const R& r, const search_progress& p, const controller_settings& s,
                           const expected_gain_query& gain) { { r.verdict(p, s, gain) } -> std::same_as<stop_verdict>; },
                  "autolrs stage_stop_rule: add `autolrs::stop_verdict verdict(const autolrs::search_progress&, const "
                  "autolrs::controller_settings&, const autolrs::expected_gain_query&) const`");
    return stage_stop_rule<R>;
}

/// The default: after min_candidates feasible candidates, stop once the search's expected
/// gain is below early_stop_gain times the stage's loss scale (0 turns it off).
struct expected_gain_stop {
    [[nodiscard]] stop_verdict verdict(const search_progress& p, const controller_settings& s,
                                       const expected_gain_query& gain) const {
        if (p.feasible < s.min_candidates || s.early_stop_gain <= 0.0 || !(p.loss_scale > 0.0)) return {};
        const double g = gain();
        return {g < s.early_stop_gain * p.loss_scale, g, p.loss_scale};
    }
};

/// Never stops early: every stage tries `candidates` feasible LRs.
struct never_stop_early {
    [[nodiscard]] stop_verdict verdict(const search_progress&, const controller_settings&,
                                       const expected_gain_query&) const {
        return {};
    }
};

}  // namespace autolrs
