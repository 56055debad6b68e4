// Quick start: AutoLRS on a toy trainer (SGD on a noisy quadratic) through autolrs::run.
// A trainer needs five members (see autolrs::trainer); run() does the rest: with no LR
// interval given it finds one by an LR range test, then searches an LR per stage, keeps the
// best candidate's state, anneals at the end of the budget, and counts every step it takes,
// the test's and the search's included.
#include <autolrs/autolrs.hpp>

#include <cstdio>
#include <random>

namespace {

/// Minimises 0.5*h*x^2 with noisy gradients: the classic cheap model of SGD.
class noisy_quadratic {
public:
    struct checkpoint_type {
        double x;
        std::mt19937_64 rng;
    };

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {  // one optimizer step; returns the loss before the update
        const double loss = 0.5 * curvature_ * x_ * x_;
        std::normal_distribution<double> noise(0.0, 0.1);
        x_ -= lr_ * (curvature_ * x_ + noise(rng_));
        return loss;
    }
    double validation_loss() { return 0.5 * curvature_ * x_ * x_; }
    checkpoint_type checkpoint() { return {x_, rng_}; }  // model AND optimizer state
    void restore(const checkpoint_type& saved) {
        x_ = saved.x;
        rng_ = saved.rng;
    }

private:
    double curvature_ = 2.0;
    double x_ = 3.0;
    double lr_ = 0.0;
    std::mt19937_64 rng_{42};
};

static_assert(autolrs::explain_trainer<noisy_quadratic>());

}  // namespace

int main() {
    std::printf("autolrs %d.%d.%d\n", autolrs::version.major, autolrs::version.minor, autolrs::version.patch);

    noisy_quadratic model;
    const autolrs::controller_settings settings{};  // nothing set: the zero-setting mode
    const autolrs::run_result result = autolrs::run(model, settings, 3000, [](const autolrs::event& e) {
        if (e.kind == autolrs::event_kind::range_test_end) {
            std::printf("step %5llu  LR range test done: the loss was lowest at lr %.3g\n",
                        static_cast<unsigned long long>(e.step), e.learning_rate);
        } else if (e.kind == autolrs::event_kind::stage_lr_chosen) {
            std::printf("step %5llu  stage %u: lr %.4g (forecast loss %.3g +- %.2g)\n",
                        static_cast<unsigned long long>(e.step), e.stage, e.learning_rate, e.forecast, e.stddev);
        } else if (e.kind == autolrs::event_kind::cooldown_start) {
            std::printf("step %5llu  cooldown from lr %.4g over %llu steps\n", static_cast<unsigned long long>(e.step),
                        e.learning_rate, static_cast<unsigned long long>(e.length));
        }
    });
    std::printf("%llu steps: %llu trained the model, %llu searched (%.0f%% of the budget), %llu range test (%.0f%%)\n",
                static_cast<unsigned long long>(result.steps_total), static_cast<unsigned long long>(result.steps_trained),
                static_cast<unsigned long long>(result.steps_searched), 100.0 * result.budget_share_searched(),
                static_cast<unsigned long long>(result.steps_range_test), 100.0 * result.budget_share_range_test());
    std::printf("interval searched [%.3g, %.3g]; final loss %.3g\n", result.lr_min, result.lr_max,
                model.validation_loss());

    // The found schedule replays with no search: a second model, same data, same result.
    noisy_quadratic replayed;
    autolrs::run_schedule(replayed, result.found_schedule(), result.steps_trained);
    std::printf("replayed with no search: final loss %.3g\n", replayed.validation_loss());
    return 0;
}
