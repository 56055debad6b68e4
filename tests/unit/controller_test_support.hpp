#pragma once
// Small deterministic policies and trainers for the controller's tests.

#include <autolrs/autolrs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace autolrs_test {

/// A deterministic search over a fixed grid of x = log(LR): asks the grid points in a
/// seed-dependent order (never one already asked, never at or above an infeasible x).
/// Records every call, so tests can check what the controller told it.
class grid_search {
public:
    struct call {
        char op;  // 'r' reset, 'w' warm_start, 'a' ask, 't' tell, 'i' tell_infeasible
        double x;
        double y;
        double noise;
    };

    grid_search(double x_min, double x_max, std::size_t points = 16, double gain_scale = 1.0)
        : gain_scale_(gain_scale) {
        for (std::size_t i = 0; i < points; ++i) {
            grid_.push_back(x_min + (x_max - x_min) * static_cast<double>(i) / static_cast<double>(points - 1));
        }
        reset(0);
        calls_.clear();
    }

    double ask() {
        const std::size_t n = grid_.size();
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t index = (offset_ + i * stride()) % n;
            const double x = grid_[index];
            if (x >= infeasible_above_ || std::find(asked_.begin(), asked_.end(), x) != asked_.end()) continue;
            asked_.push_back(x);
            calls_.push_back({'a', x, 0.0, 0.0});
            return x;
        }
        const double x = std::min(grid_.front(), infeasible_above_);
        calls_.push_back({'a', x, 0.0, 0.0});
        return x;
    }
    void tell(double x, double y, double noise) {
        if (!std::isfinite(y)) throw std::invalid_argument("grid_search: y must be finite");
        observations_.push_back({x, y, noise});
        calls_.push_back({'t', x, y, noise});
    }
    void tell_infeasible(double x) {
        infeasible_above_ = std::min(infeasible_above_, x);
        calls_.push_back({'i', x, 0.0, 0.0});
    }
    [[nodiscard]] double expected_gain() const {
        std::size_t left = 0;
        for (const double x : grid_) {
            if (x < infeasible_above_ && std::find(asked_.begin(), asked_.end(), x) == asked_.end()) ++left;
        }
        return gain_scale_ * static_cast<double>(left) / static_cast<double>(grid_.size());
    }
    void reset(std::uint64_t seed) {
        offset_ = static_cast<std::size_t>(seed % grid_.size());
        asked_.clear();
        observations_.clear();
        infeasible_above_ = std::numeric_limits<double>::infinity();
        calls_.push_back({'r', static_cast<double>(seed % 1000), 0.0, 0.0});
    }
    void warm_start(std::span<const autolrs::observation> earlier, double extra) {
        warm_count_ += earlier.size();
        calls_.push_back({'w', static_cast<double>(earlier.size()), extra, 0.0});
    }

    [[nodiscard]] const std::vector<call>& calls() const { return calls_; }
    [[nodiscard]] const std::vector<double>& grid() const { return grid_; }
    [[nodiscard]] std::size_t warm_count() const { return warm_count_; }

private:
    [[nodiscard]] std::size_t stride() const {
        std::size_t s = grid_.size() / 2 + 1;
        while (std::gcd(s, grid_.size()) != 1) ++s;
        return s;
    }

    std::vector<double> grid_;
    std::vector<double> asked_;
    std::vector<autolrs::observation> observations_;
    std::vector<call> calls_;
    std::size_t offset_ = 0;
    double infeasible_above_ = std::numeric_limits<double>::infinity();
    double gain_scale_;
    std::size_t warm_count_ = 0;
};

/// Forecasts the mean of the window's last fifth (the naive baseline); its spread as stddev.
struct tail_mean_forecaster {
    autolrs::forecast predict(std::span<const double> losses, double) const {
        std::vector<double> finite;
        for (const double v : losses) {
            if (std::isfinite(v)) finite.push_back(v);
        }
        if (finite.empty()) return {0.0, 0.0, autolrs::forecast_status::invalid_input};
        const std::size_t tail = std::max<std::size_t>(1, finite.size() / 5);
        double sum = 0.0;
        for (std::size_t i = finite.size() - tail; i < finite.size(); ++i) sum += finite[i];
        const double mean = sum / static_cast<double>(tail);
        double var = 0.0;
        for (std::size_t i = finite.size() - tail; i < finite.size(); ++i) var += (finite[i] - mean) * (finite[i] - mean);
        return {mean, std::sqrt(var / static_cast<double>(tail)), autolrs::forecast_status::fallback_flat};
    }
};

/// Exact for L(t) = c + a r^t: fits it through three equally spaced points of the window.
struct three_point_exponential_forecaster {
    autolrs::forecast predict(std::span<const double> losses, double horizon) const {
        const std::size_t n = losses.size();
        if (n < 3) return {n == 0 ? 0.0 : losses[n - 1], 0.0, autolrs::forecast_status::fallback_too_short};
        const std::size_t d = (n - 1) / 2;
        const std::size_t i1 = n - 1 - 2 * d;
        const double l1 = losses[i1], l2 = losses[i1 + d], l3 = losses[i1 + 2 * d];
        const double denominator = l2 - l1;
        if (!std::isfinite(l1 + l2 + l3)) return {0.0, 0.0, autolrs::forecast_status::invalid_input};
        if (denominator == 0.0) return {l3, 0.0, autolrs::forecast_status::fallback_flat};
        const double rd = (l3 - l2) / denominator;  // r^d
        if (!(rd > 0.0 && rd < 1.0)) return {l3, 0.0, autolrs::forecast_status::fallback_rising};
        const double a_rd1 = (l2 - l1) / (rd - 1.0);  // a r^{t1}
        const double c = l1 - a_rd1;
        const double t1 = static_cast<double>(i1 + 1);
        const double steps = (horizon - t1) / static_cast<double>(d);
        return {c + a_rd1 * std::pow(rd, steps), 0.0, autolrs::forecast_status::fitted};
    }
};

/// The expected-value model of SGD on a 1-D quadratic 0.5*h*x^2 with gradient noise
/// sigma^2: v = E[x^2] evolves as v <- (1 - lr h)^2 v + lr^2 sigma^2; loss = 0.5 h v.
/// Deterministic, exact, and its best LR for a horizon falls as training goes on.
struct expected_quadratic {
    double h = 1.0;
    double sigma2 = 0.01;

    [[nodiscard]] double step(double v, double lr) const {
        const double r = 1.0 - lr * h;
        return r * r * v + lr * lr * sigma2;
    }
    [[nodiscard]] double loss(double v) const { return 0.5 * h * v; }
    [[nodiscard]] double after(double v, double lr, std::uint64_t steps) const {
        for (std::uint64_t i = 0; i < steps; ++i) v = step(v, lr);
        return v;
    }
};

/// A trainer over expected_quadratic that records what it was asked to do.
/// `checkpoint_type` carries the LR too, so a restore puts the OLD LR back (as some
/// backends do): only a host that sets the LR after every restore runs every step at the
/// controller's LR.
class recording_trainer {
public:
    struct checkpoint_type {
        double v;
        double lr;
        std::uint64_t age;
    };
    struct op {
        char kind;  // 's' step, 'c' checkpoint, 'r' restore, 'v' validation
        double lr;
        double v;
    };

    explicit recording_trainer(double v0 = 1.0, expected_quadratic model = {}) : model_(model), v_(v0) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        const double loss = model_.loss(v_);  // the loss before the update, as most trainers report
        v_ = model_.step(v_, lr_);
        ++age_;
        ops_.push_back({'s', lr_, v_});
        if (hook_) hook_(*this);
        return nan_above_ > 0.0 && lr_ > nan_above_ ? std::numeric_limits<double>::quiet_NaN() : loss;
    }
    double validation_loss() {
        ops_.push_back({'v', lr_, v_});
        return model_.loss(v_) * 1.01;
    }
    checkpoint_type checkpoint() {
        ops_.push_back({'c', lr_, v_});
        return {v_, lr_, age_};
    }
    void restore(const checkpoint_type& c) {
        ops_.push_back({'r', c.lr, c.v});
        v_ = c.v;
        lr_ = c.lr;
        age_ = c.age;
    }

    [[nodiscard]] const std::vector<op>& ops() const { return ops_; }
    [[nodiscard]] double v() const { return v_; }
    [[nodiscard]] double lr() const { return lr_; }
    [[nodiscard]] std::uint64_t age() const { return age_; }
    expected_quadratic& model() { return model_; }
    void nan_above(double lr) { nan_above_ = lr; }
    void (*hook_)(recording_trainer&) = nullptr;

private:
    expected_quadratic model_;
    double v_;
    double lr_ = 0.0;
    std::uint64_t age_ = 0;
    double nan_above_ = 0.0;
    std::vector<op> ops_;
};

/// SGD on a noisy 1-D quadratic; the checkpoint includes the RNG, so a replay of the
/// trajectory is bit-identical.
class noisy_quadratic {
public:
    struct checkpoint_type {
        double x;
        std::mt19937_64 rng;
    };

    explicit noisy_quadratic(std::uint64_t seed = 7, double h = 1.0, double noise = 0.1)
        : h_(h), noise_(noise), rng_(seed) {}

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        std::normal_distribution<double> n(0.0, noise_);
        const double loss = 0.5 * h_ * x_ * x_;
        x_ -= lr_ * (h_ * x_ + n(rng_));
        return loss;
    }
    double validation_loss() { return 0.5 * h_ * x_ * x_; }
    checkpoint_type checkpoint() { return {x_, rng_}; }
    void restore(const checkpoint_type& c) {
        x_ = c.x;
        rng_ = c.rng;
    }
    [[nodiscard]] double x() const { return x_; }

private:
    double h_;
    double noise_;
    double x_ = 3.0;
    double lr_ = 0.0;
    std::mt19937_64 rng_;
};

// The mechanism tests judge candidates by the forecast at the horizon (what they were written
// for); the default objective's own tests name annealed_loss_objective.
using test_controller = autolrs::basic_controller<grid_search, tail_mean_forecaster, autolrs::horizon_forecast_objective>;

inline test_controller make_test_controller(const autolrs::controller_settings& s, std::size_t grid = 16,
                                            double gain_scale = 1.0) {
    return test_controller(s, grid_search(std::log(s.lr_min), std::log(s.lr_max), grid, gain_scale));
}

/// One executed directive, with the events the controller reported just before it.
struct trace_entry {
    autolrs::directive directive;
    std::vector<autolrs::event> events;
    double loss = 0.0;  // for train: the loss reported
};

/// A host loop (autolrs::directive_executor) that records every directive, the events that
/// came with it and, for train, the loss reported.
template <class Controller, class Trainer>
std::vector<trace_entry> run_traced(Controller& ctl, Trainer& trainer, std::size_t max_calls = 10000000) {
    std::vector<trace_entry> trace;
    autolrs::directive_executor host(trainer, ctl);
    autolrs::directive d = ctl.pending();
    while (trace.size() < max_calls) {
        trace.push_back({d, {ctl.events().begin(), ctl.events().end()}});
        if (d.kind == autolrs::directive_kind::done) break;
        d = host.carry_out(ctl);
        if (trace.back().directive.kind == autolrs::directive_kind::train) trace.back().loss = host.last_step()->loss;
    }
    return trace;
}

/// Describes a directive and the call's events as one line (for comparing two runs).
inline std::string describe(const autolrs::directive& d, std::span<const autolrs::event> events) {
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, "%s %a %u |", std::string(autolrs::to_string(d.kind)).c_str(), d.learning_rate,
                  d.slot);
    std::string out = buffer;
    for (const autolrs::event& e : events) {
        std::snprintf(buffer, sizeof buffer, " %s@%llu/%u/%u lr=%a f=%a", std::string(autolrs::to_string(e.kind)).c_str(),
                      static_cast<unsigned long long>(e.step), e.stage, e.candidate, e.learning_rate, e.forecast);
        out += buffer;
    }
    return out;
}

}  // namespace autolrs_test
