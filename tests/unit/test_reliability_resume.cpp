// Interrupted runs: a real child process (tests/reliability/resume_child.cpp) is killed with
// SIGKILL at random points and started again until it finishes; it must end with the same
// decision log, schedule and model as a run never interrupted. POSIX only.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Starts the child on `folder`; kills it with SIGKILL after `kill_after` (if not finished).
/// Returns true when it exited by itself with status 0.
bool run_child(const std::filesystem::path& folder, std::chrono::milliseconds kill_after) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execl(AUTOLRS_RESUME_CHILD, AUTOLRS_RESUME_CHILD, folder.c_str(), "200", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + kill_after;
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        REQUIRE(done >= 0);
        if (done == pid) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            REQUIRE(::waitpid(pid, &status, 0) == pid);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (WIFEXITED(status)) {
        REQUIRE(WEXITSTATUS(status) == 0);
        return true;
    }
    REQUIRE(WIFSIGNALED(status));
    return false;
}

}  // namespace

TEST_CASE("a training process killed at random points resumes to the same decisions", "[reliability][resume]") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / ("autolrs_resume_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    const std::filesystem::path clean = root / "clean", killed = root / "killed";
    std::filesystem::create_directories(clean);
    std::filesystem::create_directories(killed);

    const auto start = std::chrono::steady_clock::now();
    REQUIRE(run_child(clean, std::chrono::minutes(5)));
    const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    REQUIRE(std::filesystem::exists(clean / "result.txt"));

    std::mt19937_64 rng(2024);
    std::uniform_real_distribution<double> fraction(0.03, 0.35);
    int kills = 0;
    bool finished = false;
    for (int attempt = 0; attempt < 25 && !finished; ++attempt) {
        const auto after = std::chrono::milliseconds(static_cast<long>(fraction(rng) * static_cast<double>(duration.count())));
        finished = run_child(killed, after);
        if (!finished) ++kills;
    }
    if (!finished) finished = run_child(killed, std::chrono::minutes(5));  // progress is not guaranteed per attempt
    REQUIRE(finished);
    INFO("uninterrupted run " << duration.count() << " ms, " << kills << " kills");
    CHECK(kills >= 3);
    CHECK(std::filesystem::exists(killed / "resumes.txt"));  // it did resume from a state
    CHECK(slurp(killed / "events.log") == slurp(clean / "events.log"));
    CHECK(slurp(killed / "result.txt") == slurp(clean / "result.txt"));
    // A write killed midway leaves its temporary file, but only one per file: they do not pile up.
    for (const auto& entry : std::filesystem::directory_iterator(killed)) {
        const std::string name = entry.path().filename().string();
        if (name.find(".tmp") != std::string::npos) CHECK((name == "run.state.tmp" || name == "events.log.tmp"));
    }
    std::filesystem::remove_all(root);
}
