// Compile-time benchmark, the library's side: the README's first use, autolrs::run with the
// default controller on a user's trainer (a noisy quadratic). bench/compile_time.sh times it.
#include AUTOLRS_BENCH_HEADER

#include <cstdio>
#include <random>

struct quadratic_trainer {
    struct state {
        double x;
        std::mt19937_64 rng;
    };
    using checkpoint_type = state;
    state s{3.0, std::mt19937_64(1)};
    double lr = 0.1;

    void set_learning_rate(double v) { lr = v; }
    double train_step() {
        std::normal_distribution<double> noise(0.0, 0.1);
        s.x -= lr * (s.x + noise(s.rng));
        return 0.5 * s.x * s.x;
    }
    double validation_loss() { return 0.5 * s.x * s.x; }
    checkpoint_type checkpoint() { return s; }
    void restore(const checkpoint_type& saved) { s = saved; }
};

int main() {
    quadratic_trainer trainer;
    const autolrs::run_result r = autolrs::run(trainer, {.lr_min = 1e-3, .lr_max = 1.0}, 2000);
    std::printf("%llu steps\n", static_cast<unsigned long long>(r.steps_trained));
    return 0;
}
