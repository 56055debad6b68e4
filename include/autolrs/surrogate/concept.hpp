#pragma once
// The surrogate concept: a probabilistic model of y(x) that bayes_opt queries.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

#include "autolrs/types.hpp"

namespace autolrs {

/// A model of an unknown 1-D function from noisy observations.
///
/// - `s.clear(seed)`: forget every observation, return to the initial hyperparameters and
///   reseed any internal randomness (bayes_opt calls it on construction and reset).
/// - `s.add(x, y, noise_variance)`: one more observation; `noise_variance` (y units squared)
///   is this point's extra noise, on top of the model's own.
/// - `s.predict(x)`: the posterior of the latent function at x (mean, variance >= 0, finite).
/// - `s.predict(xs, out)`: the same at many points (out.size() == xs.size()).
/// - `s.size()`: the number of observations.
template <class S>
concept surrogate = std::copyable<S> &&
    requires(S& s, const S& cs, double x, double y, double noise_variance, std::uint64_t seed,
             std::span<const double> xs, std::span<prediction> out) {
        s.clear(seed);
        s.add(x, y, noise_variance);
        { cs.predict(x) } -> std::same_as<prediction>;
        cs.predict(xs, out);
        { cs.size() } -> std::convertible_to<std::size_t>;
    };

/// A surrogate that can draw one joint posterior sample of the latent function over many
/// points (what Thompson sampling needs).
template <class S>
concept posterior_sampler = surrogate<S> &&
    requires(const S& cs, std::span<const double> xs, std::span<double> out, std::mt19937_64& rng) {
        cs.sample_posterior(xs, out, rng);
    };

/// Call as `static_assert(autolrs::explain_surrogate<S>())` where a surrogate is required: the
/// compiler then names the member that is missing and how to write it.
template <class S>
consteval bool explain_surrogate() {
    static_assert(std::copyable<S>, "autolrs surrogate: the surrogate type must be copyable");
    static_assert(requires(S& s, std::uint64_t seed) { s.clear(seed); },
                  "autolrs surrogate: add `void clear(std::uint64_t seed)`: forget all observations and reseed");
    static_assert(requires(S& s, double x, double y, double v) { s.add(x, y, v); },
                  "autolrs surrogate: add `void add(double x, double y, double noise_variance)`: one observation");
    static_assert(requires(const S& s, double x) { { s.predict(x) } -> std::same_as<prediction>; },
                  "autolrs surrogate: add `autolrs::prediction predict(double x) const`: posterior mean and variance");
    static_assert(requires(const S& s, std::span<const double> xs, std::span<prediction> out) { s.predict(xs, out); },
                  "autolrs surrogate: add `void predict(std::span<const double> xs, std::span<autolrs::prediction> out) const`");
    static_assert(requires(const S& s) { { s.size() } -> std::convertible_to<std::size_t>; },
                  "autolrs surrogate: add `std::size_t size() const`: the number of observations");
    return surrogate<S>;
}

}  // namespace autolrs
