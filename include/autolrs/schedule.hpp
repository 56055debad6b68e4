#pragma once
// The fixed learning-rate schedules, lr(step) in closed form: baselines, warmups and
// cooldowns, and the replay of a schedule found by a search. All live in autolrs::schedule;
// each is a small value type built from a validated settings aggregate, and its
// `double operator()(std::uint64_t step) const noexcept` never allocates and always
// returns a finite LR > 0.

#include "autolrs/schedule/concept.hpp"
#include "autolrs/schedule/shape.hpp"
#include "autolrs/schedule/constant.hpp"
#include "autolrs/schedule/step_decay.hpp"
#include "autolrs/schedule/multi_step.hpp"
#include "autolrs/schedule/exponential.hpp"
#include "autolrs/schedule/cosine.hpp"
#include "autolrs/schedule/linear.hpp"
#include "autolrs/schedule/one_cycle.hpp"
#include "autolrs/schedule/warmup.hpp"
#include "autolrs/schedule/warmup_stable_decay.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"
