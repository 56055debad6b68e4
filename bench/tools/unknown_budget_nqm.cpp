// unknown_budget_nqm: the controller with total_steps = 0 (no budget given: no plan, no
// cooldown) on noisy quadratics, the host stopping after N steps; the defaults against
// horizon_stages (the defaults before the sixth session) and the best constant LR of a grid
// (chosen per cell on the same seeds, so an optimistic reference). Median [min, max] of the
// exact expected loss over 5 seeds. About 40 s.
#include <autolrs/autolrs.hpp>
#include <autolrs/harness.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

namespace {

using autolrs::directive;
using autolrs::directive_kind;

template <class Controller>
double stop_after(Controller& ctl, const autolrs::harness::nqm_settings& problem, std::uint64_t steps) {
    autolrs::harness::nqm_trainer trainer(problem);
    std::shared_ptr<const void> slot[2];
    std::uint64_t taken = 0;
    for (directive d = ctl.pending(); d.kind != directive_kind::done && taken < steps;) {
        switch (d.kind) {
            case directive_kind::train:
                trainer.set_learning_rate(d.learning_rate);
                ++taken;
                d = ctl.tell_step(trainer.train_step());
                break;
            case directive_kind::checkpoint:
                slot[d.slot] = trainer.checkpoint();
                d = ctl.tell_checkpointed();
                break;
            case directive_kind::restore:
                trainer.restore(slot[d.slot]);
                d = ctl.tell_restored();
                break;
            case directive_kind::evaluate: d = ctl.tell_validation(trainer.validation_loss()); break;
            case directive_kind::done: break;
        }
    }
    return trainer.final_loss();
}

double at_constant(const autolrs::harness::nqm_settings& problem, double lr, std::uint64_t steps) {
    autolrs::harness::nqm_trainer trainer(problem);
    trainer.set_learning_rate(lr);
    for (std::uint64_t i = 0; i < steps; ++i) (void)trainer.train_step();
    return trainer.final_loss();
}

struct spread {
    double median, low, high;
};
spread of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace

int main() {
    constexpr double lr_min = 1e-3, lr_max = 3.0;
    constexpr std::uint64_t seeds = 5;
    std::printf("| gradient noise c | stop after | defaults (controller<>) | horizon_stages | best constant (LR) |\n");
    std::printf("| --- | --- | --- | --- | --- |\n");
    for (const double c : {0.02, 0.08}) {
        for (const std::uint64_t steps : {3000ULL, 10000ULL, 30000ULL}) {
            const auto problem = [&](std::uint64_t seed) {
                return autolrs::harness::nqm_settings{.dimensions = 100, .gradient_noise = c, .momentum = 0.9, .seed = seed};
            };
            spread best{1e300, 0.0, 0.0};
            double best_lr = 0.0;
            for (double lr = lr_min; lr < lr_max; lr *= 1.7783) {  // four points a decade
                std::vector<double> v;
                for (std::uint64_t seed = 1; seed <= seeds; ++seed) v.push_back(at_constant(problem(seed), lr, steps));
                const spread s = of(v);
                if (s.median < best.median) {
                    best = s;
                    best_lr = lr;
                }
            }
            std::vector<double> defaults, horizon;
            for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
                autolrs::controller<> a(autolrs::controller_settings{.lr_min = lr_min, .lr_max = lr_max, .seed = seed});
                defaults.push_back(stop_after(a, problem(seed), steps));
                auto b = autolrs::make_horizon_stages_controller(lr_min, lr_max, 0, seed);
                horizon.push_back(stop_after(b, problem(seed), steps));
            }
            const spread d = of(defaults), h = of(horizon);
            std::printf("| %.2f | %llu | %.4g [%.4g, %.4g] | %.4g [%.4g, %.4g] | %.4g (%.3g) |\n", c,
                        static_cast<unsigned long long>(steps), d.median, d.low, d.high, h.median, h.low, h.high,
                        best.median, best_lr);
        }
    }
}
