// libFuzzer target: autolrs_fuzz::check_controller_stream (see harness.hpp for the invariants).
#include "harness.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        autolrs_fuzz::check_controller_stream(std::span<const std::uint8_t>(data, size));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "autolrs fuzz: %s\n", e.what());
        std::abort();
    }
    return 0;
}
