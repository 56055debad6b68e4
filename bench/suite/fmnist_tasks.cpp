// The Fashion-MNIST family (LibTorch, CPU): the MLP of bench_schedule_table and the demo
// (784-256-10), and a CNN (conv 32, conv 64, linear 128, linear 10). Built only with LibTorch
// (AUTOLRS_SUITE_WITH_TORCH); without it these tasks are listed but not run.

#include "suite.hpp"

#include <stdexcept>

#ifdef AUTOLRS_SUITE_WITH_TORCH

#include "autolrs_support/fashion_mnist.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

namespace autolrs::suite {

namespace {

/// conv 3x3 stride 2, 32 channels + ReLU + max pool 2 (32 x 7 x 7), conv 3x3, 64 channels + ReLU +
/// max pool 2 (64 x 3 x 3), linear 576 -> 128 + ReLU, linear 128 -> 10: about 94k parameters. The
/// strided first convolution and the pools keep a step near 40 ms on one core of the 2-core
/// development machine (the same layers at full resolution, 28x28 then 14x14: about 160 ms).
torch::nn::Sequential make_cnn32() {
    namespace nn = torch::nn;
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).stride(2).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                          nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                          nn::Flatten(), nn::Linear(64 * 3 * 3, 128), nn::ReLU(), nn::Linear(128, 10));
}

std::mutex data_mutex;   // the dataset is loaded once, on first use
std::mutex torch_mutex;  // models are initialised through LibTorch's global generator

const fashion_mnist::splits& dataset() {
    static std::optional<fashion_mnist::splits> data;
    std::lock_guard lock(data_mutex);
    if (!data) data.emplace(fashion_mnist::load_splits());
    return *data;
}

class fmnist final : public suite_trainer {
public:
    fmnist(const fmnist_problem& p, std::uint64_t seed, bool quick) : quick_(quick) {
        const auto& data = dataset();
        std::lock_guard lock(torch_mutex);
        if (p.model == "cnn") {
            torch::manual_seed(seed);
            auto model = make_cnn32();
            auto optimizer = fashion_mnist::make_optimizer(p.optimizer, model->parameters(), 1e-3);
            fashion_mnist::tensor_dataset validation{data.validation.images.narrow(0, 0, 5000),
                                                     data.validation.labels.narrow(0, 0, 5000)};
            t_.emplace(std::move(model), std::move(optimizer),
                       fashion_mnist::batch_source(data.train, p.batch_size, seed), fashion_mnist::cross_entropy,
                       fashion_mnist::in_batches(validation, 1000));
        } else {
            t_.emplace(fashion_mnist::make_trainer(
                data, {.model = p.model, .optimizer = p.optimizer, .batch_size = p.batch_size, .seed = seed}));
        }
    }
    void set_learning_rate(double lr) override { t_->set_learning_rate(lr); }
    double train_step() override { return t_->train_step(); }
    double validation_loss() override { return t_->validation_loss(); }
    /// On the same 5000 validation images as validation_loss().
    double validation_error() override {
        const auto& v = dataset().validation;
        const std::int64_t n = std::min<std::int64_t>(5000, v.size());
        return 1.0 - fashion_mnist::evaluate(t_->model(), {v.images.narrow(0, 0, n), v.labels.narrow(0, 0, n)}).accuracy;
    }
    std::unique_ptr<suite_checkpoint> checkpoint() override {
        auto c = std::make_unique<state>();
        t_->checkpoint(c->saved);
        return c;
    }
    void checkpoint_into(suite_checkpoint& into) override { t_->checkpoint(dynamic_cast<state&>(into).saved); }
    void restore(const suite_checkpoint& from) override { t_->restore(dynamic_cast<const state&>(from).saved); }
    /// Accuracy (%) and mean cross-entropy on the whole test set (the first 2000 images in quick mode).
    measurement measure() override {
        const auto& test = dataset().test;
        const std::int64_t n = quick_ ? std::min<std::int64_t>(2000, test.size()) : test.size();
        const fashion_mnist::tensor_dataset subset{test.images.narrow(0, 0, n), test.labels.narrow(0, 0, n)};
        const auto e = fashion_mnist::evaluate(t_->model(), subset);
        return {100.0 * e.accuracy, e.loss};
    }

private:
    struct state final : suite_checkpoint {
        fashion_mnist::trainer::checkpoint_type saved;
    };
    bool quick_;
    std::optional<fashion_mnist::trainer> t_;
};

}  // namespace

bool fmnist_available() {
    const auto dir = fashion_mnist::data_directory();
    return std::filesystem::exists(dir / "train-images-idx3-ubyte.gz") &&
           std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz");
}

std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> fmnist_factory(const fmnist_problem& p, bool quick) {
    return [p, quick](std::uint64_t seed) -> std::unique_ptr<suite_trainer> {
        return std::make_unique<fmnist>(p, seed, quick);
    };
}

}  // namespace autolrs::suite

#else  // no LibTorch

namespace autolrs::suite {

bool fmnist_available() { return false; }

std::function<std::unique_ptr<suite_trainer>(std::uint64_t)> fmnist_factory(const fmnist_problem&, bool) {
    return [](std::uint64_t) -> std::unique_ptr<suite_trainer> {
        throw std::runtime_error("bench_suite was built without LibTorch: the Fashion-MNIST tasks cannot run");
    };
}

}  // namespace autolrs::suite

#endif
