#pragma once
// autolrs::harness: what a benchmark problem is (part of <autolrs/harness.hpp>, outside the
// core's single header).
//
// A problem is a seeded factory of trainers behind one virtual interface (problem_trainer),
// the LR interval the controller searches, the step budget (every optimizer step, the search's
// included) and the grid of peak LRs on which the fixed-schedule baselines are tuned. The
// harness instantiates each controller configuration once for problem_trainer, not once per
// problem kind.
//
// The built-in problems (harness/problems.hpp) know their noise-free loss and the expected loss
// of any constant LR from any state (the per-stage regret diagnostic needs it). Any
// autolrs::trainer becomes a problem through from_trainer(): its final loss is then its
// validation loss, and the regret diagnostic is left out.

#include <autolrs/autolrs.hpp>  // the core: include/ or the single header

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace autolrs::harness {

/// The type-erased trainer every problem hands out.
class problem_trainer {
public:
    virtual ~problem_trainer() = default;
    virtual void set_learning_rate(double lr) = 0;
    /// One optimizer step; its (noisy) training loss.
    virtual double train_step() = 0;
    /// Whether the last train_step() was applied (false: skipped, e.g. a mixed-precision
    /// overflow; it does not count against the budget). The built-in problems always apply.
    [[nodiscard]] virtual bool last_step_applied() const { return true; }
    virtual double validation_loss() = 0;
    /// The whole state as an opaque value; restore() puts it back exactly.
    [[nodiscard]] virtual std::shared_ptr<const void> checkpoint() = 0;
    virtual void restore(const std::shared_ptr<const void>& saved) = 0;
    /// The yardstick of "loss reached": noise-free where the problem knows it (the NQM's exact
    /// expected loss over the gradient noise), else the validation loss.
    [[nodiscard]] virtual double final_loss() { return validation_loss(); }
    /// The expected noise-free loss after `steps` more steps at constant `lr` from the current
    /// state, or NaN where the problem does not know it (then no regret is reported).
    [[nodiscard]] virtual double expected_loss_after(double /*lr*/, std::uint64_t /*steps*/) const {
        return std::numeric_limits<double>::quiet_NaN();
    }
    /// A copy of the current state for the regret diagnostic, or nullptr where there is none.
    [[nodiscard]] virtual std::unique_ptr<problem_trainer> clone() const { return nullptr; }
};

/// The value-semantic handle that satisfies autolrs::trainer (what the controllers drive).
class trainer_handle {
public:
    using checkpoint_type = std::shared_ptr<const void>;
    explicit trainer_handle(std::unique_ptr<problem_trainer> t) : t_(std::move(t)) {
        if (!t_) throw invalid_setting("problem.make", "returned no trainer (nullptr)");
    }
    void set_learning_rate(double lr) { t_->set_learning_rate(lr); }
    step_result train_step() {
        const double loss = t_->train_step();
        return {loss, t_->last_step_applied()};
    }
    double validation_loss() { return t_->validation_loss(); }
    checkpoint_type checkpoint() { return t_->checkpoint(); }
    void restore(const checkpoint_type& c) { t_->restore(c); }
    [[nodiscard]] problem_trainer& get() noexcept { return *t_; }
    [[nodiscard]] const problem_trainer& get() const noexcept { return *t_; }

private:
    std::unique_ptr<problem_trainer> t_;
};

/// One benchmark problem.
struct problem {
    std::string name{};
    std::string family = "user";  ///< "synthetic", "nqm", "replay", "user" (free text)
    double lr_min = 0.0;          ///< the interval the controller searches; > 0
    double lr_max = 0.0;          ///< > lr_min
    std::uint64_t budget = 0;     ///< every optimizer step, search included; >= 100
    /// A fresh trainer for `seed` (the same seed gives the same problem and the same noise).
    /// compare() calls it from its worker threads at the same time: it must be thread-safe.
    std::function<std::unique_ptr<problem_trainer>(std::uint64_t seed)> make{};
    /// The fixed schedules' peak LRs (constant, cosine, warmup-stable-decay are each tuned
    /// over it); empty: half-decades over [lr_min, lr_max].
    std::vector<double> grid{};

    /// Throws autolrs::invalid_setting naming the field that is wrong.
    void validate() const {
        const std::string at = "problem '" + name + "'.";
        if (name.empty()) throw invalid_setting("problem.name", "must not be empty");
        if (!(lr_min > 0.0) || !std::isfinite(lr_min)) throw invalid_setting(at + "lr_min", "must be finite and > 0");
        if (!(lr_max > lr_min) || !std::isfinite(lr_max))
            throw invalid_setting(at + "lr_max", "must be finite and > lr_min");
        if (budget < 100) throw invalid_setting(at + "budget", "must be at least 100 steps");
        if (!make) throw invalid_setting(at + "make", "must be set (a trainer factory: seed -> unique_ptr)");
        for (double lr : grid)
            if (!(lr > 0.0) || !std::isfinite(lr)) throw invalid_setting(at + "grid", "every LR must be finite and > 0");
    }

    /// The baselines' grid: `grid`, or half-decades from lr_min up to lr_max.
    [[nodiscard]] std::vector<double> baseline_grid() const {
        if (!grid.empty()) return grid;
        std::vector<double> g;
        for (double lr = lr_min; lr <= lr_max * (1.0 + 1e-9); lr *= std::sqrt(10.0)) g.push_back(lr);
        return g;
    }
};

namespace detail {

/// Any autolrs::trainer behind problem_trainer; its final loss is `measure(trainer)`, or its
/// validation loss when there is no measure.
template <class Trainer>
class adapted_trainer final : public problem_trainer {
public:
    using checkpoint_type = typename Trainer::checkpoint_type;
    using measure_type = std::function<double(Trainer&)>;
    adapted_trainer(Trainer t, measure_type measure) : t_(std::move(t)), measure_(std::move(measure)) {}
    void set_learning_rate(double lr) override { t_.set_learning_rate(lr); }
    double train_step() override {
        const auto r = t_.train_step();
        if constexpr (std::same_as<std::remove_cvref_t<decltype(r)>, step_result>) {
            applied_ = r.applied;
            return r.loss;
        } else {
            return static_cast<double>(r);
        }
    }
    [[nodiscard]] bool last_step_applied() const override { return applied_; }
    double validation_loss() override { return static_cast<double>(t_.validation_loss()); }
    double final_loss() override { return measure_ ? measure_(t_) : validation_loss(); }
    std::shared_ptr<const void> checkpoint() override {
        return std::make_shared<const checkpoint_type>(t_.checkpoint());
    }
    void restore(const std::shared_ptr<const void>& saved) override {
        t_.restore(*static_cast<const checkpoint_type*>(saved.get()));
    }
    [[nodiscard]] Trainer& get() noexcept { return t_; }

private:
    Trainer t_;
    measure_type measure_;
    bool applied_ = true;
};

}  // namespace detail

/// Settings of a problem made from a user's trainer (from_trainer).
struct trainer_problem_settings {
    std::string name{};
    double lr_min = 0.0;
    double lr_max = 0.0;
    std::uint64_t budget = 0;
    std::vector<double> grid{};  ///< the baselines' peak LRs; empty: half-decades over the interval
};

/// Turns a factory of any autolrs::trainer (`make(seed)` returns the trainer by value) into a
/// problem, so that a model of one's own is benchmarked like the built-in problems. Its final
/// loss is `measure(trainer)` when the budget is spent (lower is better: e.g. the loss on a
/// larger held-out set), or the trainer's validation_loss() without a measure. No regret is
/// reported (the expected loss of an LR is unknown).
template <class Factory, class Measure = std::nullptr_t>
[[nodiscard]] problem from_trainer(const trainer_problem_settings& s, Factory make, Measure measure = nullptr) {
    static_assert(std::invocable<const Factory&, std::uint64_t>,
                  "autolrs::harness::from_trainer: the factory must be callable as make(std::uint64_t seed) on a "
                  "const object (compare() calls it from several threads)");
    static_assert(std::copy_constructible<Factory>, "autolrs::harness::from_trainer: the factory must be copyable");
    using trainer_type = std::remove_cvref_t<std::invoke_result_t<const Factory&, std::uint64_t>>;
    static_assert(explain_trainer<trainer_type>(),
                  "autolrs::harness::from_trainer: make(seed) must return an autolrs::trainer by value");
    static_assert(std::move_constructible<trainer_type>,
                  "autolrs::harness::from_trainer: the trainer must be move-constructible (it is returned by value)");
    typename detail::adapted_trainer<trainer_type>::measure_type measure_fn;
    if constexpr (!std::is_same_v<Measure, std::nullptr_t>) {
        static_assert(std::is_invocable_r_v<double, const Measure&, trainer_type&>,
                      "autolrs::harness::from_trainer: the measure must be callable as measure(Trainer&) on a const "
                      "object and return the final loss as a double");
        measure_fn = [measure = std::move(measure)](trainer_type& t) { return static_cast<double>(measure(t)); };
    }
    problem p{.name = s.name,
              .family = "user",
              .lr_min = s.lr_min,
              .lr_max = s.lr_max,
              .budget = s.budget,
              .make = [make = std::move(make), measure_fn](std::uint64_t seed) -> std::unique_ptr<problem_trainer> {
                  return std::make_unique<detail::adapted_trainer<trainer_type>>(make(seed), measure_fn);
              },
              .grid = s.grid};
    p.validate();
    return p;
}

}  // namespace autolrs::harness
