// controller_settings has one list of its fields by name, autolrs::visit_settings; the saved
// state's header (detail::describe) and the golden traces' settings are written from it.
// These tests fail when the struct and that list disagree: a field added to the struct but
// not to the list (counted at compile time), or a list whose text does not read back.
#include <autolrs/autolrs.hpp>
#include <autolrs_support/golden_scenarios.hpp>

#include "catch.hpp"

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

// ---- the number of fields of an aggregate, at compile time ------------------------------

/// Converts to any field's type: `T{any_field{}, ...}` compiles for up to as many
/// initialisers as T has fields (controller_settings has no base class, no array and no
/// nested aggregate, so brace elision cannot inflate the count).
struct any_field {
    template <class T>
    constexpr operator T() const noexcept {
        return T{};
    }
};

template <class T, class... Fields>
constexpr std::size_t aggregate_field_count() {
    if constexpr (requires { T{Fields{}..., any_field{}}; }) {
        return aggregate_field_count<T, Fields..., any_field>();
    } else {
        return sizeof...(Fields);
    }
}

constexpr std::size_t visited_field_count() {
    autolrs::controller_settings s{};
    std::size_t n = 0;
    autolrs::visit_settings(s, [&](std::string_view, auto&) { ++n; });
    return n;
}

// The trick itself, on structs whose counts are known.
struct three_fields {
    double a = 1.0;
    bool b = false;
    std::uint64_t c = 0;
};
struct one_enum_field {
    autolrs::ramp_shape shape = autolrs::ramp_shape::linear;
};
static_assert(aggregate_field_count<three_fields>() == 3);
static_assert(aggregate_field_count<one_enum_field>() == 1);
static_assert(std::is_aggregate_v<autolrs::controller_settings>);

// The check itself: at compile time, so a forgotten field stops the build of this test.
static_assert(aggregate_field_count<autolrs::controller_settings>() == visited_field_count(),
              "controller_settings has a field that autolrs::visit_settings does not list (add it there: the "
              "saved state's header and the golden traces are written from that list)");

// ---- field values as comparable numbers --------------------------------------------------

/// Every field as (name, its bits): doubles by their bit pattern, so that a round trip must
/// be exact, and independent of describe()'s formatting.
std::vector<std::pair<std::string, std::uint64_t>> field_bits(const autolrs::controller_settings& s) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    autolrs::visit_settings(s, [&](std::string_view name, const auto& v) {
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
            out.emplace_back(std::string(name), std::bit_cast<std::uint64_t>(v));
        } else {
            out.emplace_back(std::string(name), static_cast<std::uint64_t>(v));
        }
    });
    return out;
}

/// Every field moved off its default (invalid settings are fine here: describe() does not
/// validate). Through the list itself, so a field added to it later is covered too.
autolrs::controller_settings every_field_changed() {
    autolrs::controller_settings s{};
    std::uint64_t i = 0;
    autolrs::visit_settings(s, [&](std::string_view, auto& v) {
        using T = std::remove_cvref_t<decltype(v)>;
        ++i;
        if constexpr (std::is_same_v<T, double>) {
            v = v + 0.1 * static_cast<double>(i);  // not a short decimal: the text must be exact
        } else if constexpr (std::is_same_v<T, bool>) {
            v = !v;
        } else if constexpr (std::is_enum_v<T>) {
            v = static_cast<T>(static_cast<unsigned>(v) + 1);  // training -> validation, cosine -> 2 (not validated)
        } else {
            v = static_cast<T>(v + 1000 + i);
        }
    });
    s.seed = 0xfedcba9876543210ULL;  // the full width of a uint64
    return s;
}

/// describe()'s text read back strictly: the whole text is the number, an integer fits its
/// field, a bool is 0 or 1.
autolrs::controller_settings parse_strictly(const std::vector<std::pair<std::string_view, std::string>>& text) {
    std::map<std::string, std::string, std::less<>> by_name;
    for (const auto& [name, value] : text) {
        INFO(name);
        CHECK(by_name.emplace(std::string(name), value).second);  // names are unique
    }
    autolrs::controller_settings s{};
    autolrs::visit_settings(s, [&](std::string_view name, auto& v) {
        using T = std::remove_cvref_t<decltype(v)>;
        INFO("setting " << name);
        const auto it = by_name.find(name);
        REQUIRE(it != by_name.end());
        const std::string& value = it->second;
        char* end = nullptr;
        errno = 0;
        if constexpr (std::is_same_v<T, double>) {
            v = std::strtod(value.c_str(), &end);
        } else {
            const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
            if constexpr (std::is_same_v<T, bool>) {
                REQUIRE(n <= 1);
                v = n == 1;
            } else if constexpr (std::is_enum_v<T>) {
                REQUIRE(n <= 255);
                v = static_cast<T>(n);
            } else {
                if constexpr (sizeof(T) < sizeof(n)) REQUIRE(n <= static_cast<unsigned long long>(static_cast<T>(-1)));
                v = static_cast<T>(n);
            }
        }
        REQUIRE(errno == 0);
        REQUIRE(end == value.c_str() + value.size());
    });
    return s;
}

}  // namespace

TEST_CASE("visit_settings lists every field of controller_settings", "[settings][list]") {
    CHECK(aggregate_field_count<autolrs::controller_settings>() == visited_field_count());
    CHECK(visited_field_count() == 42);
    // Each name once, and each member once (two names on one member would leave another out).
    autolrs::controller_settings s{};
    std::set<std::string_view> names;
    std::set<const void*> members;
    autolrs::visit_settings(s, [&](std::string_view name, auto& v) {
        INFO(name);
        CHECK(names.insert(name).second);
        CHECK(members.insert(static_cast<const void*>(&v)).second);
    });
    CHECK(names.size() == visited_field_count());
}

TEST_CASE("visit_settings visits const settings in the order of describe()", "[settings][list]") {
    const autolrs::controller_settings s = autolrs::controller_settings::reference(1e-3, 2.0);
    const auto text = autolrs::detail::describe(s);
    std::vector<std::string_view> visited;
    autolrs::visit_settings(s, [&](std::string_view name, const auto&) { visited.push_back(name); });
    REQUIRE(visited.size() == text.size());
    for (std::size_t i = 0; i < text.size(); ++i) CHECK(visited[i] == text[i].first);
    CHECK(text.front().first == "lr_min");
    CHECK(text.back().first == "seed");
}

TEST_CASE("describe() keeps its saved-state text", "[settings][list]") {
    // The exact lines a saved state's header and the golden traces hold: a change here
    // breaks every saved state and trace.
    const auto text = autolrs::detail::describe({.lr_min = 1e-3, .lr_max = 2.0, .total_steps = 5000});
    const std::vector<std::pair<std::string_view, std::string>> expected = {
        {"lr_min", "0x1.0624dd2f1a9fcp-10"},
        {"lr_max", "0x1p+1"},
        {"total_steps", "5000"},
        {"budget_aware", "1"},
        {"candidates", "6"},
        {"min_candidates", "3"},
        {"initial_design", "3"},
        {"early_stop_gain", "0x1.999999999999ap-5"},
        {"race_fraction", "0x0p+0"},
        {"race_stddevs", "0x1p+1"},
        {"tau0", "0"},
        {"tau0_fraction", "0x1.999999999999ap-4"},
        {"candidate_fraction", "0x1.999999999999ap-4"},
        {"growth", "0x1p+1"},
        {"plan_with_least_search", "0"},
        {"tau_max", "0"},
        {"warmup_steps", "0"},
        {"warmup_lr", "0x0p+0"},
        {"warmup_shape", "0"},
        {"signal", "0"},
        {"validation_interval", "0"},
        {"anneal_probe", "0x1p+0"},
        {"anneal_probe_ratio", "0x1.999999999999ap-4"},
        {"anneal_probe_decay", "1"},
        {"smooth_choice", "0"},
        {"prefer_larger_lr", "0x0p+0"},
        {"incumbent_margin", "0x1p+1"},
        {"move_to_nearest_tie", "0"},
        {"search_below_incumbent", "0"},
        {"interpolate_choice", "0"},
        {"keep_winner_state", "1"},
        {"warm_start", "0"},
        {"warm_start_noise", "0x1p-1"},
        {"cooldown_fraction", "0x1.6666666666666p-1"},
        {"cooldown_shape", "1"},
        {"cooldown_final_ratio", "0x0p+0"},
        {"bound_tolerance", "0x1.47ae147ae147bp-6"},
        {"divergence_factor", "0x1.4p+3"},
        {"divergence_patience", "3"},
        {"divergence_memory", "1000"},
        {"divergence_backoff", "0x1p-1"},
        {"seed", "0"},
    };
    CHECK(text == expected);
}

TEST_CASE("describe()'s text reads back through visit_settings, field by field", "[settings][list]") {
    const autolrs::controller_settings changed = every_field_changed();
    const auto changed_bits = field_bits(changed);
    const auto default_bits = field_bits(autolrs::controller_settings{});
    REQUIRE(changed_bits.size() == default_bits.size());
    for (std::size_t i = 0; i < changed_bits.size(); ++i) {
        INFO("setting " << changed_bits[i].first);
        CHECK(changed_bits[i].second != default_bits[i].second);  // every field is off its default
    }

    SECTION("strictly parsed") {
        const auto back = field_bits(parse_strictly(autolrs::detail::describe(changed)));
        REQUIRE(back.size() == changed_bits.size());
        for (std::size_t i = 0; i < back.size(); ++i) {
            INFO("setting " << changed_bits[i].first);
            CHECK(back[i] == changed_bits[i]);
        }
    }
    SECTION("parsed as the golden traces parse their headers") {
        std::map<std::string, std::string> fields;
        for (const auto& [name, value] : autolrs::detail::describe(changed)) fields[std::string(name)] = value;
        const auto back = field_bits(autolrs_support::parse_settings(fields));
        REQUIRE(back.size() == changed_bits.size());
        for (std::size_t i = 0; i < back.size(); ++i) {
            INFO("setting " << changed_bits[i].first);
            CHECK(back[i] == changed_bits[i]);
        }
    }
}

TEST_CASE("a saved state is checked against every setting of the list", "[settings][list]") {
    // Each setting, changed alone, makes the other controller's state unloadable, naming it.
    const autolrs::controller_settings base{.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 4000};
    const std::string state = autolrs::controller<>(base).save();
    const auto names = autolrs::detail::describe(base);
    std::size_t checked = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        autolrs::controller_settings other = base;
        std::size_t j = 0;
        autolrs::visit_settings(other, [&](std::string_view, auto& v) {
            using T = std::remove_cvref_t<decltype(v)>;
            if (j++ != i) return;
            if constexpr (std::is_same_v<T, double>) {
                v = v != 0.0 ? v * 0.5 : 0.01;
            } else if constexpr (std::is_same_v<T, bool>) {
                v = !v;
            } else if constexpr (std::is_enum_v<T>) {
                v = static_cast<T>(static_cast<unsigned>(v) == 0 ? 1 : 0);  // valid for every enum
            } else {
                v = static_cast<T>(v + 1);
            }
        });
        const std::string name(names[i].first);
        INFO("setting " << name);
        REQUIRE_NOTHROW(other.validate());  // each change keeps the settings valid
        autolrs::controller<> c(other);
        try {
            c.load(state);
            FAIL("loaded a state saved under other settings");
        } catch (const autolrs::invalid_state& e) {
            const std::string what = e.what();
            CHECK(what.find("setting '" + name + "' differs") != std::string::npos);
        }
        ++checked;
    }
    CHECK(checked == names.size());
}
