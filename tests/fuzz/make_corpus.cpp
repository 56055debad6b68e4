// Writes the seed corpus of the fuzz targets: `autolrs_fuzz_make_corpus <dir>` creates
// <dir>/forecast, <dir>/state_load and <dir>/controller. Deterministic (seeded), so the
// committed corpus in tests/fuzz/corpus can be regenerated after a state format change.
#include "harness.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
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
    for (std::uint8_t mode : {0, 2, 4, 6}) {
        for (std::uint16_t length : {0, 3, 9, 40, 200}) {
            const std::vector<std::uint8_t> head{mode, static_cast<std::uint8_t>(length & 255),
                                                 static_cast<std::uint8_t>(length >> 8), 64, 40, 100};
            write(root / "forecast" / ("seed_" + std::to_string(n++)), random_bytes(rng, head, length + 8, length % 3 == 0 ? 0 : 5));
        }
    }
    // controller: two settings bytes, the save point, then one code per tell.
    n = 0;
    for (std::uint8_t a : {0x01, 0x02, 0x05, 0x36, 0x4a, 0x99, 0xe3}) {
        for (std::uint8_t save : {0, 200}) {
            const int index = n++;
            const std::vector<std::uint8_t> head{a, static_cast<std::uint8_t>(index * 37), save};
            write(root / "controller" / ("seed_" + std::to_string(index)), random_bytes(rng, head, 1200, index % 2 ? 2 : 0));
        }
    }
    // state_load: states saved along a run.
    n = 0;
    for (const std::string& state : autolrs_fuzz::seed_states(41)) {
        write(root / "state_load" / ("seed_" + std::to_string(n++)), std::vector<std::uint8_t>(state.begin(), state.end()));
    }
    return 0;
}
