#pragma once
// autolrs: automatic learning-rate schedules by Bayesian optimisation on the fly.
// The umbrella header: includes every core header (integrations are separate).

#include "autolrs/version.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/trainer.hpp"
#include "autolrs/schedule.hpp"
#include "autolrs/lr_range_test.hpp"
#include "autolrs/forecast/concept.hpp"
#include "autolrs/forecast/exponential.hpp"
#include "autolrs/forecast/power_law.hpp"
#include "autolrs/forecast/reference.hpp"
#include "autolrs/forecast/tail_mean.hpp"
#include "autolrs/types.hpp"
#include "autolrs/controller_settings.hpp"
#include "autolrs/event.hpp"
#include "autolrs/event_writers.hpp"
#include "autolrs/controller.hpp"
#include "autolrs/run.hpp"
