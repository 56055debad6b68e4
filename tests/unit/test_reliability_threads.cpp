// Independent controllers and forecasters on several threads at once give the results they
// give alone (no shared mutable state): run under ThreadSanitizer by tools/test.sh.
#include <autolrs/autolrs.hpp>

#include "../fuzz/harness.hpp"
#include "catch.hpp"

#include <random>
#include <string>
#include <thread>
#include <vector>

TEST_CASE("controllers and forecasters on separate threads do not share state", "[reliability][threads]") {
    constexpr int threads = 4;
    std::vector<std::vector<std::uint8_t>> inputs;
    std::mt19937_64 rng(21);
    for (int i = 0; i < threads; ++i) {
        std::vector<std::uint8_t> bytes(900);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng() % 240);
        inputs.push_back(bytes);
    }
    const auto trace_of = [](const std::vector<std::uint8_t>& bytes) {
        autolrs_fuzz::byte_reader in(bytes);
        const autolrs::controller_settings s = autolrs_fuzz::decode_settings(in);
        in.u8();
        autolrs::controller<> ctl(s);
        std::vector<std::string> trace;
        autolrs_fuzz::play(ctl, in, [&] { return autolrs::controller<>(s); }, std::nullopt, &trace);
        autolrs_fuzz::check_forecasters(bytes);
        return trace;
    };
    std::vector<std::vector<std::string>> alone, together(threads);
    for (const auto& bytes : inputs) alone.push_back(trace_of(bytes));
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([&, i] { together[static_cast<std::size_t>(i)] = trace_of(inputs[static_cast<std::size_t>(i)]); });
    for (auto& t : pool) t.join();
    for (int i = 0; i < threads; ++i) CHECK(together[static_cast<std::size_t>(i)] == alone[static_cast<std::size_t>(i)]);
}
