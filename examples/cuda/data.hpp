#pragma once
// The example's data: Fashion-MNIST split into train / validation / test, or, where the
// files are missing (a bare GPU host), a synthetic stand-in of the same shape.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "autolrs_support/fashion_mnist_idx.hpp"
#include "mlp_trainer.hpp"

namespace cuda_example {

struct example_data {
    fashion_mnist::dataset train_and_validation;  // the last `validation_count` rows are validation
    fashion_mnist::dataset test;
    std::size_t validation_count = 0;
    std::string description;

    [[nodiscard]] host_samples train() const {
        const auto& d = train_and_validation;
        return {d.images.data(), d.labels.data(), d.count - validation_count, d.pixels()};
    }
    [[nodiscard]] host_samples validation() const {
        const auto& d = train_and_validation;
        const std::size_t first = d.count - validation_count;
        return {d.image(first), d.labels.data() + first, validation_count, d.pixels()};
    }
    [[nodiscard]] host_samples test_samples() const {
        return {test.images.data(), test.labels.data(), test.count, test.pixels()};
    }
};

/// Ten random 28x28 prototypes; each sample is 30% its class's prototype and 70% uniform
/// noise. Learnable, seeded, and the same size as Fashion-MNIST.
inline fashion_mnist::dataset synthetic_images(std::size_t count, std::uint64_t seed) {
    constexpr std::size_t side = 28;
    constexpr std::size_t pixels = side * side;
    constexpr int classes = 10;
    std::mt19937_64 rng(seed);
    auto unit = [&rng] { return static_cast<float>(rng() >> 40) * (1.0f / 16777216.0f); };
    std::vector<float> prototypes(classes * pixels);
    for (auto& p : prototypes) p = unit();

    fashion_mnist::dataset d;
    d.count = count;
    d.rows = side;
    d.cols = side;
    d.images.resize(count * pixels);
    d.labels.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto label = static_cast<std::uint8_t>(rng() % classes);
        d.labels[i] = label;
        const float* prototype = prototypes.data() + label * pixels;
        float* image = d.images.data() + i * pixels;
        for (std::size_t j = 0; j < pixels; ++j) image[j] = 0.3f * prototype[j] + 0.7f * unit();
    }
    return d;
}

/// Fashion-MNIST from `directory` (60000 train rows, of which the last `validation_count`
/// are held out; 10000 test rows). Throws std::runtime_error when the files are missing.
inline example_data load_fashion_mnist(const std::filesystem::path& directory, std::size_t validation_count) {
    example_data data;
    data.train_and_validation = fashion_mnist::load(fashion_mnist::split::train, directory);
    data.test = fashion_mnist::load(fashion_mnist::split::test, directory);
    data.validation_count = std::min(validation_count, data.train_and_validation.count / 2);
    data.description = "Fashion-MNIST from " + directory.string();
    return data;
}

inline example_data make_synthetic(std::size_t validation_count, std::uint64_t seed) {
    example_data data;
    data.train_and_validation = synthetic_images(60000, seed);
    data.test = synthetic_images(10000, seed + 1);
    data.validation_count = validation_count;
    data.description = "synthetic 28x28 images (10 noisy prototypes, seed " + std::to_string(seed) + ")";
    return data;
}

}  // namespace cuda_example
