#pragma once
// bench_harness's configurations (harness_configs.cpp): the default controller and each
// configuration one policy away from it, the reference preset, and an example of a user's own
// acquisition.
#include <autolrs/harness.hpp>

#include <vector>

namespace autolrs::bench {
[[nodiscard]] std::vector<harness::config> harness_configs();
}  // namespace autolrs::bench
