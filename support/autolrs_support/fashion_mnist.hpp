#pragma once
// Fashion-MNIST for the LibTorch demo and benchmarks: the Debian dataset files (gzip IDX,
// read by autolrs_support/fashion_mnist_idx.hpp) as tensors, a train/validation/test split,
// normalisation, a seeded shuffling batch source, evaluation (loss and accuracy), two small
// models (an MLP and a CNN), the optimizers, and a ready autolrs::libtorch::trainer over all
// of it.
//
// Header-only so that examples/ and bench/ share it (CMake target autolrs_fashion_mnist,
// defined in support/CMakeLists.txt).

#include <autolrs/integrations/libtorch.hpp>

#include "autolrs_support/fashion_mnist_idx.hpp"  // the IDX reader shared with the MPI and CUDA examples

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fashion_mnist {

/// $FASHION_MNIST_DIR when set, else where the Debian package `dataset-fashion-mnist` puts the files.
inline std::filesystem::path data_directory() {
    if (const char* from_environment = std::getenv("FASHION_MNIST_DIR"); from_environment && *from_environment)
        return from_environment;
    return default_directory;
}

/// Images as float32 [N, 1, 28, 28] (normalised), labels as int64 [N] in 0..9.
struct tensor_dataset {
    torch::Tensor images;
    torch::Tensor labels;
    [[nodiscard]] std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct splits {
    tensor_dataset train;       // what the optimizer sees
    tensor_dataset validation;  // held out from the training file: autolrs' validation loss
    tensor_dataset test;        // the official test file: final accuracy only
};

struct load_options {
    std::filesystem::path directory = data_directory();
    /// Taken from the END of the (already shuffled) training file, so the split is fixed.
    std::int64_t validation_size = 5000;
};

/// One split of the files (autolrs_support/fashion_mnist_idx.hpp) as tensors, pixels in [0, 1].
/// The images tensor takes over the vector's memory (no copy of the 180 MB training images).
inline tensor_dataset to_tensors(dataset&& data) {
    const auto n = static_cast<std::int64_t>(data.count);
    const auto rows = static_cast<std::int64_t>(data.rows);
    const auto cols = static_cast<std::int64_t>(data.cols);
    auto pixels = std::make_unique<std::vector<float>>(std::move(data.images));
    auto images = torch::from_blob(
        pixels->data(), {n, 1, rows, cols}, [owner = pixels.get()](void*) { delete owner; }, torch::kFloat32);
    pixels.release();  // the tensor's deleter owns it now
    auto labels = torch::from_blob(data.labels.data(), {n}, torch::kUInt8).to(torch::kInt64);  // a copy
    return {std::move(images), std::move(labels)};
}

/// Reads the files and normalises every split (in place) with the training split's mean and
/// deviation. train and validation are disjoint views of the training file's tensor.
inline splits load_splits(const load_options& options = {}) {
    tensor_dataset full = to_tensors(load(split::train, options.directory));
    tensor_dataset test = to_tensors(load(split::test, options.directory));
    const std::int64_t n_validation = options.validation_size;
    if (n_validation < 0 || n_validation >= full.size())
        throw std::invalid_argument("fashion_mnist::load_splits: validation_size must be in [0, " +
                                    std::to_string(full.size()) + ")");
    const std::int64_t n_train = full.size() - n_validation;
    const auto train_images = full.images.narrow(0, 0, n_train);
    const double mean = train_images.mean().item<double>();
    const double deviation = train_images.std().item<double>();
    full.images.sub_(mean).div_(deviation);
    test.images.sub_(mean).div_(deviation);
    return {{full.images.narrow(0, 0, n_train), full.labels.narrow(0, 0, n_train)},
            {full.images.narrow(0, n_train, n_validation), full.labels.narrow(0, n_train, n_validation)},
            std::move(test)};
}

/// Endless mini-batches in a seeded random order, reshuffled every epoch; the last partial
/// batch of an epoch is dropped so that every batch has the same size (and loss noise).
class batch_source {
public:
    batch_source(tensor_dataset data, std::int64_t batch_size, std::uint64_t seed)
        : data_(std::move(data)), batch_size_(batch_size), rng_(seed) {
        if (batch_size_ <= 0 || batch_size_ > data_.size())
            throw std::invalid_argument("fashion_mnist::batch_source: batch_size must be in [1, dataset size]");
        order_.resize(static_cast<std::size_t>(data_.size()));
        for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<std::int64_t>(i);
        shuffle();
    }

    autolrs::libtorch::batch operator()() {
        if (position_ + batch_size_ > data_.size()) {
            shuffle();
            position_ = 0;
            ++epoch_;
        }
        auto index = torch::from_blob(order_.data() + position_, {batch_size_}, torch::kInt64);
        position_ += batch_size_;
        return {data_.images.index_select(0, index), data_.labels.index_select(0, index)};
    }

    [[nodiscard]] std::int64_t batches_per_epoch() const { return data_.size() / batch_size_; }
    [[nodiscard]] std::int64_t epoch() const { return epoch_; }

private:
    // Fisher-Yates with mt19937_64 directly (std::shuffle's and the distributions' output
    // differs between standard libraries; this does not). The modulo bias is below 2^-40.
    void shuffle() {
        for (std::size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[rng_() % (i + 1)]);
    }

    tensor_dataset data_;
    std::int64_t batch_size_;
    std::mt19937_64 rng_;
    std::vector<std::int64_t> order_;
    std::int64_t position_ = 0;
    std::int64_t epoch_ = 0;
};

/// A dataset cut into consecutive batches (the last one may be smaller), e.g. for validation.
inline std::vector<autolrs::libtorch::batch> in_batches(const tensor_dataset& data, std::int64_t batch_size) {
    std::vector<autolrs::libtorch::batch> batches;
    for (std::int64_t start = 0; start < data.size(); start += batch_size) {
        const std::int64_t n = std::min(batch_size, data.size() - start);
        batches.push_back({data.images.narrow(0, start, n), data.labels.narrow(0, start, n)});
    }
    return batches;
}

inline torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
    return torch::nn::functional::cross_entropy(logits, labels);
}

struct evaluation {
    double loss;      // mean cross-entropy
    double accuracy;  // fraction classified correctly, in [0, 1]
};

/// Loss and accuracy on a whole dataset, in eval mode without autograd; the module's mode is kept.
inline evaluation evaluate(torch::nn::Sequential& model, const tensor_dataset& data, std::int64_t batch_size = 1000) {
    torch::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    double loss_sum = 0.0;
    std::int64_t correct = 0;
    for (const auto& b : in_batches(data, batch_size)) {
        const auto logits = model->forward(b.input);
        loss_sum += torch::nn::functional::cross_entropy(
                        logits, b.target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                        .item<double>();
        correct += logits.argmax(1).eq(b.target).sum().item<std::int64_t>();
    }
    model->train(was_training);
    const auto n = static_cast<double>(data.size());
    return {loss_sum / n, static_cast<double>(correct) / n};
}

/// 784-256-10 with ReLU: about 0.2M parameters, about 1 ms per step of 128 images on one core.
inline torch::nn::Sequential make_mlp() {
    return torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Linear(784, 256), torch::nn::ReLU(),
                                 torch::nn::Linear(256, 10));
}

/// Two 3x3 convolutions (8 and 16 channels) with batch norm and max pooling, then a linear
/// classifier: about 9k parameters, cheap enough for a 2-core CPU.
inline torch::nn::Sequential make_cnn() {
    namespace nn = torch::nn;
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 8, 3).padding(1)), nn::BatchNorm2d(8), nn::ReLU(),
                          nn::MaxPool2d(2),  // 8 x 14 x 14
                          nn::Conv2d(nn::Conv2dOptions(8, 16, 3).padding(1)), nn::BatchNorm2d(16), nn::ReLU(),
                          nn::MaxPool2d(2),  // 16 x 7 x 7
                          nn::Flatten(), nn::Linear(16 * 7 * 7, 10));
}

/// "mlp" or "cnn"; initialised from `seed` (through torch::manual_seed, LibTorch's global generator).
inline torch::nn::Sequential make_model(std::string_view name, std::uint64_t seed) {
    torch::manual_seed(seed);
    if (name == "mlp") return make_mlp();
    if (name == "cnn") return make_cnn();
    throw std::invalid_argument("unknown model '" + std::string(name) + "' (expected mlp or cnn)");
}

/// "sgd" (momentum 0.9), "adam" or "adamw" (weight decay 0.01), at `learning_rate`.
inline std::shared_ptr<torch::optim::Optimizer> make_optimizer(std::string_view name,
                                                               std::vector<torch::Tensor> parameters,
                                                               double learning_rate) {
    namespace optim = torch::optim;
    if (name == "sgd") return std::make_shared<optim::SGD>(parameters, optim::SGDOptions(learning_rate).momentum(0.9));
    if (name == "adam") return std::make_shared<optim::Adam>(parameters, optim::AdamOptions(learning_rate));
    if (name == "adamw")
        return std::make_shared<optim::AdamW>(parameters, optim::AdamWOptions(learning_rate).weight_decay(0.01));
    throw std::invalid_argument("unknown optimizer '" + std::string(name) + "' (expected sgd, adam or adamw)");
}

using trainer = autolrs::libtorch::trainer<torch::nn::Sequential>;

struct trainer_options {
    std::string model = "mlp";
    std::string optimizer = "sgd";
    std::int64_t batch_size = 128;
    std::uint64_t seed = 0;                     // model initialisation and batch order
    double initial_learning_rate = 0.01;        // until the first set_learning_rate
    std::int64_t validation_examples = 5000;    // the first n of the validation split (0: all)
    std::int64_t validation_batch_size = 1000;
};

/// A fresh model and optimizer over `data` as an autolrs trainer. With `shared_batches` the
/// trainer draws from that source (which the caller may snapshot and put back, e.g. to give
/// every candidate of a search the same batches); without, from its own.
inline trainer make_trainer(const splits& data, const trainer_options& options,
                            std::shared_ptr<batch_source> shared_batches = nullptr) {
    auto model = make_model(options.model, options.seed);
    auto optimizer = make_optimizer(options.optimizer, model->parameters(), options.initial_learning_rate);
    tensor_dataset validation = data.validation;
    if (options.validation_examples > 0 && options.validation_examples < validation.size())
        validation = {validation.images.narrow(0, 0, options.validation_examples),
                      validation.labels.narrow(0, 0, options.validation_examples)};
    // (the batch order's generator is not LibTorch's, so the same seed gives independent streams)
    trainer::batch_source batches;
    if (shared_batches)
        batches = [shared_batches] { return (*shared_batches)(); };
    else
        batches = batch_source(data.train, options.batch_size, options.seed);
    return trainer(std::move(model), std::move(optimizer), std::move(batches), cross_entropy,
                   in_batches(validation, options.validation_batch_size));
}

}  // namespace fashion_mnist
