#pragma once
// LibTorch integration: adapts a torch::nn module, a torch::optim optimizer and a
// batch source to the autolrs::trainer concept, so that autolrs::run can drive it.
//
// Not part of the core or of the single header: include it explicitly and link
// LibTorch (CMake: find_package(Torch), target `torch`).
//
//   auto model = torch::nn::Sequential(...);
//   auto optimizer = std::make_shared<torch::optim::SGD>(
//       model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
//   autolrs::libtorch::trainer trainer(model, optimizer,
//       [&] { return next_batch(); },                          // -> autolrs::libtorch::batch
//       [](const torch::Tensor& out, const torch::Tensor& y) { return torch::nn::functional::cross_entropy(out, y); });
//   autolrs::run(trainer, settings, total_steps);
//
// Validation data: the default loss signal (loss_signal::training) never evaluates, so the
// trainer above holds none. Only settings.signal = loss_signal::validation or reference_switch
// asks for validation_loss(); then pass held-out batches as one more argument,
// `std::vector<autolrs::libtorch::batch>`, or the signal and the batches, to be told at
// construction when the signal needs batches that are missing:
//   autolrs::libtorch::trainer trainer(model, optimizer, next, loss, settings.signal, validation_batches);
//
// Design decisions:
// - Learning rate: set_learning_rate(lr) gives parameter group i the LR lr * base_i / base_0,
//   where base_i is group i's LR when the trainer was constructed; groups keep their ratios.
// - Checkpoints are in memory (no disk) and deep: model parameters, model buffers (batch-norm
//   running statistics) and the optimizer's per-parameter state (SGD momentum; Adam/AdamW
//   exp_avg, exp_avg_sq, max_exp_avg_sq and step; RMSprop; Adagrad). Restoring copies the values
//   back into the live tensors, so the tensors' identities (which the optimizer keys its state
//   by) never change and the checkpoint stays valid for further restores.
// - A checkpoint holds no optimizer options: restore() never touches the learning rate (or any
//   other hyperparameter), so the step after a restore runs at the LR last set. (The reference
//   implementation reloaded the optimizer's saved LR there, so each candidate's first step ran
//   at the wrong LR.)
// - Data: restore() does NOT rewind the batch source. Each candidate of a search and the stage
//   after it draw fresh batches from the same stream, as an ordinary training loop would; no
//   batch is seen more often than the epoch order says, and the candidates' comparison is noisier
//   by only one batch order. A user who wants common batches for every candidate can make the
//   batch source rewind itself (e.g. from an observer), since the source is theirs.
// - A non-finite training loss is returned as is (autolrs treats it as divergence) and the step
//   is not applied: no backward pass, no optimizer step, so parameters and optimizer state stay
//   finite until the controller restores a checkpoint. (Buffers that the forward pass itself
//   updates, such as batch-norm running statistics, have moved as in any forward pass.)

#include "autolrs/controller_settings.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/trainer.hpp"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace autolrs::libtorch {

/// One mini-batch: the model's input and the loss function's target.
struct batch {
    torch::Tensor input;
    torch::Tensor target;
};

/// A module handle as LibTorch hands them out: a ModuleHolder (torch::nn::Sequential,
/// a TORCH_MODULE type) or a std::shared_ptr to a torch::nn::Module with a forward(Tensor).
template <class M>
concept module_handle = requires(M& m, const torch::Tensor& x) {
    { m->forward(x) } -> std::convertible_to<torch::Tensor>;
    { m->parameters() } -> std::convertible_to<std::vector<torch::Tensor>>;
    { m->buffers() } -> std::convertible_to<std::vector<torch::Tensor>>;
    { m->is_training() } -> std::convertible_to<bool>;
    m->train(true);
};

namespace detail {

// Copies `from` into `into` without ever sharing storage: in place when the shapes match
// (no allocation), else as a fresh clone.
inline void assign_tensor(torch::Tensor& into, const torch::Tensor& from) {
    if (!from.defined()) {
        into = torch::Tensor();
    } else if (into.defined() && into.sizes() == from.sizes() && into.dtype() == from.dtype() &&
               into.device() == from.device()) {
        into.copy_(from);
    } else {
        into = from.detach().clone();
    }
}

// Copies a saved value back into a live tensor (a parameter or buffer), keeping its identity.
inline void copy_into_live(torch::Tensor& live, const torch::Tensor& saved, const char* what) {
    if (!live.defined() || !saved.defined() || live.sizes() != saved.sizes())
        throw invalid_state(std::string("libtorch checkpoint does not fit this model: a ") + what +
                            " has another shape (was the model changed after the checkpoint?)");
    live.copy_(saved);
}

// The tensor fields of the optimizer states we know; every other field is a plain value.
template <class State>
auto tensor_fields(State& s) {
    using plain = std::remove_const_t<State>;
    if constexpr (std::is_same_v<plain, torch::optim::SGDParamState>) {
        return std::array{&s.momentum_buffer()};
    } else if constexpr (std::is_same_v<plain, torch::optim::AdamParamState> ||
                         std::is_same_v<plain, torch::optim::AdamWParamState>) {
        return std::array{&s.exp_avg(), &s.exp_avg_sq(), &s.max_exp_avg_sq()};
    } else if constexpr (std::is_same_v<plain, torch::optim::RMSpropParamState>) {
        return std::array{&s.square_avg(), &s.momentum_buffer(), &s.grad_avg()};
    } else {
        static_assert(std::is_same_v<plain, torch::optim::AdagradParamState>);
        return std::array{&s.sum()};
    }
}

// Deep-copies `from` into `into` if `from` is a State; reuses into's tensors when it already
// holds a State of the same shapes.
template <class State>
bool try_assign_state(std::unique_ptr<torch::optim::OptimizerParamState>& into,
                      const torch::optim::OptimizerParamState& from) {
    const auto* source = dynamic_cast<const State*>(&from);
    if (source == nullptr) return false;
    auto* target = dynamic_cast<State*>(into.get());
    const auto source_fields = tensor_fields(*source);
    if (target == nullptr) {
        // Copy the plain fields, then replace the (shared) tensor handles by clones.
        auto fresh = std::make_unique<State>(*source);
        for (torch::Tensor* field : tensor_fields(*fresh))
            if (field->defined()) *field = field->detach().clone();
        into = std::move(fresh);
        return true;
    }
    auto target_fields = tensor_fields(*target);
    std::array<torch::Tensor, source_fields.size()> kept;
    for (std::size_t i = 0; i < kept.size(); ++i) kept[i] = std::move(*target_fields[i]);
    *target = *source;  // plain fields (step, ...); tensor handles are put back below
    for (std::size_t i = 0; i < kept.size(); ++i) {
        *target_fields[i] = std::move(kept[i]);
        assign_tensor(*target_fields[i], *source_fields[i]);
    }
    return true;
}

inline void assign_state(std::unique_ptr<torch::optim::OptimizerParamState>& into,
                         const torch::optim::OptimizerParamState& from) {
    namespace optim = torch::optim;
    if (try_assign_state<optim::SGDParamState>(into, from) || try_assign_state<optim::AdamParamState>(into, from) ||
        try_assign_state<optim::AdamWParamState>(into, from) ||
        try_assign_state<optim::RMSpropParamState>(into, from) ||
        try_assign_state<optim::AdagradParamState>(into, from))
        return;
    // The optimizer handed to the trainer is the bad argument; it shows at the first checkpoint.
    throw invalid_input("libtorch::checkpoint", std::string("cannot checkpoint an optimizer state of type ") +
                        typeid(from).name() + "; supported optimizers: SGD, Adam, AdamW, RMSprop, Adagrad");
}

// The key torch::optim uses for a parameter's state.
inline std::string state_key(const torch::Tensor& parameter) {
    return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

}  // namespace detail

/// The whole training state, in memory: model parameters and buffers and the optimizer's
/// per-parameter state. A value: copies are deep; a checkpoint is never changed by restoring it.
class checkpoint {
public:
    checkpoint() = default;
    checkpoint(const checkpoint& other) { *this = other; }
    checkpoint(checkpoint&&) noexcept = default;
    checkpoint& operator=(checkpoint&&) noexcept = default;
    ~checkpoint() = default;

    checkpoint& operator=(const checkpoint& other) {
        if (this == &other) return *this;
        torch::NoGradGuard no_grad;
        assign_all(parameters_, other.parameters_);
        assign_all(buffers_, other.buffers_);
        optimizer_state_.resize(other.optimizer_state_.size());
        for (std::size_t i = 0; i < other.optimizer_state_.size(); ++i) {
            if (other.optimizer_state_[i])
                detail::assign_state(optimizer_state_[i], *other.optimizer_state_[i]);
            else
                optimizer_state_[i].reset();
        }
        return *this;
    }

    /// True for a default-constructed checkpoint (nothing saved yet).
    [[nodiscard]] bool empty() const noexcept { return parameters_.empty() && buffers_.empty(); }

    /// Saved parameters, in the order of the model's parameters() (read-only, for inspection).
    [[nodiscard]] const std::vector<torch::Tensor>& parameters() const noexcept { return parameters_; }
    /// Saved buffers, in the order of the model's buffers().
    [[nodiscard]] const std::vector<torch::Tensor>& buffers() const noexcept { return buffers_; }

private:
    template <module_handle>
    friend class trainer;

    static void assign_all(std::vector<torch::Tensor>& into, const std::vector<torch::Tensor>& from) {
        into.resize(from.size());
        for (std::size_t i = 0; i < from.size(); ++i) detail::assign_tensor(into[i], from[i]);
    }

    std::vector<torch::Tensor> parameters_;
    std::vector<torch::Tensor> buffers_;
    // One entry per optimizer parameter, in param-group order; null where the optimizer
    // holds no state for it yet (SGD momentum and Adam create theirs at the first step).
    std::vector<std::unique_ptr<torch::optim::OptimizerParamState>> optimizer_state_;
};

/// An autolrs::trainer (and reusing_trainer) over a LibTorch module and optimizer.
template <module_handle Model>
class trainer {
public:
    using checkpoint_type = libtorch::checkpoint;
    /// Returns the next training batch. Called once per train_step(); never rewound by restore().
    using batch_source = std::function<batch()>;
    /// The mean loss of a batch, as a scalar tensor: loss(model output, target).
    using loss_function = std::function<torch::Tensor(const torch::Tensor& output, const torch::Tensor& target)>;

    /// Without validation data: for the default loss signal (loss_signal::training), which never
    /// calls validation_loss(). The optimizer's current LRs become the base LRs whose ratios
    /// set_learning_rate keeps.
    trainer(Model model, std::shared_ptr<torch::optim::Optimizer> optimizer, batch_source training_batches,
            loss_function loss)
        : trainer(std::move(model), std::move(optimizer), std::move(training_batches), std::move(loss),
                  loss_signal::training, {}) {}

    /// With held-out data for validation_loss() (at least one batch), which the loss signals
    /// validation and reference_switch evaluate.
    trainer(Model model, std::shared_ptr<torch::optim::Optimizer> optimizer, batch_source training_batches,
            loss_function loss, std::vector<batch> validation_batches)
        : trainer(std::move(model), std::move(optimizer), std::move(training_batches), std::move(loss),
                  loss_signal::validation, std::move(validation_batches)) {}

    /// For the controller's settings.signal: throws invalid_setting("validation_batches") here,
    /// at construction, when `signal` evaluates held-out data and `validation_batches` is empty
    /// (with loss_signal::training they may be empty).
    trainer(Model model, std::shared_ptr<torch::optim::Optimizer> optimizer, batch_source training_batches,
            loss_function loss, loss_signal signal, std::vector<batch> validation_batches)
        : model_(std::move(model)),
          optimizer_(std::move(optimizer)),
          training_batches_(std::move(training_batches)),
          loss_(std::move(loss)),
          validation_batches_(std::move(validation_batches)) {
        autolrs::detail::require_setting(optimizer_ != nullptr, "optimizer", "must not be null");
        autolrs::detail::require_setting(static_cast<bool>(training_batches_), "training_batches",
                                         "must be a callable returning the next batch");
        autolrs::detail::require_setting(static_cast<bool>(loss_), "loss", "must be a callable");
        autolrs::detail::require_setting(
            signal == loss_signal::training || !validation_batches_.empty(), "validation_batches",
            "must hold at least one batch: the loss signals validation and reference_switch evaluate held-out data "
            "(the default, loss_signal::training, needs none: build the trainer without validation_batches)");
        auto& groups = optimizer_->param_groups();
        autolrs::detail::require_setting(!groups.empty(), "optimizer", "must have a parameter group");
        for (auto& group : groups) base_learning_rates_.push_back(group.options().get_lr());
        autolrs::detail::require_setting(std::isfinite(base_learning_rates_[0]) && base_learning_rates_[0] > 0.0,
                                         "optimizer", "the first parameter group's LR must be finite and > 0");
        learning_rate_ = base_learning_rates_[0];
    }

    /// Every later step runs at `lr` (group 0; group i at lr * base_i / base_0).
    void set_learning_rate(double lr) {
        autolrs::detail::require_setting(std::isfinite(lr) && lr > 0.0, "learning_rate", "must be finite and > 0");
        auto& groups = optimizer_->param_groups();
        for (std::size_t i = 0; i < groups.size(); ++i)
            groups[i].options().set_lr(lr * (base_learning_rates_[i] / base_learning_rates_[0]));
        learning_rate_ = lr;
    }

    /// The LR of group 0, as last set.
    [[nodiscard]] double learning_rate() const noexcept { return learning_rate_; }

    /// One optimizer step on the next batch; returns the batch's training loss. A non-finite
    /// loss is returned without updating anything (see the file comment).
    double train_step() {
        batch next = training_batches_();
        optimizer_->zero_grad();
        torch::Tensor loss = loss_(model_->forward(next.input), next.target);
        const double value = loss.template item<double>();
        ++steps_;
        if (!std::isfinite(value)) {
            ++non_finite_steps_;
            return value;
        }
        loss.backward();
        optimizer_->step();
        return value;
    }

    /// Whether the trainer holds validation batches (validation_loss() works).
    [[nodiscard]] bool has_validation_data() const noexcept { return !validation_batches_.empty(); }

    /// The mean loss over the validation batches (weighted by batch size), in eval mode and
    /// without autograd; the module's train/eval mode is put back afterwards. Throws
    /// invalid_input when the trainer was built without validation batches.
    double validation_loss() {
        autolrs::detail::require_input(
            !validation_batches_.empty(), "libtorch::trainer::validation_loss",
            "this trainer was built without validation batches, but the controller asked for a validation loss "
            "(settings.signal is loss_signal::validation or reference_switch): pass validation_batches to the "
            "trainer's constructor, or keep the default signal, loss_signal::training");
        torch::NoGradGuard no_grad;
        const bool was_training = model_->is_training();
        model_->train(false);
        double sum = 0.0;
        double count = 0.0;
        try {
            for (const batch& b : validation_batches_) {
                const auto n = static_cast<double>(b.target.size(0));
                sum += n * loss_(model_->forward(b.input), b.target).template item<double>();
                count += n;
            }
        } catch (...) {
            model_->train(was_training);
            throw;
        }
        model_->train(was_training);
        return sum / count;
    }

    [[nodiscard]] checkpoint_type checkpoint() {
        checkpoint_type saved;
        checkpoint(saved);
        return saved;
    }

    /// Overwrites `into`, reusing its tensors where the shapes match (no allocation).
    void checkpoint(checkpoint_type& into) {
        torch::NoGradGuard no_grad;
        checkpoint_type::assign_all(into.parameters_, model_->parameters());
        checkpoint_type::assign_all(into.buffers_, model_->buffers());
        auto& state = optimizer_->state();
        std::size_t index = 0;
        for (auto& group : optimizer_->param_groups()) {
            for (const torch::Tensor& parameter : group.params()) {
                if (into.optimizer_state_.size() <= index) into.optimizer_state_.resize(index + 1);
                auto found = state.find(detail::state_key(parameter));
                if (found != state.end() && found->second)
                    detail::assign_state(into.optimizer_state_[index], *found->second);
                else
                    into.optimizer_state_[index].reset();
                ++index;
            }
        }
        into.optimizer_state_.resize(index);
    }

    /// Puts the saved state back exactly; the learning rate stays as last set.
    void restore(const checkpoint_type& saved) {
        torch::NoGradGuard no_grad;
        auto parameters = model_->parameters();
        auto buffers = model_->buffers();
        if (parameters.size() != saved.parameters_.size() || buffers.size() != saved.buffers_.size())
            throw invalid_state("libtorch checkpoint does not fit this model (another number of parameters or buffers)");
        for (std::size_t i = 0; i < parameters.size(); ++i)
            detail::copy_into_live(parameters[i], saved.parameters_[i], "parameter");
        for (std::size_t i = 0; i < buffers.size(); ++i)
            detail::copy_into_live(buffers[i], saved.buffers_[i], "buffer");
        auto& state = optimizer_->state();
        std::size_t index = 0;
        for (auto& group : optimizer_->param_groups()) {
            for (const torch::Tensor& parameter : group.params()) {
                if (index >= saved.optimizer_state_.size())
                    throw invalid_state("libtorch checkpoint does not fit this optimizer (fewer parameters)");
                const auto& saved_state = saved.optimizer_state_[index];
                if (saved_state)
                    detail::assign_state(state[detail::state_key(parameter)], *saved_state);
                else
                    state.erase(detail::state_key(parameter));
                ++index;
            }
        }
        if (index != saved.optimizer_state_.size())
            throw invalid_state("libtorch checkpoint does not fit this optimizer (more parameters)");
    }

    /// train_step() calls so far (search and training alike).
    [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
    /// Of those, the steps whose loss was not finite (and that were therefore not applied).
    [[nodiscard]] std::uint64_t non_finite_steps() const noexcept { return non_finite_steps_; }

    [[nodiscard]] Model& model() noexcept { return model_; }
    [[nodiscard]] torch::optim::Optimizer& optimizer() noexcept { return *optimizer_; }

private:
    Model model_;
    std::shared_ptr<torch::optim::Optimizer> optimizer_;
    batch_source training_batches_;
    loss_function loss_;
    std::vector<batch> validation_batches_;
    std::vector<double> base_learning_rates_;
    double learning_rate_ = 0.0;
    std::uint64_t steps_ = 0;
    std::uint64_t non_finite_steps_ = 0;
};

template <class Model>
trainer(Model, std::shared_ptr<torch::optim::Optimizer>, typename trainer<Model>::batch_source,
        typename trainer<Model>::loss_function) -> trainer<Model>;
template <class Model>
trainer(Model, std::shared_ptr<torch::optim::Optimizer>, typename trainer<Model>::batch_source,
        typename trainer<Model>::loss_function, std::vector<batch>) -> trainer<Model>;
template <class Model>
trainer(Model, std::shared_ptr<torch::optim::Optimizer>, typename trainer<Model>::batch_source,
        typename trainer<Model>::loss_function, loss_signal, std::vector<batch>) -> trainer<Model>;

}  // namespace autolrs::libtorch
