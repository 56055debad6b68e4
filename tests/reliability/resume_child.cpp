// A training process for the kill-and-resume test: AutoLRS over a toy trainer whose whole
// state is a few doubles, with a state file. `resume_child <folder> [microseconds per step]`
// writes <folder>/events.log (one line per decision, flushed as it goes) and, at the end,
// <folder>/result.txt. Killed at any point and started again, it resumes from
// <folder>/run.state and must end with the same log as a run never interrupted.
#include <autolrs/autolrs.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

/// SGD with momentum on a noisy quadratic; the noise comes from a counter (mix_seed, splitmix64 +
/// Box-Muller), so the whole state is {x, velocity, counter} and a checkpoint is 3 doubles.
class toy_trainer {
public:
    struct checkpoint_type {
        double x, velocity, counter;
    };

    explicit toy_trainer(int delay_us) : delay_us_(delay_us) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        if (delay_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us_));
        const double loss = 0.5 * s_.x * s_.x + 0.01 * noise();
        velocity_step(s_.x + 0.3 * noise());
        return loss;
    }
    double validation_loss() { return 0.5 * s_.x * s_.x; }
    checkpoint_type checkpoint() { return s_; }
    void restore(const checkpoint_type& c) { s_ = c; }

private:
    double noise() {
        const auto u = [](std::uint64_t v) { return (static_cast<double>(v >> 11) + 0.5) * 0x1.0p-53; };
        const std::uint64_t n = static_cast<std::uint64_t>(s_.counter);
        s_.counter += 1.0;
        return std::sqrt(-2.0 * std::log(u(autolrs::detail::mix_seed(2 * n)))) *
               std::cos(6.283185307179586 * u(autolrs::detail::mix_seed(2 * n + 1)));
    }
    void velocity_step(double gradient) {
        s_.velocity = 0.9 * s_.velocity + gradient;
        s_.x -= lr_ * s_.velocity;
    }

    checkpoint_type s_{4.0, 0.0, 0.0};
    double lr_ = 0.0;
    int delay_us_;
};

struct toy_codec {
    void save(std::ostream& os, const toy_trainer::checkpoint_type& c) const {
        os << autolrs::detail::exact_text(c.x) << ' ' << autolrs::detail::exact_text(c.velocity) << ' '
           << autolrs::detail::exact_text(c.counter) << '\n';
    }
    toy_trainer::checkpoint_type load(std::istream& is) const {
        std::string a, b, c;
        if (!(is >> a >> b >> c)) throw autolrs::invalid_state("the trainer's state is damaged");
        return {std::strtod(a.c_str(), nullptr), std::strtod(b.c_str(), nullptr), std::strtod(c.c_str(), nullptr)};
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <folder> [microseconds per step]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path folder = argv[1];
    const int delay_us = argc > 2 ? std::atoi(argv[2]) : 0;
    const std::filesystem::path log_path = folder / "events.log";

    toy_trainer trainer(delay_us);
    autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 1.0, .total_steps = 2500, .candidates = 4, .tau0 = 80,
                               .warmup_steps = 30, .warm_start = true, .seed = 9});
    const autolrs::resumable_options options{
        .path = folder / "run.state",
        .on_resume = [&](std::uint64_t events_before) {
            // Keep the log's first events_before lines: later ones will be made again.
            std::ifstream in(log_path);
            std::string line, kept;
            for (std::uint64_t i = 0; i < events_before && std::getline(in, line); ++i) kept += line + '\n';
            autolrs::write_file_atomically(log_path, kept);
            std::ofstream(folder / "resumes.txt", std::ios::app) << events_before << '\n';
        }};
    std::FILE* log = nullptr;
    const auto open_log = [&] {
        if (log == nullptr) log = std::fopen(log_path.c_str(), "a");
        if (log == nullptr) std::exit(3);
    };
    const autolrs::run_result r =
        autolrs::run_resumable(trainer, ctl, toy_codec{}, options, [&](const autolrs::event& e) {
            open_log();
            std::fprintf(log, "%s step=%llu stage=%u candidate=%u lr=%s forecast=%s\n",
                         std::string(autolrs::to_string(e.kind)).c_str(), static_cast<unsigned long long>(e.step), e.stage,
                         e.candidate, autolrs::detail::exact_text(e.learning_rate).c_str(),
                         autolrs::detail::exact_text(e.forecast).c_str());
            std::fflush(log);  // reaches the kernel: survives a SIGKILL
        });
    if (log != nullptr) std::fclose(log);
    std::ostringstream result;
    toy_codec{}.save(result, trainer.checkpoint());
    result << "steps " << r.steps_total << ' ' << r.steps_trained << ' ' << r.steps_searched << " events " << r.events
           << " final_loss " << autolrs::detail::exact_text(r.final_loss) << '\n';
    for (const auto& row : r.schedule_rows) result << row.start_step << ' ' << autolrs::detail::exact_text(row.lr) << '\n';
    autolrs::write_file_atomically(folder / "result.txt", result.str());
    return 0;
}
