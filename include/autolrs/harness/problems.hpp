#pragma once
// autolrs::harness: the built-in problems (part of <autolrs/harness.hpp>). Simulated trainers
// whose noise-free loss, and expected loss after n more steps at any constant LR, are known:
//
// - lr_response_trainer: a seeded synthetic LR response. The noise-free loss decays towards
//   a floor at a rate set by the LR, L <- floor + (L - floor) (1 - rate q(log10 lr)); each step
//   reports it plus Gaussian noise. q is the response (peak 1 at the best LR).
// - nqm_trainer: the noisy quadratic model. loss = 0.5 sum h_i x_i^2 (h_i = 1/i), gradient
//   h_i x_i + noise of variance c h_i, SGD or heavy-ball momentum. It also carries, per
//   dimension, the exact second moments (E x^2, E xv, E v^2) of the iterate given the LRs
//   applied on its own branch (checkpoints and restores carry them), so its final_loss() is
//   the EXACT expected loss of the schedule that was trained, over the gradient noise: no
//   sampling noise in the yardstick. The expected loss after n steps at one LR from the
//   current iterate is closed-form (the moment map's n-th power, by squaring).
// - replay_trainer: a recorded Fashion-MNIST loss-curve file (installed with the library, see
//   curves_dir()) replayed: a step returns the recorded loss of the recorded LR nearest the one
//   asked. Switching LR continues the new LR's curve from the point where its smoothed loss
//   first reaches the current smoothed loss (loss-level matching): a schedule of LRs is a walk
//   over the curves. Its final loss is the smoothed recorded loss where the walk ends.
//
// The families as problems: synthetic_problems(), nqm_problems(), replay_problems(), and all
// of them: standard_problems().

#include <autolrs/autolrs.hpp>  // the core: include/ or the single header
#include <autolrs/harness/problem.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace autolrs::harness {

/// A simulated trainer: a noise-free loss (true_loss) and the expected loss after n steps at
/// one LR from any state; checkpoints are clones.
class simulated_trainer : public problem_trainer {
public:
    /// The noise-free loss of the current state.
    [[nodiscard]] virtual double true_loss() const = 0;
    /// Puts `from`'s state back (`from` has the same dynamic type). The noise stream is NOT
    /// rewound: a restored trainer sees new batches, as a real one does.
    virtual void restore_from(const problem_trainer& from) = 0;

    double validation_loss() override { return true_loss(); }
    double final_loss() override { return true_loss(); }
    std::shared_ptr<const void> checkpoint() override { return std::shared_ptr<const problem_trainer>(clone()); }
    void restore(const std::shared_ptr<const void>& saved) override {
        restore_from(*static_cast<const problem_trainer*>(saved.get()));
    }
};

// ---- synthetic LR responses --------------------------------------------------------------------

/// q(u), u = log10(lr): the largest of Gaussian bumps, on a small base; peak <= 1.
struct lr_response {
    struct bump {
        double centre;  ///< log10 lr
        double width;   ///< in decades
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
    double rate = 0.002;     ///< per-step decay of (loss - floor) at q = 1
    double noise_sd = 0.01;  ///< additive Gaussian noise on each reported loss
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
    [[nodiscard]] std::unique_ptr<problem_trainer> clone() const override {
        return std::make_unique<lr_response_trainer>(*this);
    }
    void restore_from(const problem_trainer& from) override {
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

// ---- noisy quadratic model ----------------------------------------------------------------------

struct nqm_settings {
    std::size_t dimensions = 32;   ///< h_i = 1 / i, i = 1..dimensions
    double gradient_noise = 0.02;  ///< c: gradient noise variance c h_i
    double momentum = 0.0;         ///< heavy ball: v <- beta v - lr g, x <- x + v
    double initial_x = 1.0;
    std::uint64_t seed = 0;
};

class nqm_trainer final : public simulated_trainer {
public:
    explicit nqm_trainer(const nqm_settings& s)
        : s_(s), h_(s.dimensions), x_(s.dimensions, s.initial_x), v_(s.dimensions, 0.0), m_(3 * s.dimensions, 0.0),
          rng_(s.seed) {
        for (std::size_t i = 0; i < s.dimensions; ++i) {
            h_[i] = 1.0 / static_cast<double>(i + 1);
            m_[3 * i] = s.initial_x * s.initial_x;
        }
    }

    void set_learning_rate(double lr) override { lr_ = lr; }
    double train_step() override {
        const double a = lr_, b = s_.momentum;
        for (std::size_t i = 0; i < h_.size(); ++i) {
            const double h = h_[i];
            const double g = h * x_[i] + std::sqrt(s_.gradient_noise * h) * normal_(rng_);
            v_[i] = b * v_[i] - a * g;
            x_[i] += v_[i];
            // the moments: x' = p x + b v - a e, v' = q x + b v - a e
            const double p = 1.0 - a * h, q = -a * h, noise = a * a * s_.gradient_noise * h;
            double* m = &m_[3 * i];
            const double xx = m[0], xv = m[1], vv = m[2];
            m[0] = p * p * xx + 2.0 * p * b * xv + b * b * vv + noise;
            m[1] = p * q * xx + (p * b + q * b) * xv + b * b * vv + noise;
            m[2] = q * q * xx + 2.0 * q * b * xv + b * b * vv + noise;
        }
        return true_loss();
    }
    /// The sampled iterate's loss (what the controller sees, without extra noise).
    [[nodiscard]] double true_loss() const override {
        double l = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) l += 0.5 * h_[i] * x_[i] * x_[i];
        return l;
    }
    /// The exact expected loss, over the gradient noise, of the LRs trained on this branch.
    double final_loss() override { return expected_loss(); }
    [[nodiscard]] double expected_loss() const {
        double l = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) l += 0.5 * h_[i] * m_[3 * i];
        return std::isfinite(l) ? l : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] double expected_loss_after(double lr, std::uint64_t steps) const override {
        double l = 0.0;
        for (std::size_t i = 0; i < h_.size(); ++i) l += 0.5 * h_[i] * expected_x2(i, lr, steps);
        return std::isfinite(l) ? l : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] std::unique_ptr<problem_trainer> clone() const override {
        return std::make_unique<nqm_trainer>(*this);
    }
    void restore_from(const problem_trainer& from) override {
        const auto& o = dynamic_cast<const nqm_trainer&>(from);
        x_ = o.x_;
        v_ = o.v_;
        m_ = o.m_;
        lr_ = o.lr_;
    }

    /// E[x_i^2] after `steps` steps at `lr` from the current sampled (x_i, v_i).
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
    std::vector<double> h_, x_, v_, m_;
    double lr_ = 0.0;
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_;
};

// ---- recorded loss curves -----------------------------------------------------------------------

/// One recorded curve file: a few LRs, ~2100 per-step losses each (NaN once diverged).
struct loss_recording {
    std::vector<double> lrs;
    std::vector<std::vector<double>> losses;    ///< [column][step - 1]
    std::vector<std::vector<double>> smoothed;  ///< centred moving mean over +-smooth_half_width

    static constexpr std::size_t smooth_half_width = 25;

    /// Reads a file: `#` comments, `lr <lr_1> ... <lr_k>`, then one line of k losses per step.
    static std::shared_ptr<const loss_recording> load(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw invalid_setting("loss_recording path", "cannot open " + path);
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
        if (r->lrs.empty() || r->losses[0].empty()) throw invalid_setting("loss_recording path", "no curves in " + path);
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
    /// The offset in column j whose smoothed loss first reaches `target` (the column's lowest
    /// point when it never does; 0 for the checkpoint's own level).
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
    /// +-resample of the current one (same LR): another minibatch from the same phase, so that
    /// seeds differ (the recordings themselves are one batch sequence).
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
            const auto shift =
                static_cast<std::ptrdiff_t>(rng_() % (2 * resample_ + 1)) - static_cast<std::ptrdiff_t>(resample_);
            row = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(row) + shift, 0,
                                                                      static_cast<std::ptrdiff_t>(r_->steps()) - 1));
        }
        return r_->losses[column_][row];
    }
    [[nodiscard]] double true_loss() const override { return r_->level(column_, offset_); }
    double final_loss() override {
        const double l = true_loss();
        return std::isfinite(l) ? l : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] double expected_loss_after(double lr, std::uint64_t steps) const override {
        const std::size_t j = r_->nearest_column(lr);
        const std::size_t start = offset_ == 0 || j == column_ ? offset_ : r_->matching_offset(j, true_loss());
        const double l = r_->level(j, start + static_cast<std::size_t>(steps));
        return std::isfinite(l) ? l : std::numeric_limits<double>::infinity();
    }
    [[nodiscard]] std::unique_ptr<problem_trainer> clone() const override {
        return std::make_unique<replay_trainer>(*this);
    }
    void restore_from(const problem_trainer& from) override {
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

// ---- the families as problems --------------------------------------------------------------------

/// Where the recorded curves are: the environment variable AUTOLRS_HARNESS_DATA_DIR, else the
/// folder the CMake package names (target autolrs::harness defines AUTOLRS_HARNESS_DATA_DIR:
/// <prefix>/share/autolrs/curves when installed, bench/data in a build of this repository).
/// Throws autolrs::invalid_setting when neither names an existing folder.
[[nodiscard]] inline std::string curves_dir() {
    if (const char* env = std::getenv("AUTOLRS_HARNESS_DATA_DIR"); env != nullptr && *env != '\0') {
        if (!std::filesystem::is_directory(env))
            throw invalid_setting("AUTOLRS_HARNESS_DATA_DIR", std::string("is not a folder: ") + env);
        return env;
    }
#ifdef AUTOLRS_HARNESS_DATA_DIR
    if (std::filesystem::is_directory(AUTOLRS_HARNESS_DATA_DIR)) return AUTOLRS_HARNESS_DATA_DIR;
    throw invalid_setting("AUTOLRS_HARNESS_DATA_DIR", std::string("is not a folder: ") + AUTOLRS_HARNESS_DATA_DIR);
#else
    throw invalid_setting("AUTOLRS_HARNESS_DATA_DIR",
                          "not defined: link autolrs::harness (CMake) or set the environment variable to the folder "
                          "of the recorded curves (<prefix>/share/autolrs/curves)");
#endif
}

namespace detail {
inline std::uint64_t scaled_budget(std::uint64_t budget, double scale) {
    if (!(scale > 0.0) || !std::isfinite(scale)) throw invalid_setting("budget_scale", "must be finite and > 0");
    return std::max<std::uint64_t>(static_cast<std::uint64_t>(static_cast<double>(budget) * scale), 200);
}
inline double jitter(std::uint64_t seed, double spread) {
    std::mt19937_64 g(seed ^ 0x5eedULL);
    return std::uniform_real_distribution<double>(-spread, spread)(g);
}
}  // namespace detail

/// A synthetic problem over LRs [1e-4, 1]: `response(seed)` gives the seed's LR response.
[[nodiscard]] inline problem synthetic_problem(std::string name, double noise_sd,
                                               std::function<lr_response(std::uint64_t seed)> response,
                                               std::uint64_t budget = 2000) {
    if (!(noise_sd >= 0.0)) throw invalid_setting("noise_sd", "must be >= 0");
    problem p{.name = std::move(name),
              .family = "synthetic",
              .lr_min = 1e-4,
              .lr_max = 1.0,
              .budget = budget,
              .make = [noise_sd, response = std::move(response)](std::uint64_t seed) -> std::unique_ptr<problem_trainer> {
                  return std::make_unique<lr_response_trainer>(
                      lr_response_settings{.response = response(seed), .noise_sd = noise_sd, .seed = seed});
              }};
    p.validate();
    return p;
}

/// The synthetic family: one optimum inside the interval, one above it (the best LR is
/// lr_max), two optima (which is higher alternates with the seed), one optimum under heavy
/// noise. The optimum's place jitters with the seed.
[[nodiscard]] inline std::vector<problem> synthetic_problems(double budget_scale = 1.0) {
    const std::uint64_t b = detail::scaled_budget(2000, budget_scale);
    using detail::jitter;
    return {
        synthetic_problem("synthetic_inside", 0.01,
                          [](std::uint64_t s) { return lr_response{{{-2.0 + jitter(s, 0.5), 0.6, 1.0}}}; }, b),
        synthetic_problem("synthetic_edge", 0.01,
                          [](std::uint64_t s) { return lr_response{{{0.5 + jitter(s, 0.2), 0.8, 1.0}}}; }, b),
        synthetic_problem("synthetic_two_minima", 0.01,
                          [](std::uint64_t s) {
                              const bool left = (s & 1U) == 0;
                              return lr_response{{{-3.0 + jitter(s, 0.3), 0.35, left ? 1.0 : 0.8},
                                                  {-1.0 + jitter(s + 7, 0.3), 0.35, left ? 0.8 : 1.0}}};
                          },
                          b),
        synthetic_problem("synthetic_heavy_noise", 0.08,
                          [](std::uint64_t s) { return lr_response{{{-2.0 + jitter(s, 0.5), 0.6, 1.0}}}; }, b),
    };
}

/// A noisy-quadratic problem; `settings.seed` is replaced by each run's seed.
[[nodiscard]] inline problem nqm_problem(std::string name, const nqm_settings& settings, double lr_min, double lr_max,
                                         std::uint64_t budget = 2000) {
    if (settings.dimensions == 0) throw invalid_setting("nqm_settings.dimensions", "must be > 0");
    if (!(settings.gradient_noise >= 0.0)) throw invalid_setting("nqm_settings.gradient_noise", "must be >= 0");
    if (!(settings.momentum >= 0.0 && settings.momentum < 1.0))
        throw invalid_setting("nqm_settings.momentum", "must be in [0, 1)");
    problem p{.name = std::move(name),
              .family = "nqm",
              .lr_min = lr_min,
              .lr_max = lr_max,
              .budget = budget,
              .make = [settings](std::uint64_t seed) -> std::unique_ptr<problem_trainer> {
                  nqm_settings s = settings;
                  s.seed = seed;
                  return std::make_unique<nqm_trainer>(s);
              }};
    p.validate();
    return p;
}

/// The NQM family (32 dimensions; final loss: the exact expected loss): SGD over [1e-3, 4]
/// (LRs above 2 diverge) and heavy-ball momentum 0.9 over [1e-4, 4] (above 3.8 diverge), each at
/// gradient noise 0.02 and 0.2.
[[nodiscard]] inline std::vector<problem> nqm_problems(double budget_scale = 1.0) {
    const std::uint64_t b = detail::scaled_budget(2000, budget_scale);
    std::vector<problem> out;
    for (const double noise : {0.02, 0.2}) {
        const std::string tag = noise == 0.02 ? "_noise0.02" : "_noise0.2";
        out.push_back(nqm_problem("nqm_sgd" + tag, {.gradient_noise = noise}, 1e-3, 4.0, b));
        out.push_back(nqm_problem("nqm_momentum" + tag, {.gradient_noise = noise, .momentum = 0.9}, 1e-4, 4.0, b));
    }
    return out;
}

/// A replay of one recorded curve file; the interval and the baselines' grid are the recorded
/// LRs (nothing outside them exists).
[[nodiscard]] inline problem replay_problem(std::string name, const std::string& path, std::uint64_t budget = 2000) {
    auto recording = loss_recording::load(path);
    problem p{.name = std::move(name),
              .family = "replay",
              .lr_min = recording->lrs.front(),
              .lr_max = recording->lrs.back(),
              .budget = budget,
              .make = [recording](std::uint64_t seed) -> std::unique_ptr<problem_trainer> {
                  return std::make_unique<replay_trainer>(recording, 10, seed);
              },
              .grid = recording->lrs};
    p.validate();
    return p;
}

/// The replay family: SGD from fresh weights, Adam after 1000 steps, batch-16 SGD after 5000
/// steps (where the two largest LRs diverge). `data_dir`: the curves (default curves_dir()).
[[nodiscard]] inline std::vector<problem> replay_problems(const std::string& data_dir, double budget_scale = 1.0) {
    const std::uint64_t b = detail::scaled_budget(2000, budget_scale);
    return {replay_problem("replay_sgd_fresh", data_dir + "/fmnist_mlp_sgd_fresh.txt", b),
            replay_problem("replay_adam_trained1000", data_dir + "/fmnist_mlp_adam_trained1000.txt", b),
            replay_problem("replay_b16_sgd_trained5000", data_dir + "/fmnist_mlp_b16_sgd_trained5000.txt", b)};
}
[[nodiscard]] inline std::vector<problem> replay_problems(double budget_scale = 1.0) {
    return replay_problems(curves_dir(), budget_scale);
}

/// Every built-in problem: synthetic, NQM, replay (in that order).
[[nodiscard]] inline std::vector<problem> standard_problems(const std::string& data_dir, double budget_scale = 1.0) {
    std::vector<problem> out = synthetic_problems(budget_scale);
    for (problem& p : nqm_problems(budget_scale)) out.push_back(std::move(p));
    for (problem& p : replay_problems(data_dir, budget_scale)) out.push_back(std::move(p));
    return out;
}
[[nodiscard]] inline std::vector<problem> standard_problems(double budget_scale = 1.0) {
    return standard_problems(curves_dir(), budget_scale);
}

}  // namespace autolrs::harness
