#pragma once
// A multilayer perceptron (or, with no hidden layer, softmax regression) trained on the GPU
// with SGD + momentum, shaped as an autolrs::trainer:
//
//   - parameters and momentum live in ONE contiguous device arena, so a checkpoint is one
//     device-to-device copy of it and a restore is one copy back (no host round trip);
//   - forward and backward passes are cuBLAS SGEMMs plus small kernels; the momentum update
//     is one kernel over the whole parameter arena;
//   - the batch loss is reduced on the device (fixed order, so runs are bit-reproducible) and
//     is the only thing copied back per step;
//   - the data position (the step counter that seeds batch sampling) is part of the
//     checkpoint: after a restore the same batches come again, so every candidate LR of an
//     AutoLRS stage is judged on the same data, and training from a checkpoint twice gives
//     bit-identical losses.
//
// Host-only header (no CUDA types): main.cpp, compiled as C++20 by the host compiler, checks
// it against autolrs::trainer. Kept to C++17 because nvcc compiles it too.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "device.hpp"

namespace cuda_example {

/// Labelled samples in host memory: `count` rows of `features` floats (row-major), one label
/// in [0, classes) per row. A view: the trainer copies what it needs to the device.
struct host_samples {
    const float* images = nullptr;
    const std::uint8_t* labels = nullptr;
    std::size_t count = 0;
    std::size_t features = 0;
};

struct mlp_settings {
    std::vector<int> hidden_layers = {256};  ///< widths of the ReLU layers; empty: softmax regression
    int classes = 10;
    int batch_size = 128;
    double momentum = 0.9;              ///< in [0, 1)
    double weight_decay = 0.0;          ///< L2 coefficient added to the gradient, >= 0
    double initial_learning_rate = 0.1; ///< until the first set_learning_rate
    int evaluation_chunk = 1000;        ///< samples per forward pass in validation_loss()/evaluate()
    std::uint64_t seed = 0;             ///< initial weights and batch sampling
    int device = 0;                     ///< CUDA device index
};

/// The whole training state on the device (parameters, momentum) plus the data position.
/// Owns its device buffer; movable, not copyable (take another checkpoint instead).
class mlp_checkpoint {
public:
    mlp_checkpoint() = default;

    [[nodiscard]] bool empty() const noexcept { return state_.empty(); }
    [[nodiscard]] std::size_t bytes() const noexcept { return state_.bytes(); }
    [[nodiscard]] std::uint64_t steps_taken() const noexcept { return steps_taken_; }

private:
    friend class mlp_trainer;
    device_buffer state_;
    std::uint64_t steps_taken_ = 0;
};

struct evaluation {
    double loss = 0.0;      ///< mean cross-entropy
    double accuracy = 0.0;  ///< fraction of correct argmax predictions
};

class mlp_trainer {
public:
    using checkpoint_type = mlp_checkpoint;

    /// Selects the device, copies both sets to it and initialises the weights (seeded).
    /// Throws no_gpu_error without a usable GPU, std::invalid_argument for bad settings or
    /// data, cuda_error when a CUDA or cuBLAS call fails.
    mlp_trainer(const host_samples& train, const host_samples& validation, const mlp_settings& settings);
    ~mlp_trainer();
    mlp_trainer(mlp_trainer&&) noexcept;
    mlp_trainer& operator=(mlp_trainer&&) noexcept;
    mlp_trainer(const mlp_trainer&) = delete;
    mlp_trainer& operator=(const mlp_trainer&) = delete;

    // --- autolrs::trainer ---------------------------------------------------------------
    void set_learning_rate(double learning_rate);
    /// One SGD step on the next batch; returns its mean loss (NaN or inf when training has
    /// diverged: autolrs treats that as a diverged step, the trainer does not hide it).
    double train_step();
    /// Mean loss over the validation set; does not touch the training state.
    double validation_loss();
    checkpoint_type checkpoint();
    /// Overwrites `into` in place (reallocating only if it is empty or of another size).
    void checkpoint(checkpoint_type& into);
    /// Throws std::invalid_argument if `saved` is empty or from a model of another size.
    void restore(const checkpoint_type& saved);

    // --- extras -------------------------------------------------------------------------
    /// Loss and accuracy on the validation set.
    evaluation evaluate_validation();
    /// Loss and accuracy on other samples (copied to the device for the call).
    evaluation evaluate(const host_samples& samples);
    /// Waits until every queued operation of this trainer is done (for timing).
    void synchronize();

    [[nodiscard]] double learning_rate() const noexcept;
    [[nodiscard]] std::uint64_t steps_taken() const noexcept;
    [[nodiscard]] std::size_t parameter_count() const noexcept;  ///< weights and biases
    [[nodiscard]] std::size_t parameter_bytes() const noexcept;
    [[nodiscard]] std::size_t checkpoint_bytes() const noexcept;  ///< parameters + momentum
    [[nodiscard]] const gpu_info& gpu() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace cuda_example
