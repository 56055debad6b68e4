// autolrs::compiled: the default controller's heavy numeric code, compiled once. Built with
// AUTOLRS_COMPILED_LIB (numeric/compiled_lib.hpp), so the headers below declare what this
// file defines: the non-template kernels (from their *_inl.hpp) and the explicit
// instantiations for the default policies that the headers declare `extern template`:
// the default and reference controllers' state machines, and the numeric code under them.

#include "autolrs/autolrs.hpp"

#include "autolrs/acquisition/detail/fast_normal_inl.hpp"
#include "autolrs/forecast/detail/reference_inl.hpp"
#include "autolrs/numeric/brent_inl.hpp"

#ifndef AUTOLRS_COMPILED_LIB
#error "autolrs_compiled.cpp is built with AUTOLRS_COMPILED_LIB (the autolrs::compiled target defines it)"
#endif

namespace autolrs {

namespace detail {
template profile_outcome profile_forecast<exponential_basis>(const exponential_basis&, const profile_options&,
                                                             std::span<const double>, double);
template profile_outcome profile_forecast<power_basis>(const power_basis&, const profile_options&, std::span<const double>,
                                                       double);
template std::optional<gp_marginal_likelihood<matern52>::hyperparameter_vector> fit_gp_hyperparameters<matern52>(
    gp_marginal_likelihood<matern52>&, const gp_observations<matern52>&,
    gp_marginal_likelihood<matern52>::hyperparameter_vector, const gp_fit_settings&, std::mt19937_64&);
}  // namespace detail

template class basic_controller<bayes_opt<gaussian_process<matern52>, expected_improvement>, exponential_forecaster>;
template class basic_controller<bayes_opt<gaussian_process<matern52>, lower_confidence_bound>,
                                reference_exponential_forecaster>;

template acquisition_choice maximise_acquisition<gaussian_process<matern52>, expected_improvement>(
    const gaussian_process<matern52>&, const expected_improvement&, double, double, double, std::span<const double>,
    const acquisition_maximiser_settings&, std::mt19937_64&);

}  // namespace autolrs
