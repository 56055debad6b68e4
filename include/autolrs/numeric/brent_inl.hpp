#pragma once
// brent_minimise's definition (numeric/brent.hpp): in the headers when header-only, compiled
// once in autolrs::compiled otherwise.

#include "autolrs/numeric/brent.hpp"
#include "autolrs/numeric/compiled_lib.hpp"

#if AUTOLRS_DEFINES_KERNELS  // header-only, or the compiled mode's implementation TU

#include <boost/math/tools/minima.hpp>

#include <cstdint>

namespace autolrs::detail {

AUTOLRS_INLINE brent_minimum brent_minimise(double (*f)(const void* context, double x), const void* context, double lo,
                                            double hi, int bits, std::uintmax_t& max_iter) {
    const auto objective = [&](double x) { return f(context, x); };
    const auto best = boost::math::tools::brent_find_minima(objective, lo, hi, bits, max_iter);
    return {best.first, best.second};
}

}  // namespace autolrs::detail

#endif  // AUTOLRS_DEFINES_KERNELS
