// Behaviour preserved: every recorded golden trace (tests/golden/data) replays through
// today's controller to the same text, directive for directive and event for event.
#include "autolrs_support/golden_scenarios.hpp"

#include "catch.hpp"

#include <filesystem>
#include <fstream>

TEST_CASE("golden traces replay bit-identically", "[golden]") {
    namespace fs = std::filesystem;
    std::size_t traces = 0;
    for (const auto& entry : fs::directory_iterator(AUTOLRS_GOLDEN_DIR)) {
        if (entry.path().extension() != ".trace") continue;
        ++traces;
        std::ifstream in(entry.path());
        const autolrs_support::recorded_trace recorded = autolrs_support::read_trace(in);
        INFO(entry.path().filename().string());
        std::string replayed;
        autolrs_support::with_controller(autolrs_support::kind_of(recorded), autolrs_support::settings_of(recorded),
                                         [&](auto& ctl) { replayed = autolrs_support::replay_trace(ctl, recorded); });
        const std::string difference = autolrs_support::first_difference(recorded.text, replayed);
        INFO(difference);
        CHECK(difference.empty());
    }
    CHECK(traces >= 15);
}
