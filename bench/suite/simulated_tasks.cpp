// The simulated families: the noisy quadratic model, measured by its EXACT expected final loss,
// and the replay of recorded Fashion-MNIST loss curves (bench/data, bench/harness/problems.hpp).

#include "suite.hpp"

#include "problems.hpp"  // bench/harness: nqm_trainer (the self-check), loss_recording, replay_trainer

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace autolrs::suite {

namespace {

// ---- noisy quadratic model ---------------------------------------------------------------------------

/// The noisy quadratic model of bench/harness (loss 0.5 sum h_i x_i^2, h_i = 1/i, gradient
/// h_i x_i + noise of variance h_i / batch, heavy-ball momentum), which ALSO carries, per
/// dimension, the exact second moments (E[x^2], E[xv], E[v^2]) of the iterate given the LRs
/// applied on its own branch of training: each step maps them by the affine moment recursion of
/// nqm_trainer::expected_x2. Checkpoints and restores carry the moments with the sampled
/// iterate, so after any run (a fixed schedule, or AutoLRS with its candidates thrown away) the
/// moments are those of the final trajectory's LR sequence, and the measured loss is the
/// expected loss of that schedule over the gradient noise, not one noisy sample. The sampled
/// iterate is what the controller sees (its loss each step, as in the harness).
class nqm_moments final : public suite_trainer {
public:
    nqm_moments(const nqm_problem& p, std::uint64_t seed)
        : p_(p), c_(1.0 / static_cast<double>(p.batch)), h_(p.dimensions), rng_(seed) {
        for (std::size_t i = 0; i < p.dimensions; ++i) h_[i] = 1.0 / static_cast<double>(i + 1);
        s_.x.assign(p.dimensions, p.initial_x);
        s_.v.assign(p.dimensions, 0.0);
        s_.m.assign(3 * p.dimensions, 0.0);
        for (std::size_t i = 0; i < p.dimensions; ++i) s_.m[3 * i] = p.initial_x * p.initial_x;
    }

    void set_learning_rate(double lr) override { lr_ = lr; }
    double train_step() override {
        const double a = lr_, b = p_.momentum;
        for (std::size_t i = 0; i < h_.size(); ++i) {
            const double h = h_[i];
            // the sample
            const double g = h * s_.x[i] + std::sqrt(c_ * h) * normal_(rng_);
            s_.v[i] = b * s_.v[i] - a * g;
            s_.x[i] += s_.v[i];
            // the moments: x' = p x + b v - a e, v' = q x + b v - a e
            const double pp = 1.0 - a * h, q = -a * h, noise = a * a * c_ * h;
            double* m = &s_.m[3 * i];
            const double xx = m[0], xv = m[1], vv = m[2];
            m[0] = pp * pp * xx + 2.0 * pp * b * xv + b * b * vv + noise;
            m[1] = pp * q * xx + (pp * b + q * b) * xv + b * b * vv + noise;
            m[2] = q * q * xx + 2.0 * q * b * xv + b * b * vv + noise;
        }
        return sampled_loss();
    }
    double validation_loss() override { return sampled_loss(); }
    std::unique_ptr<suite_checkpoint> checkpoint() override { return std::make_unique<state>(s_); }
    void checkpoint_into(suite_checkpoint& into) override { dynamic_cast<state&>(into) = s_; }
    void restore(const suite_checkpoint& from) override { s_ = dynamic_cast<const state&>(from); }
    measurement measure() override {
        double expected = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) expected += 0.5 * h_[i] * s_.m[3 * i];
        if (!std::isfinite(expected)) expected = std::numeric_limits<double>::infinity();
        return {expected, sampled_loss()};
    }

private:
    struct state final : suite_checkpoint {
        std::vector<double> x, v, m;
    };
    double sampled_loss() const {
        double l = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) l += 0.5 * h_[i] * s_.x[i] * s_.x[i];
        return l;
    }

    nqm_problem p_;
    double c_;
    std::vector<double> h_;
    state s_;
    double lr_ = 0.0;
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_;
};

// ---- recorded loss curves -------------------------------------------------------------------------------

class replay final : public suite_trainer {
public:
    replay(std::shared_ptr<const autolrs::bench::loss_recording> r, std::uint64_t seed)
        : t_(std::move(r), /*resample=*/10, seed) {}
    void set_learning_rate(double lr) override { t_.set_learning_rate(lr); }
    double train_step() override { return t_.train_step(); }
    double validation_loss() override { return t_.validation_loss(); }
    std::unique_ptr<suite_checkpoint> checkpoint() override {
        auto c = std::make_unique<state>();
        c->saved = t_.clone();
        return c;
    }
    void checkpoint_into(suite_checkpoint& into) override { dynamic_cast<state&>(into).saved = t_.clone(); }
    void restore(const suite_checkpoint& from) override { t_.restore_from(*dynamic_cast<const state&>(from).saved); }
    // The recorded (smoothed) loss level where the walk over the curves ended.
    measurement measure() override { return {t_.true_loss(), t_.true_loss()}; }

private:
    struct state final : suite_checkpoint {
        std::unique_ptr<autolrs::bench::simulated_trainer> saved;
    };
    autolrs::bench::replay_trainer t_;
};

}  // namespace

std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> nqm_factory(const nqm_problem& p) {
    return [p](std::uint64_t seed) -> std::unique_ptr<suite_trainer> { return std::make_unique<nqm_moments>(p, seed); };
}

std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> replay_factory(const std::string& path) {
    auto recording = autolrs::bench::loss_recording::load(path);
    return [recording](std::uint64_t seed) -> std::unique_ptr<suite_trainer> {
        return std::make_unique<replay>(recording, seed);
    };
}

std::vector<double> replay_lrs(const std::string& path) { return autolrs::bench::loss_recording::load(path)->lrs; }

double nqm_self_check() {
    // From the initial state, k steps at a constant LR: our recursion, step by step, against the
    // harness's closed form (matrix power by squaring) for every dimension.
    double worst = 0.0;
    for (const double lr : {1e-3, 0.05, 1.0, 3.0}) {
        for (const std::uint64_t steps : {1ULL, 7ULL, 300ULL}) {
            const nqm_problem p{.dimensions = 50, .momentum = 0.9, .batch = 8};
            nqm_moments ours(p, 1);
            ours.set_learning_rate(lr);
            for (std::uint64_t k = 0; k < steps; ++k) (void)ours.train_step();
            const autolrs::bench::nqm_trainer reference(
                {.dimensions = p.dimensions, .gradient_noise = 1.0 / 8.0, .momentum = 0.9, .initial_x = 1.0, .seed = 1});
            double expected = 0.0;
            for (std::size_t i = 0; i < p.dimensions; ++i)
                expected += 0.5 / static_cast<double>(i + 1) * reference.expected_x2(i, lr, steps);
            const double mine = ours.measure().metric;
            worst = std::max(worst, std::abs(mine - expected) / std::max(std::abs(expected), 1e-300));
        }
    }
    return worst;
}

}  // namespace autolrs::suite
