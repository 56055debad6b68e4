#pragma once
// The definitions of fast_normal.hpp's functions.

#include "autolrs/acquisition/detail/fast_normal.hpp"
#include "autolrs/numeric/compiled_lib.hpp"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/policies/policy.hpp>

namespace autolrs::detail {

/// The default policy promotes double to long double, which made the cdf about 8x slower
/// (the acquisition is evaluated hundreds of times per ask) for no accuracy that matters here.
using fast_normal = boost::math::normal_distribution<
    double, boost::math::policies::policy<boost::math::policies::promote_double<false>>>;

AUTOLRS_INLINE double standard_normal_cdf(double z) { return boost::math::cdf(fast_normal{}, z); }
AUTOLRS_INLINE double standard_normal_pdf(double z) { return boost::math::pdf(fast_normal{}, z); }

}  // namespace autolrs::detail
