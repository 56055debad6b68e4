// Quick start: a toy trainer (a noisy quadratic) that satisfies autolrs::trainer.
// It grows into the README's quick start as the controller lands.
#include <autolrs/autolrs.hpp>

#include <cstdio>
#include <random>

namespace {

/// Minimises 0.5*h*x^2 with noisy gradients: the classic cheap model of SGD.
class noisy_quadratic {
public:
    using checkpoint_type = double;

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        std::normal_distribution<double> noise(0.0, 0.1);
        x_ -= lr_ * (curvature_ * x_ + noise(rng_));
        return validation_loss();
    }
    double validation_loss() { return 0.5 * curvature_ * x_ * x_; }
    checkpoint_type checkpoint() { return x_; }
    void restore(const checkpoint_type& saved) { x_ = saved; }

private:
    double curvature_ = 2.0;
    double x_ = 3.0;
    double lr_ = 0.1;
    std::mt19937_64 rng_{42};
};

static_assert(autolrs::explain_trainer<noisy_quadratic>());

}  // namespace

int main() {
    std::printf("autolrs %d.%d.%d\n", autolrs::version.major, autolrs::version.minor, autolrs::version.patch);
    noisy_quadratic model;
    model.set_learning_rate(0.1);
    double loss = 0.0;
    for (int step = 0; step < 100; ++step) loss = model.train_step();
    std::printf("loss after 100 steps at lr 0.1: %.6f\n", loss);
    return 0;
}
