#pragma once
// The harness's simulated problems now live in the library: <autolrs/harness/problems.hpp>
// (namespace autolrs::harness). These names keep bench/suite's uses of them (the NQM
// self-check and the recorded-curve replay) compiling; new code should use the library's.

#include <autolrs/harness/problems.hpp>

namespace autolrs::bench {
using simulated_trainer = harness::problem_trainer;
using harness::loss_recording;
using harness::nqm_settings;
using harness::nqm_trainer;
using harness::replay_trainer;
}  // namespace autolrs::bench
