#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <string>

TEST_CASE("invalid_setting names the field and the rule", "[errors]") {
    const autolrs::invalid_setting error("lr_min", "must be positive and finite");
    CHECK(error.field() == "lr_min");
    CHECK(std::string(error.what()) == "autolrs: invalid setting 'lr_min': must be positive and finite");
}

TEST_CASE("require_setting throws only when the rule is broken", "[errors]") {
    CHECK_NOTHROW(autolrs::detail::require_setting(true, "k", "must be at least 1"));
    try {
        autolrs::detail::require_setting(false, "k", "must be at least 1");
        FAIL("require_setting(false, ...) did not throw");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "k");
        CHECK(std::string(e.what()).find("must be at least 1") != std::string::npos);
    }
}

TEST_CASE("invalid_state says it is a load failure", "[errors]") {
    const autolrs::invalid_state error("unknown format version 7");
    CHECK(std::string(error.what()) == "autolrs: cannot load state: unknown format version 7");
}
