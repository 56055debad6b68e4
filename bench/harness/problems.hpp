#pragma once
// The harness's problems: simulated trainers whose expected loss after n more steps at any
// LR is known from their current state, so the regret of a chosen LR is computable.
//
// - lr_response_trainer: a seeded synthetic LR response. The noise-free loss decays towards
//   a floor at a rate set by the LR, L <- floor + (L - floor) (1 - rate q(log10 lr)), and
//   each step reports it plus Gaussian noise. q is the response (peak 1 at the best LR).
// - nqm_trainer: the noisy quadratic model. loss = 0.5 sum h_i x_i^2, gradient
//   h_i x_i + noise of variance c h_i, SGD (optionally heavy-ball momentum). The expected
//   loss after n steps from the current iterate is closed-form: per dimension the second
//   moments (x^2, xv, v^2) follow an affine map m <- A m + b, so m_n = A^n m_0 + (sum A^k) b,
//   computed exactly by squaring (for plain SGD the 1x1 case: r^n s0 + a^2 c h (r^n-1)/(r-1)).
// - replay_trainer: a recorded Fashion-MNIST loss curve file of bench/data, replayed: a step
//   returns the recorded loss of the recorded LR nearest the one asked. Switching LR
//   continues the new LR's curve from the point where its smoothed loss first reaches the
//   current smoothed loss (loss-level matching), so a schedule of LRs is a walk over curves.

#include <Eigen/Dense>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace autolrs::bench {

/// A simulated trainer behind one interface, so the harness instantiates each policy
/// combination once, not once per problem kind.
class simulated_trainer {
public:
    virtual ~simulated_trainer() = default;
    virtual void set_learning_rate(double lr) = 0;
    virtual double train_step() = 0;
    /// The noise-free loss now (the yardstick for "loss reached").
    [[nodiscard]] virtual double true_loss() const = 0;
    /// The expected (noise-free) loss after `steps` more steps at `lr` from the current state.
    [[nodiscard]] virtual double expected_loss_after(double lr, std::uint64_t steps) const = 0;
    [[nodiscard]] virtual std::unique_ptr<simulated_trainer> clone() const = 0;
    /// Puts `from`'s state back (same dynamic type). The noise stream is NOT rewound: a
    /// restored trainer sees new batches, as a real one does.
    virtual void restore_from(const simulated_trainer& from) = 0;
    double validation_loss() const { return true_loss(); }
};

/// The value-semantic adapter that satisfies autolrs::trainer.
class trainer_handle {
public:
    using checkpoint_type = std::shared_ptr<const simulated_trainer>;
    explicit trainer_handle(std::unique_ptr<simulated_trainer> t) : t_(std::move(t)) {}
    void set_learning_rate(double lr) { t_->set_learning_rate(lr); }
    double train_step() { return t_->train_step(); }
    double validation_loss() const { return t_->validation_loss(); }
    checkpoint_type checkpoint() const { return t_->clone(); }
    void restore(const checkpoint_type& c) { t_->restore_from(*c); }
    [[nodiscard]] simulated_trainer& get() { return *t_; }
    [[nodiscard]] const simulated_trainer& get() const { return *t_; }

private:
    std::unique_ptr<simulated_trainer> t_;
};

// ---- synthetic LR responses ----------------------------------------------------------------

/// q(u), u = log10(lr): a sum of Gaussian bumps on a small base, peak <= 1.
struct lr_response {
    struct bump {
        double centre;  // log10 lr
        double width;   // in decades
        double height;
    };
    std::vector<bump> bumps;
    double base = 0.02;

    [[nodiscard]] double operator()(double lr) const {
        const double u = std::log10(lr);
        double q = base;
        for (const bump& b : bumps) {
            const double z = (u - b.centre) / b.width;
            q = std::max(q, b.height * std::exp(-0.5 * z * z));
        }
        return q;
    }
};

struct lr_response_settings {
    lr_response response;
    double initial_loss = 2.3;
    double floor = 0.2;
    double rate = 0.002;       // per-step decay of (loss - floor) at q = 1
    double noise_sd = 0.01;    // additive Gaussian noise on each reported loss
    std::uint64_t seed = 0;
};

class lr_response_trainer final : public simulated_trainer {
public:
    explicit lr_response_trainer(const lr_response_settings& s) : s_(s), loss_(s.initial_loss), rng_(s.seed) {}

    void set_learning_rate(double lr) override { factor_ = 1.0 - s_.rate * s_.response(lr); }
    double train_step() override {
        loss_ = s_.floor + (loss_ - s_.floor) * factor_;
        return loss_ + s_.noise_sd * normal_(rng_);
    }
    [[nodiscard]] double true_loss() const override { return loss_; }
    [[nodiscard]] double expected_loss_after(double lr, std::uint64_t steps) const override {
        return s_.floor + (loss_ - s_.floor) * std::pow(1.0 - s_.rate * s_.response(lr), static_cast<double>(steps));
    }
    [[nodiscard]] std::unique_ptr<simulated_trainer> clone() const override {
        return std::make_unique<lr_response_trainer>(*this);
    }
    void restore_from(const simulated_trainer& from) override {
        const auto& o = dynamic_cast<const lr_response_trainer&>(from);
        loss_ = o.loss_;
        factor_ = o.factor_;
    }

private:
    lr_response_settings s_;
    double loss_;
    double factor_ = 1.0;
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_;
};

// ---- noisy quadratic model -------------------------------------------------------------------

struct nqm_settings {
    std::size_t dimensions = 32;   // h_i = 1 / i, i = 1..dimensions
    double gradient_noise = 0.02;  // c: gradient noise variance c h_i
    double momentum = 0.0;         // heavy ball: v <- beta v - lr g, x <- x + v
    double initial_x = 1.0;
    std::uint64_t seed = 0;
};

class nqm_trainer final : public simulated_trainer {
public:
    explicit nqm_trainer(const nqm_settings& s)
        : s_(s), h_(s.dimensions), x_(s.dimensions), v_(s.dimensions, 0.0), rng_(s.seed) {
        for (std::size_t i = 0; i < s.dimensions; ++i) h_[i] = 1.0 / static_cast<double>(i + 1);
        std::fill(x_.begin(), x_.end(), s.initial_x);
    }

    void set_learning_rate(double lr) override { lr_ = lr; }
    double train_step() override {
        const double beta = s_.momentum;
        for (std::size_t i = 0; i < h_.size(); ++i) {
            const double g = h_[i] * x_[i] + std::sqrt(s_.gradient_noise * h_[i]) * normal_(rng_);
            v_[i] = beta * v_[i] - lr_ * g;
            x_[i] += v_[i];
        }
        return true_loss();
    }
    [[nodiscard]] double true_loss() const override {
        double l = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) l += 0.5 * h_[i] * x_[i] * x_[i];
        return l;
    }
    [[nodiscard]] double expected_loss_after(double lr, std::uint64_t steps) const override {
        double l = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) l += 0.5 * h_[i] * expected_x2(i, lr, steps);
        return std::isfinite(l) ? l : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] std::unique_ptr<simulated_trainer> clone() const override { return std::make_unique<nqm_trainer>(*this); }
    void restore_from(const simulated_trainer& from) override {
        const auto& o = dynamic_cast<const nqm_trainer&>(from);
        x_ = o.x_;
        v_ = o.v_;
        lr_ = o.lr_;
    }

    /// E[x_i^2] after `steps` steps at `lr` from the current (x_i, v_i).
    [[nodiscard]] double expected_x2(std::size_t i, double a, std::uint64_t steps) const {
        const double h = h_[i];
        const double noise = a * a * s_.gradient_noise * h;  // a^2 Var(gradient noise)
        const double n = static_cast<double>(steps);
        if (s_.momentum == 0.0) {
            const double r = (1.0 - a * h) * (1.0 - a * h);
            const double s0 = x_[i] * x_[i];
            if (r == 1.0) return s0 + n * noise;
            const double rn = std::pow(r, n);
            return rn * s0 + noise * (rn - 1.0) / (r - 1.0);
        }
        // Moments m = (x^2, xv, v^2, 1): x' = p x + b v - a e, v' = -a h x + b v - a e.
        const double p = 1.0 - a * h;
        const double b = s_.momentum;
        const double q = -a * h;
        Eigen::Matrix4d step;
        step << p * p, 2.0 * p * b, b * b, noise,  //
            p * q, p * b + q * b, b * b, noise,    //
            q * q, 2.0 * q * b, b * b, noise,      //
            0.0, 0.0, 0.0, 1.0;
        Eigen::Vector4d m(x_[i] * x_[i], x_[i] * v_[i], v_[i] * v_[i], 1.0);
        for (std::uint64_t k = steps; k > 0; k >>= 1) {  // m = step^steps m, by squaring
            if (k & 1U) m = step * m;
            step = (step * step).eval();
        }
        return m[0];
    }

private:
    nqm_settings s_;
    std::vector<double> h_, x_, v_;
    double lr_ = 0.0;
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_;
};

// ---- recorded loss curves ---------------------------------------------------------------------

/// One file of bench/data: 8 LRs, ~2100 per-step losses each (NaN once diverged).
struct loss_recording {
    std::vector<double> lrs;
    std::vector<std::vector<double>> losses;    // [column][step - 1]
    std::vector<std::vector<double>> smoothed;  // centred moving mean over +-smooth_half_width

    static constexpr std::size_t smooth_half_width = 25;

    static std::shared_ptr<const loss_recording> load(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error("cannot open loss recording " + path);
        auto r = std::make_shared<loss_recording>();
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream ls(line);
            if (line.rfind("lr", 0) == 0) {
                std::string tag;
                ls >> tag;
                for (double lr; ls >> lr;) r->lrs.push_back(lr);
                r->losses.assign(r->lrs.size(), {});
                continue;
            }
            for (std::size_t j = 0; j < r->lrs.size(); ++j) {
                std::string word;
                ls >> word;
                r->losses[j].push_back(word == "nan" ? std::numeric_limits<double>::quiet_NaN() : std::stod(word));
            }
        }
        if (r->lrs.empty() || r->losses[0].empty()) throw std::runtime_error("empty loss recording " + path);
        r->smoothed.resize(r->lrs.size());
        for (std::size_t j = 0; j < r->lrs.size(); ++j) {
            const std::vector<double>& c = r->losses[j];
            const std::size_t n = c.size();
            r->smoothed[j].resize(n);
            for (std::size_t t = 0; t < n; ++t) {
                const std::size_t lo = t > smooth_half_width ? t - smooth_half_width : 0;
                const std::size_t hi = std::min(n, t + smooth_half_width + 1);
                double sum = 0.0;
                for (std::size_t k = lo; k < hi; ++k) sum += c[k];  // NaN stays NaN: diverged
                r->smoothed[j][t] = sum / static_cast<double>(hi - lo);
            }
        }
        return r;
    }

    [[nodiscard]] std::size_t steps() const { return losses[0].size(); }
    [[nodiscard]] std::size_t nearest_column(double lr) const {
        std::size_t best = 0;
        for (std::size_t j = 1; j < lrs.size(); ++j)
            if (std::abs(std::log(lr / lrs[j])) < std::abs(std::log(lr / lrs[best]))) best = j;
        return best;
    }
    /// Smoothed loss after `offset` steps of column j (offset 0: the checkpoint itself).
    [[nodiscard]] double level(std::size_t j, std::size_t offset) const {
        return smoothed[j][std::min(offset, steps()) == 0 ? 0 : std::min(offset, steps()) - 1];
    }
    /// The offset in column j whose smoothed loss first reaches `target` (the column's
    /// lowest point when it never does; 0 for the checkpoint's own level).
    [[nodiscard]] std::size_t matching_offset(std::size_t j, double target) const {
        std::size_t lowest = 0;
        for (std::size_t s = 1; s <= steps(); ++s) {
            const double l = smoothed[j][s - 1];
            if (!std::isfinite(l)) break;
            if (l <= target) return s;
            if (l < smoothed[j][lowest == 0 ? 0 : lowest - 1]) lowest = s;
        }
        return lowest;
    }
};

class replay_trainer final : public simulated_trainer {
public:
    /// `resample` > 0: a step returns the recorded loss of a seeded random step within
    /// +-resample of the current one (same LR): another minibatch from the same phase, so
    /// that seeds differ (the recordings themselves are one batch sequence).
    explicit replay_trainer(std::shared_ptr<const loss_recording> r, std::size_t resample = 0, std::uint64_t seed = 0)
        : r_(std::move(r)), resample_(resample), rng_(seed) {}

    void set_learning_rate(double lr) override {
        const std::size_t j = r_->nearest_column(lr);
        if (j == column_) return;
        if (offset_ > 0) offset_ = r_->matching_offset(j, true_loss());
        column_ = j;
    }
    double train_step() override {
        offset_ = std::min(offset_ + 1, r_->steps());
        std::size_t row = offset_ - 1;
        if (resample_ > 0) {
            const auto shift = static_cast<std::ptrdiff_t>(rng_() % (2 * resample_ + 1)) - static_cast<std::ptrdiff_t>(resample_);
            row = static_cast<std::size_t>(
                std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(row) + shift, 0, static_cast<std::ptrdiff_t>(r_->steps()) - 1));
        }
        return r_->losses[column_][row];
    }
    [[nodiscard]] double true_loss() const override { return r_->level(column_, offset_); }
    [[nodiscard]] double expected_loss_after(double lr, std::uint64_t steps) const override {
        const std::size_t j = r_->nearest_column(lr);
        const std::size_t start = offset_ == 0 || j == column_ ? offset_ : r_->matching_offset(j, true_loss());
        const double l = r_->level(j, start + static_cast<std::size_t>(steps));
        return std::isfinite(l) ? l : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] std::unique_ptr<simulated_trainer> clone() const override { return std::make_unique<replay_trainer>(*this); }
    void restore_from(const simulated_trainer& from) override {
        const auto& o = dynamic_cast<const replay_trainer&>(from);
        column_ = o.column_;
        offset_ = o.offset_;
    }
    [[nodiscard]] std::size_t column() const { return column_; }
    [[nodiscard]] std::size_t offset() const { return offset_; }

private:
    std::shared_ptr<const loss_recording> r_;
    std::size_t resample_;
    std::mt19937_64 rng_;
    std::size_t column_ = 0;
    std::size_t offset_ = 0;
};

}  // namespace autolrs::bench
