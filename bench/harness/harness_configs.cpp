// The configurations bench_harness compares. Each is one line: a policy type (placed by the
// concept it satisfies) or value; see <autolrs/harness/config.hpp>. The controllers are
// instantiated here, apart from the program, so that the two translation units build in
// parallel.
#include "harness_configs.hpp"

#include <algorithm>
#include <cmath>

namespace autolrs::bench {

namespace {
/// A user's acquisition, as one would write it in their own project: EI with an exploration
/// margin that scales with the posterior's own spread (xi = 0.1 sd).
struct scaled_margin_ei {
    double margin = 0.1;
    [[nodiscard]] double operator()(const prediction& p, double incumbent) const {
        const double sd = std::sqrt(std::max(p.variance, 0.0));
        return expected_improvement{.xi = margin * sd}(p, incumbent);
    }
};
}  // namespace

std::vector<harness::config> harness_configs() {
    namespace h = autolrs::harness;
    return {
        h::configuration<>("default (EI, Matern52, annealed loss: search twice, then decay)"),
        h::configuration<lower_confidence_bound>("LCB"),
        h::configuration<probability_of_improvement>("PI"),
        h::configuration<thompson_sampling>("Thompson"),
        h::configuration_of("EI_margin (a user's acquisition)", scaled_margin_ei{.margin = 0.1}),
        h::configuration<gaussian_process<matern32>>("Matern32"),
        h::configuration<gaussian_process<squared_exponential>>("SqExp"),
        h::configuration_of("annealed loss, stddev from the probe's tail",
                            annealed_loss_objective{.noise = annealed_noise::probe_tail}),
        // The forecasters judge candidates under the horizon objective only (the default judges
        // by the end of the anneal probe), so they are compared under horizon_stages.
        h::configuration<horizon_forecast_objective>("horizon_stages (the previous defaults; exponential forecaster)",
                                                     controller_settings::horizon_stages(0.0, 0.0)),
        h::configuration<horizon_forecast_objective, power_law_forecaster>("horizon_stages, power_law forecaster",
                                                                           controller_settings::horizon_stages(0.0, 0.0)),
        h::configuration<horizon_forecast_objective, reference_exponential_forecaster>(
            "horizon_stages, reference forecaster", controller_settings::horizon_stages(0.0, 0.0)),
        h::configuration<horizon_forecast_objective, tail_mean_forecaster>("horizon_stages, tail_mean forecaster",
                                                                           controller_settings::horizon_stages(0.0, 0.0)),
        h::from_factory("search_once preset (controller_settings::search_once)",
                        [](const controller_settings& s) {
                            controller_settings once = controller_settings::search_once(s.lr_min, s.lr_max, s.total_steps);
                            once.seed = s.seed;
                            return horizon_stages_controller(once);
                        }),
        h::from_factory("zero-setting mode (no interval: an LR range test, then the defaults)",
                        [](const controller_settings& s) {
                            controller_settings none = s;
                            none.lr_min = 0.0;
                            none.lr_max = 0.0;
                            return with_range_test<controller<>>(none);
                        }),
        h::from_factory("reference preset (make_reference_controller)",
                        [](const controller_settings& s) {
                            return make_reference_controller(s.lr_min, s.lr_max, s.total_steps, s.seed);
                        }),
    };
}

}  // namespace autolrs::bench
