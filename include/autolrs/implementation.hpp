#pragma once
// The compiled mode's implementation (numeric/compiled_lib.hpp): in the one translation unit
// that defines AUTOLRS_IMPLEMENTATION before including <autolrs/autolrs.hpp> (which includes
// this header last), the explicit instantiations that the other headers declare `extern
// template` under AUTOLRS_COMPILED_LIB: the default and reference controllers' state machines
// and the numeric code under them. The non-template kernels' definitions come from their
// *_inl.hpp headers, which AUTOLRS_IMPLEMENTATION turns on. Elsewhere this header is empty.

#include "autolrs/autolrs.hpp"
#include "autolrs/numeric/compiled_lib.hpp"

#ifdef AUTOLRS_IMPLEMENTATION

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
                                reference_exponential_forecaster, horizon_forecast_objective>;

template acquisition_choice maximise_acquisition<gaussian_process<matern52>, expected_improvement>(
    const gaussian_process<matern52>&, const expected_improvement&, double, double, double, std::span<const double>,
    const acquisition_maximiser_settings&, std::mt19937_64&);

}  // namespace autolrs

#endif  // AUTOLRS_IMPLEMENTATION
