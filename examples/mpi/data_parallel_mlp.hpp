#pragma once
// A one-hidden-layer MLP on Fashion-MNIST, trained data-parallel over MPI ranks:
// every rank holds a full replica, computes the gradient on its shard of each
// global batch, and the gradients are summed with MPI_Allreduce. Plain Eigen, so
// the example needs no deep-learning framework.

#include "autolrs_support/fashion_mnist_idx.hpp"

#include <Eigen/Core>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace data_parallel {

struct mlp_settings {
    int hidden = 128;
    int global_batch = 96;          // divisible by 1, 2, 3, 4 and 6 ranks
    int validation_examples = 2400;  // held out from the end of the training split
    float momentum = 0.9f;
    std::uint64_t seed = 1;
};

/// Satisfies autolrs::trainer. The loss it returns is this rank's shard loss; wrap it in
/// autolrs::mpi::averaging_trainer so the controller sees the global mean.
class mlp_trainer {
public:
    struct checkpoint_type {
        Eigen::VectorXf parameters;
        Eigen::VectorXf velocity;
    };

    mlp_trainer(const fashion_mnist::dataset& train, const mlp_settings& settings, MPI_Comm comm)
        : data_(&train), settings_(settings), comm_(comm), rng_(settings.seed) {
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &ranks_);
        if (settings_.global_batch % ranks_ != 0)
            throw std::invalid_argument("global_batch must be divisible by the number of ranks");
        inputs_ = static_cast<int>(train.pixels());
        const int n_params = inputs_ * settings_.hidden + settings_.hidden + settings_.hidden * 10 + 10;
        parameters_ = Eigen::VectorXf::Zero(n_params);
        velocity_ = Eigen::VectorXf::Zero(n_params);
        gradient_ = Eigen::VectorXf::Zero(n_params);
        // Same seed on every rank: identical replicas without a broadcast.
        std::normal_distribution<float> normal(0.0f, 1.0f);
        const float scale1 = std::sqrt(2.0f / static_cast<float>(inputs_));
        const float scale2 = std::sqrt(2.0f / static_cast<float>(settings_.hidden));
        for (int i = 0; i < inputs_ * settings_.hidden; ++i) parameters_[i] = scale1 * normal(rng_);
        const int w2 = inputs_ * settings_.hidden + settings_.hidden;
        for (int i = 0; i < settings_.hidden * 10; ++i) parameters_[w2 + i] = scale2 * normal(rng_);
        train_count_ = train.count - static_cast<std::size_t>(settings_.validation_examples);
    }

    void set_learning_rate(double lr) { lr_ = static_cast<float>(lr); }

    double train_step() {
        const int local = settings_.global_batch / ranks_;
        std::uniform_int_distribution<std::size_t> pick(0, train_count_ - 1);
        batch_.resize(static_cast<std::size_t>(settings_.global_batch));
        for (auto& index : batch_) index = pick(rng_);  // the same global batch on every rank
        const auto first = batch_.begin() + rank_ * local;
        const double loss = forward_backward(std::vector<std::size_t>(first, first + local), true);
        MPI_Allreduce(MPI_IN_PLACE, gradient_.data(), static_cast<int>(gradient_.size()), MPI_FLOAT, MPI_SUM, comm_);
        gradient_ /= static_cast<float>(ranks_);
        velocity_ = settings_.momentum * velocity_ + gradient_;
        parameters_ -= lr_ * velocity_;
        return loss;
    }

    double validation_loss() {
        std::vector<std::size_t> shard;
        for (std::size_t i = train_count_ + static_cast<std::size_t>(rank_); i < data_->count;
             i += static_cast<std::size_t>(ranks_))
            shard.push_back(i);
        return forward_backward(shard, false);
    }

    checkpoint_type checkpoint() { return {parameters_, velocity_}; }
    void checkpoint(checkpoint_type& into) {
        into.parameters = parameters_;
        into.velocity = velocity_;
    }
    void restore(const checkpoint_type& saved) {
        parameters_ = saved.parameters;
        velocity_ = saved.velocity;
    }

    /// Fraction of `test` classified correctly (each rank evaluates it all).
    [[nodiscard]] double accuracy(const fashion_mnist::dataset& test) const {
        std::size_t correct = 0;
        Eigen::VectorXf hidden(settings_.hidden), logits(10);
        for (std::size_t i = 0; i < test.count; ++i) {
            logits_of(test.image(i), hidden, logits);
            Eigen::Index best = 0;
            logits.maxCoeff(&best);
            correct += static_cast<std::size_t>(best) == test.labels[i];
        }
        return static_cast<double>(correct) / static_cast<double>(test.count);
    }

    [[nodiscard]] const Eigen::VectorXf& parameters() const noexcept { return parameters_; }

private:
    using matrix_map = Eigen::Map<const Eigen::MatrixXf>;

    void logits_of(const float* image, Eigen::VectorXf& hidden, Eigen::VectorXf& logits) const {
        const int h = settings_.hidden;
        const matrix_map w1(parameters_.data(), h, inputs_);
        const auto b1 = parameters_.segment(inputs_ * h, h);
        const matrix_map w2(parameters_.data() + inputs_ * h + h, 10, h);
        const auto b2 = parameters_.segment(inputs_ * h + h + 10 * h, 10);
        const Eigen::Map<const Eigen::VectorXf> x(image, inputs_);
        hidden = (w1 * x + b1).cwiseMax(0.0f);
        logits = w2 * hidden + b2;
    }

    // Mean cross-entropy over `examples`; with `accumulate`, also its gradient in gradient_.
    double forward_backward(const std::vector<std::size_t>& examples, bool accumulate) {
        const int h = settings_.hidden;
        if (accumulate) gradient_.setZero();
        Eigen::Map<Eigen::MatrixXf> g_w1(gradient_.data(), h, inputs_);
        auto g_b1 = gradient_.segment(inputs_ * h, h);
        Eigen::Map<Eigen::MatrixXf> g_w2(gradient_.data() + inputs_ * h + h, 10, h);
        auto g_b2 = gradient_.segment(inputs_ * h + h + 10 * h, 10);
        const matrix_map w2(parameters_.data() + inputs_ * h + h, 10, h);

        Eigen::VectorXf hidden(h), logits(10), d_logits(10), d_hidden(h);
        double total = 0.0;
        const float inv_n = 1.0f / static_cast<float>(examples.size());
        for (const auto i : examples) {
            logits_of(data_->image(i), hidden, logits);
            const float top = logits.maxCoeff();
            d_logits = (logits.array() - top).exp().matrix();
            const float norm = d_logits.sum();
            total += std::log(norm) - (logits[data_->labels[i]] - top);
            if (!accumulate) continue;
            d_logits /= norm;
            d_logits[data_->labels[i]] -= 1.0f;
            d_logits *= inv_n;
            g_w2.noalias() += d_logits * hidden.transpose();
            g_b2 += d_logits;
            d_hidden = (w2.transpose() * d_logits).cwiseProduct((hidden.array() > 0.0f).cast<float>().matrix());
            const Eigen::Map<const Eigen::VectorXf> x(data_->image(i), inputs_);
            g_w1.noalias() += d_hidden * x.transpose();
            g_b1 += d_hidden;
        }
        return total / static_cast<double>(examples.size());
    }

    const fashion_mnist::dataset* data_;
    mlp_settings settings_;
    MPI_Comm comm_;
    int rank_ = 0;
    int ranks_ = 1;
    int inputs_ = 0;
    std::size_t train_count_ = 0;
    float lr_ = 0.01f;
    std::mt19937_64 rng_;
    std::vector<std::size_t> batch_;
    Eigen::VectorXf parameters_, velocity_, gradient_;
};

}  // namespace data_parallel
