#pragma once
// autolrs: automatic learning-rate schedules by Bayesian optimisation on the fly.
// The umbrella header: includes every core header (integrations are separate).

#include "autolrs/version.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/trainer.hpp"
#include "autolrs/schedule.hpp"
#include "autolrs/lr_range_test.hpp"
