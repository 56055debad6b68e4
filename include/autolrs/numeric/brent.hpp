#pragma once
// Brent's minimisation of a function of one variable (boost::math::tools::brent_find_minima)
// behind a non-template call: the forecasters' profile fit and the acquisition maximiser
// use it, and Boost's header then stays out of the translation units of users who link
// autolrs::compiled (numeric/compiled_lib.hpp). Same algorithm, same numbers.

#include "autolrs/numeric/compiled_lib.hpp"

#include <cstdint>
#include <type_traits>

namespace autolrs::detail {

struct brent_minimum {
    double x;      // where the minimum was found
    double value;  // f(x)
};

/// The minimum of f(context, x) over [lo, hi] to `bits` bits; `max_iter` in: the most
/// iterations, out: how many ran.
AUTOLRS_INLINE brent_minimum brent_minimise(double (*f)(const void* context, double x), const void* context, double lo,
                                            double hi, int bits, std::uintmax_t& max_iter);

/// The same for any callable `f(double) -> double`.
template <class F>
brent_minimum brent_minimise(const F& f, double lo, double hi, int bits, std::uintmax_t& max_iter) {
    static_assert(std::is_invocable_r_v<double, const F&, double>);
    const auto call = [](const void* context, double x) {
        return static_cast<double>((*static_cast<const F*>(context))(x));
    };
    return brent_minimise(call, &f, lo, hi, bits, max_iter);
}

}  // namespace autolrs::detail

// the definitions, where this TU holds them
#include "autolrs/numeric/brent_inl.hpp"
