#pragma once
// The standard normal cdf and pdf behind expected_improvement and probability_of_improvement:
// in plain double precision (the C library's erfc). Declared here, defined in fast_normal_inl.hpp
// (in the headers when header-only; compiled once in autolrs::compiled).

#include "autolrs/numeric/compiled_lib.hpp"

namespace autolrs::detail {

/// Phi(z).
AUTOLRS_INLINE double standard_normal_cdf(double z);
/// phi(z).
AUTOLRS_INLINE double standard_normal_pdf(double z);

}  // namespace autolrs::detail

// the definitions, where this TU holds them
#include "autolrs/acquisition/detail/fast_normal_inl.hpp"
