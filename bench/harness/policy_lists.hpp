#pragma once
// The type lists the harness crosses: every acquisition x kernel x forecaster below runs on
// every problem. Add a type here (and give it a name, see harness.hpp) to benchmark it.

#include "harness.hpp"
#include "user_acquisition.hpp"

namespace autolrs::bench {

using kernels = type_list<matern52, matern32, squared_exponential>;
using forecasters = type_list<exponential_forecaster, power_law_forecaster, reference_exponential_forecaster,
                              tail_mean_forecaster>;
// The acquisitions are split over translation units (combinations_*.cpp): one per
// acquisition keeps each TU's template instantiations small enough for a 2-core build.

// Each TU defines one of these.
void add_expected_improvement(std::vector<combination>& out);
void add_lower_confidence_bound(std::vector<combination>& out);
void add_probability_of_improvement(std::vector<combination>& out);
void add_thompson_sampling(std::vector<combination>& out);
void add_user_acquisition(std::vector<combination>& out);

}  // namespace autolrs::bench
