#pragma once
// Seeded random numbers, written out by hand because the std::*_distribution algorithms
// differ between standard libraries: these give the same numbers everywhere.
//
// numeric/ holds the internals (namespace autolrs::detail) that more than one family uses;
// this header serves three: the search (bayes_opt's random candidates and seeds), the
// surrogate (the GP's restart draws and posterior samples) and the controller (a seed per
// stage). A family's own internals live in its <family>/detail/ folder instead.

#include <cmath>
#include <cstdint>
#include <random>

namespace autolrs::detail {

/// A well-mixed 64-bit value from `x` (splitmix64's finaliser): derives independent seeds.
constexpr std::uint64_t mix_seed(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/// Uniform on [0, 1), 53 random bits.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// Standard normal (Box-Muller; one value per two uniforms, no hidden cache).
inline double standard_normal(std::mt19937_64& rng) {
    constexpr double two_pi = 6.283185307179586;
    const double u1 = 1.0 - uniform01(rng);  // in (0, 1]
    const double u2 = uniform01(rng);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

}  // namespace autolrs::detail
