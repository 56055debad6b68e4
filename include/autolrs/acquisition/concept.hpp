#pragma once
// The acquisition concept: how much a candidate point is worth evaluating next (larger is
// better), for MINIMISING the unknown function.

#include <concepts>
#include <random>
#include <span>

#include "autolrs/surrogate/concept.hpp"
#include "autolrs/types.hpp"

namespace autolrs {

/// An acquisition that scores each point from the posterior there alone:
/// `a(p, incumbent)` -> score (larger is better), where p is the posterior at the point and
/// `incumbent` the value to beat (y units). Maximised on a grid, then refined by Brent.
template <class A>
concept pointwise_acquisition = std::copyable<A> && requires(const A& a, const prediction& p, double incumbent) {
    { a(p, incumbent) } -> std::convertible_to<double>;
};

/// An acquisition that scores a whole grid at once from a random joint draw of the
/// posterior (Thompson sampling): `a.sample_scores(s, xs, scores, rng)`.
template <class A, class S>
concept sampling_acquisition = std::copyable<A> &&
    requires(const A& a, const S& s, std::span<const double> xs, std::span<double> scores, std::mt19937_64& rng) {
        a.sample_scores(s, xs, scores, rng);
    };

/// An acquisition usable with surrogate S.
template <class A, class S>
concept acquisition_for = pointwise_acquisition<A> || sampling_acquisition<A, S>;

/// Call as `static_assert(autolrs::explain_acquisition<A, S>())` where an acquisition for
/// surrogate S is required: the compiler then says what to add.
template <class A, class S>
consteval bool explain_acquisition() {
    static_assert(std::copyable<A>, "autolrs acquisition: the acquisition type must be copyable");
    static_assert(acquisition_for<A, S>,
                  "autolrs acquisition: add `double operator()(const autolrs::prediction& p, double incumbent) const` "
                  "(the score of one point, larger is better, for minimisation), or, for a sampling acquisition, "
                  "`void sample_scores(const Surrogate&, std::span<const double> xs, std::span<double> scores, "
                  "std::mt19937_64& rng) const`");
    return acquisition_for<A, S>;
}

}  // namespace autolrs
