// Seeded property tests for the fuzz targets' invariants (tests/fuzz/harness.hpp), so that
// builds without libFuzzer (g++) check them too, and a replay of the committed corpus.
#include <autolrs/autolrs.hpp>

#include "../fuzz/harness.hpp"
#include "catch.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t n, int hostile_percent) {
    std::uniform_int_distribution<int> byte(0, 239), special(240, 255), any(0, 255), pct(0, 99);
    std::vector<std::uint8_t> out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(pct(rng) < hostile_percent ? special(rng) : byte(rng));
    if (n > 3) {
        for (int i = 0; i < 3; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(any(rng));  // header
    }
    return out;
}

template <class Check>
void expect_holds(Check check, const std::vector<std::uint8_t>& bytes, const std::string& what) {
    try {
        check(std::span<const std::uint8_t>(bytes));
    } catch (const std::exception& e) {
        FAIL(what << ": " << e.what());
    }
}

/// A damaged copy of a saved state: one of several kinds of damage, chosen by `rng`.
std::string damage(std::string text, std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> at(0, text.empty() ? 0 : text.size() - 1);
    static const char* const words[] = {"nan", "inf", "-1", "0", "18446744073709551615", "4294967296", "0x1p+1023",
                                        "-0x1p+1023", "99999999999", "1e-320", "x", "", "7"};
    switch (rng() % 6) {
        case 0: text[at(rng)] = static_cast<char>(rng() % 256); break;  // a byte
        case 1: text.resize(at(rng)); break;                             // truncated
        case 2: {                                                        // a word replaced
            const std::size_t space = text.find(' ', at(rng));
            if (space == std::string::npos) break;
            const std::size_t end = text.find_first_of(" \n", space + 1);
            text.replace(space + 1, (end == std::string::npos ? text.size() : end) - space - 1, words[rng() % 13]);
            break;
        }
        case 3: {  // a line deleted
            const std::size_t start = text.find('\n', at(rng));
            if (start == std::string::npos) break;
            const std::size_t end = text.find('\n', start + 1);
            text.erase(start, end == std::string::npos ? std::string::npos : end - start);
            break;
        }
        case 4: {  // a line duplicated
            const std::size_t start = text.find('\n', at(rng));
            if (start == std::string::npos) break;
            const std::size_t end = text.find('\n', start + 1);
            text.insert(start, text.substr(start, end == std::string::npos ? std::string::npos : end - start));
            break;
        }
        default: {  // two words of different lines swapped
            const std::size_t a = text.find(' ', at(rng)), b = text.find(' ', at(rng));
            if (a == std::string::npos || b == std::string::npos || a == b) break;
            std::swap(text[a + 1], text[b + 1]);
            break;
        }
    }
    return text;
}

}  // namespace

TEST_CASE("forecasters: any window gives a finite forecast, deterministically", "[reliability][property]") {
    std::mt19937_64 rng(11);
    for (int i = 0; i < 400; ++i) {
        const std::size_t n = static_cast<std::size_t>(rng() % 600);
        expect_holds(autolrs_fuzz::check_forecasters, random_bytes(rng, n, i % 4 == 0 ? 0 : 10 * (i % 5)),
                     "forecast case " + std::to_string(i));
    }
}

TEST_CASE("controller: any stream of losses and flags keeps the invariants", "[reliability][property]") {
    std::mt19937_64 rng(12);
    for (int i = 0; i < 60; ++i) {
        const std::size_t n = static_cast<std::size_t>(rng() % 2000);
        expect_holds(autolrs_fuzz::check_controller_stream, random_bytes(rng, n, (i % 3) * 3),
                     "controller case " + std::to_string(i));
    }
}

TEST_CASE("controller: a save and load at any point leaves the decisions unchanged", "[reliability][property]") {
    std::mt19937_64 rng(13);
    for (int i = 0; i < 12; ++i) {
        const std::vector<std::uint8_t> bytes = random_bytes(rng, 1500, 2);
        const auto trace_of = [&](std::optional<std::uint64_t> save_at) {
            autolrs_fuzz::byte_reader in(bytes);
            const autolrs::controller_settings s = autolrs_fuzz::decode_settings(in);
            in.u8();
            autolrs::controller<> ctl(s);
            std::vector<std::string> trace;
            autolrs_fuzz::play(ctl, in, [&] { return autolrs::controller<>(s); }, save_at, &trace);
            return trace;
        };
        const std::vector<std::string> uninterrupted = trace_of(std::nullopt);
        CHECK(trace_of(std::nullopt) == uninterrupted);  // determinism
        const std::uint64_t at = 1 + rng() % 300;
        INFO("case " << i << ", saved and loaded before directive " << at);
        const std::vector<std::string> resumed = trace_of(at);
        std::size_t first = 0;
        while (first < resumed.size() && first < uninterrupted.size() && resumed[first] == uninterrupted[first]) ++first;
        INFO("first difference at trace line " << first << ": "
                                               << (first < uninterrupted.size() ? uninterrupted[first] : "(end)") << " vs "
                                               << (first < resumed.size() ? resumed[first] : "(end)"));
        CHECK(resumed.size() == uninterrupted.size());
        CHECK(first == uninterrupted.size());
    }
}

TEST_CASE("controller::load: damaged states load or throw invalid_state, never worse", "[reliability][property]") {
    std::mt19937_64 rng(14);
    const std::vector<std::string> states = autolrs_fuzz::seed_states(53);
    REQUIRE(states.size() > 5);
    int case_index = 0;
    for (const std::string& state : states) {
        for (int i = 0; i < 25; ++i, ++case_index) {
            std::string text = state;
            for (int d = 0; d <= i % 3; ++d) text = damage(text, rng);
            expect_holds(autolrs_fuzz::check_state_load, std::vector<std::uint8_t>(text.begin(), text.end()),
                         "damaged state " + std::to_string(case_index));
        }
    }
    for (int i = 0; i < 100; ++i) {
        expect_holds(autolrs_fuzz::check_state_load, random_bytes(rng, rng() % 300, 0), "random bytes");
    }
}

TEST_CASE("the committed fuzz corpus still passes every check", "[reliability][corpus]") {
    const std::filesystem::path root = AUTOLRS_FUZZ_CORPUS_DIR;
    const auto replay = [&](const char* target, auto check) {
        std::size_t files = 0;
        for (const auto& entry : std::filesystem::directory_iterator(root / target)) {
            std::ifstream in(entry.path(), std::ios::binary);
            const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            expect_holds(check, bytes, entry.path().string());
            ++files;
        }
        CHECK(files > 0);
    };
    replay("forecast", autolrs_fuzz::check_forecasters);
    replay("controller", autolrs_fuzz::check_controller_stream);
    replay("state_load", autolrs_fuzz::check_state_load);
}
