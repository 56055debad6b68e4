#pragma once
// autolrs: automatic learning-rate schedules by Bayesian optimisation on the fly.
// The umbrella header: includes every core header (integrations are separate).

#include "autolrs/version.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/trainer.hpp"
#include "autolrs/types.hpp"
#include "autolrs/kernel/concept.hpp"
#include "autolrs/kernel/stationary.hpp"
#include "autolrs/kernel/matern52.hpp"
#include "autolrs/kernel/matern32.hpp"
#include "autolrs/kernel/squared_exponential.hpp"
#include "autolrs/surrogate/concept.hpp"
#include "autolrs/surrogate/gaussian_process.hpp"
#include "autolrs/acquisition/concept.hpp"
#include "autolrs/acquisition/lower_confidence_bound.hpp"
#include "autolrs/acquisition/expected_improvement.hpp"
#include "autolrs/acquisition/probability_of_improvement.hpp"
#include "autolrs/acquisition/thompson_sampling.hpp"
#include "autolrs/acquisition/maximiser.hpp"
#include "autolrs/bayes_opt.hpp"
