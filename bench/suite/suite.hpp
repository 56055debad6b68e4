#pragma once
// The benchmark suite's vocabulary: a task (a trainer factory, its budget, seeds, baseline grid,
// AutoLRS interval, metric and half), a type-erased trainer the methods run on, a method
// (a fixed schedule at a peak LR, AutoLRS with settings and policies, the range-test recipe) and
// the record of one run. bench/suite/README.md says what the suite is for and how it is split.

#include "policies.hpp"

#include <autolrs/autolrs.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace autolrs::suite {

// ---- the trainer every method runs on ---------------------------------------------------------

struct suite_checkpoint {
    virtual ~suite_checkpoint() = default;
};

/// What a run is judged by when its budget is spent.
struct measurement {
    double metric = 0.0;     ///< the task's metric (test accuracy %, expected loss, replayed loss)
    double secondary = 0.0;  ///< a second number for the CSV (test loss; the last sampled loss)
};

/// A task's trainer behind one interface, so that every method is compiled once.
class suite_trainer {
public:
    virtual ~suite_trainer() = default;
    virtual void set_learning_rate(double lr) = 0;
    virtual double train_step() = 0;
    virtual double validation_loss() = 0;
    /// The validation split's error rate (1 - accuracy) where the task classifies; else its loss.
    virtual double validation_error() { return validation_loss(); }
    virtual std::unique_ptr<suite_checkpoint> checkpoint() = 0;
    virtual void checkpoint_into(suite_checkpoint& into) = 0;  ///< overwrite a checkpoint of this trainer
    virtual void restore(const suite_checkpoint& from) = 0;
    virtual measurement measure() = 0;
};

/// The value-semantic adapter that satisfies autolrs::reusing_trainer; it counts the steps.
class trainer_handle {
public:
    using checkpoint_type = std::shared_ptr<suite_checkpoint>;
    /// `error_as_validation`: validation_loss() reports the validation error rate instead (what
    /// a host does that judges candidates by accuracy: the controller sees only "a loss").
    explicit trainer_handle(std::unique_ptr<suite_trainer> t, bool error_as_validation = false)
        : t_(std::move(t)), error_as_validation_(error_as_validation) {}
    void set_learning_rate(double lr) { t_->set_learning_rate(lr); }
    double train_step() {
        ++steps_;
        return t_->train_step();
    }
    double validation_loss() { return error_as_validation_ ? t_->validation_error() : t_->validation_loss(); }
    checkpoint_type checkpoint() { return t_->checkpoint(); }
    void checkpoint(checkpoint_type& into) {
        if (into) t_->checkpoint_into(*into);
        else into = t_->checkpoint();
    }
    void restore(const checkpoint_type& from) { t_->restore(*from); }
    [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
    [[nodiscard]] suite_trainer& get() noexcept { return *t_; }

private:
    std::unique_ptr<suite_trainer> t_;
    bool error_as_validation_ = false;
    std::uint64_t steps_ = 0;
};

// ---- tasks ------------------------------------------------------------------------------------------

enum class half { dev, holdout };
[[nodiscard]] inline const char* to_string(half h) { return h == half::dev ? "dev" : "holdout"; }

struct task {
    std::string name{};         ///< e.g. "mlp_sgd_4000"
    std::string family{};       ///< "fmnist" (real networks), "nqm", "replay"
    half which = half::dev;
    std::string description{};  ///< one line for the README table
    std::string metric{};       ///< "test accuracy %", "expected loss", "replayed loss"
    bool higher_is_better = false;
    std::uint64_t budget = 0;                  ///< optimizer steps per run, search included
    std::vector<std::uint64_t> seeds{};
    std::vector<double> grid{};                ///< the fixed schedules' peak LRs
    double lr_min = 0.0, lr_max = 0.0;         ///< the one interval AutoLRS is given
    std::uint64_t range_test_steps = 200;      ///< the LR range test's sweep (counted in the budget)
    double seconds_per_step = 1e-5;            ///< measured cost (one core), for ordering and estimates
    std::function<std::unique_ptr<suite_trainer>(std::uint64_t seed)> make{};
};

// ---- methods -------------------------------------------------------------------------------------------

enum class method_kind {
    fixed,      ///< a fixed schedule (constant, cosine, wsd) at one peak LR of the grid
    autolrs,    ///< AutoLRS with settings changes and named policies (the defaults when none)
    rt_cosine,  ///< the LR range test, then a cosine at a third of the LR of its smoothed minimum
};

struct method {
    std::string name{};  ///< "constant", "cosine", "wsd", "autolrs", "autolrs_zero", "rt_cosine", a variant's name
    method_kind kind = method_kind::fixed;
    double peak_lr = 0.0;     ///< fixed schedules
    bool range_test = false;  ///< autolrs: the interval from an LR range test (zero-setting mode)
    double range_span_decades = 0.0;    ///< with range_test: the sweep's span_decades (0: the library's)
    double range_margin_decades = -1.0;  ///< with range_test: the sweep's margin_decades (< 0: the library's)
    bool validation_error = false;       ///< autolrs: the trainer's validation loss is its validation error rate
    std::function<void(controller_settings&)> adjust{};  ///< autolrs: settings changes (after total_steps is set)
    policy_choice policies{};                            ///< autolrs: named policies
    std::string spec{};  ///< the variant text (or the method's name): the CSV's key with name, task, LR, seed
};

/// The fixed families, the AutoLRS methods and the recipe, as run by default.
[[nodiscard]] const std::vector<std::string>& fixed_families();
[[nodiscard]] std::vector<method> standard_methods(const std::vector<std::string>& names);
/// "name:key=value,key=value,..." (see bench/suite/README.md, "Variants").
[[nodiscard]] method parse_variant(const std::string& text);
[[nodiscard]] std::string variant_keys_help();

// ---- one run -------------------------------------------------------------------------------------------

struct run_record {
    std::string half, task, family, method, spec;
    double peak_lr = 0.0;    ///< fixed schedules: the grid point (0 otherwise)
    double chosen_lr = 0.0;  ///< rt_cosine: the cosine's peak; AutoLRS: the LR its cooldown started from
    std::uint64_t seed = 0;
    double metric = 0.0;
    double secondary = 0.0;
    std::uint64_t budget = 0;
    std::uint64_t steps_total = 0;
    std::uint64_t steps_trained = 0;
    std::uint64_t steps_searched = 0;  ///< candidates thrown away, diverged stages, the range test
    std::uint32_t stages = 0;
    double lr_min = 0.0, lr_max = 0.0;  ///< AutoLRS's interval; rt_cosine: the range test's suggestion
    double seconds = 0.0;
    std::string decisions;  ///< AutoLRS: per stage the candidates (LR=forecast~stddev) and the LR trained
    [[nodiscard]] double overhead() const {
        return budget == 0 ? 0.0 : static_cast<double>(steps_searched) / static_cast<double>(budget);
    }
    [[nodiscard]] std::string key() const;  ///< task, spec, peak LR, seed: what --resume skips
};

/// Runs `m` on a fresh trainer of `t` for `seed`.
[[nodiscard]] run_record run_one(const task& t, const method& m, std::uint64_t seed);

// ---- the tasks (suite_tasks.cpp: the split is defined there, and only there) ----------------------------

struct task_options {
    bool quick = false;        ///< tiny budgets and one seed (the smoke test)
    std::string data_dir;      ///< bench/data (the recorded curves)
};
[[nodiscard]] std::vector<task> all_tasks(const task_options& o);

// The families' factories (simulated_tasks.cpp, fmnist_tasks.cpp).
struct nqm_problem {
    std::size_t dimensions = 1000;  ///< h_i = 1 / i
    double momentum = 0.9;
    std::uint64_t batch = 32;       ///< gradient noise variance h_i / batch
    double initial_x = 1.0;
};
[[nodiscard]] std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> nqm_factory(const nqm_problem& p);
[[nodiscard]] std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> replay_factory(const std::string& path);
/// Recorded LRs of a replay file (the baselines' grid and AutoLRS's interval).
[[nodiscard]] std::vector<double> replay_lrs(const std::string& path);
/// Checks the NQM's exact moment recursion against bench/harness's nqm_trainer::expected_x2 and
/// returns the largest relative difference seen.
[[nodiscard]] double nqm_self_check();

struct fmnist_problem {
    std::string model = "mlp";  ///< "mlp" (784-256-10) or "cnn" (conv 32, conv 64, linear 128, linear 10)
    std::string optimizer = "sgd";
    std::int64_t batch_size = 128;
};
[[nodiscard]] bool fmnist_available();  ///< built with LibTorch and the dataset found
[[nodiscard]] std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> fmnist_factory(const fmnist_problem& p,
                                                                                          bool quick);

}  // namespace autolrs::suite
