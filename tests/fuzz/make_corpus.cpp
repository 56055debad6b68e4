// Writes the seed corpus of the fuzz targets: `autolrs_fuzz_make_corpus <dir>` creates
// <dir>/forecast, <dir>/state_load and <dir>/controller. Deterministic (seeded), so the
// committed corpus in tests/fuzz/corpus can be regenerated after a state format change.
#include "harness.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

void write(const std::filesystem::path& file, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::vector<std::uint8_t> head, std::size_t n,
                                       int hostile_percent) {
    std::uniform_int_distribution<int> byte(0, 239), special(240, 255), pct(0, 99);
    for (std::size_t i = 0; i < n; ++i) {
        head.push_back(static_cast<std::uint8_t>(pct(rng) < hostile_percent ? special(rng) : byte(rng)));
    }
    return head;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    const std::filesystem::path root = argv[1];
    for (const char* target : {"forecast", "state_load", "controller"}) std::filesystem::create_directories(root / target);
    std::mt19937_64 rng(20240611);
    // forecast: mode, length (2 bytes), level, exponent, rate, then one code per loss.
    int n = 0;
    // mode: bits 0-2 the window's kind and the horizon, bits 3-4 the forecaster, 5-6 (both) twice.
    for (std::uint8_t mode : {0x00, 0x0a, 0x14, 0x1e, 0x60, 0x6a, 0x74, 0x7e}) {
        for (std::uint16_t length : {0, 3, 9, 40, 64}) {
            const std::vector<std::uint8_t> head{mode, static_cast<std::uint8_t>(length & 255),
                                                 static_cast<std::uint8_t>(length >> 8), 64, 40, 100};
            write(root / "forecast" / ("seed_" + std::to_string(n++)), random_bytes(rng, head, length + 8, length % 3 == 0 ? 0 : 5));
        }
    }
    // controller: three settings bytes, the save point, then one code per tell. The third
    // settings byte's bits 4-7 pick the extreme settings of issue 18 (case 4): LR intervals
    // 1e200..1e300, 1e-200..1e-180, 1e-300..1e300, growth 1e20.
    n = 0;
    for (std::uint8_t a : {0x01, 0x02, 0x05, 0x36, 0x4a, 0x99, 0xe3}) {
        for (std::uint8_t save : {0, 200}) {  // >= 192: a save and load before directive (save - 191) * 3
            const int index = n++;
            const std::vector<std::uint8_t> head{a, static_cast<std::uint8_t>(index * 37),
                                                 static_cast<std::uint8_t>(index * 11 % 16), save};
            write(root / "controller" / ("seed_" + std::to_string(index)), random_bytes(rng, head, 600, index % 2 ? 2 : 0));
        }
    }
    for (std::uint8_t c : {0x50, 0x60, 0x70, 0x80, 0xd5}) {
        const int index = n++;
        const std::vector<std::uint8_t> head{0x02, static_cast<std::uint8_t>(index * 37), c, 0};
        write(root / "controller" / ("seed_" + std::to_string(index)), random_bytes(rng, head, 600, 0));
    }
    // state_load: states saved along a run.
    n = 0;
    const std::vector<std::string> states = autolrs_fuzz::seed_states(41);
    for (const std::string& state : states) {
        write(root / "state_load" / ("seed_" + std::to_string(n++)), std::vector<std::uint8_t>(state.begin(), state.end()));
    }
    // ... the zero-setting mode's states (during its range test and after) ...
    for (const std::string& state : autolrs_fuzz::range_test_seed_states()) {
        write(root / "state_load" / ("range_test_seed_" + std::to_string(n++)),
              std::vector<std::uint8_t>(state.begin(), state.end()));
    }
    // ... and the crafted states of issue 18 (cases 1, 2, 3 and 7), each refused by the loader.
    const auto with = [](std::string text, const std::string& key, const std::string& value) {
        const std::size_t at = text.find("\n" + key + " ");
        if (at == std::string::npos) return text;
        const std::size_t end = text.find('\n', at + 1);
        text.replace(at + 1, end - at - 1, key + " " + value);
        return text;
    };
    std::string cooling = states.back();  // a state in the cooldown (wait 12: cooldown_step), if any
    for (const std::string& state : states) {
        if (state.find("\nwait 12\n") != std::string::npos) {
            cooling = state;
            break;
        }
    }
    const std::string& first = states.front();
    const std::string& mid = states[states.size() / 2];
    const std::string big = "18446744073709551615";
    const std::vector<std::pair<std::string, std::string>> crafted{
        {"issue18_case1_tau_prime_horizon", with(with(mid, "tau_prime", big), "horizon", big)},
        {"issue18_case1_probe_steps", with(mid, "probe_steps", big)},
        {"issue18_case2_searched_0", with(first, "searched", "0")},
        {"issue18_case2_candidate_lr_0", with(mid, "candidate_lr", "0x0p+0")},
        {"issue18_case2_cooldown_lr_subnormal", with(cooling, "cooldown_lr", "0x1p-1074")},
        {"issue18_case3_pending_slot_1", with(first, "pending_slot", "1")},
        {"issue18_case7_wait_300", with(mid, "wait", "300")},
    };
    for (const auto& [name, text] : crafted) {
        write(root / "state_load" / name, std::vector<std::uint8_t>(text.begin(), text.end()));
    }
    return 0;
}
