// The MLP trainer's device side: kernels, cuBLAS calls, and the state arena.
//
// Layout. Matrices are column-major (cuBLAS's order) with one sample per column, so a
// row-major host image array of `count x features` is already the `features x count`
// input matrix. The state arena holds [parameters | momentum], each `padded_count` floats;
// inside the parameter block every layer has its weight matrix (out x in) and bias (out),
// each starting on a 256-byte boundary. Gradients use the same offsets in their own arena,
// so the optimizer is one kernel over one flat array and a checkpoint is one copy.

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "autolrs/errors.hpp"
#include "cuda_check.cuh"
#include "mlp_trainer.hpp"

namespace cuda_example {
namespace {

constexpr int threads_per_block = 256;
constexpr std::size_t alignment_floats = 64;  // 256 bytes

unsigned blocks_for(std::size_t n) {
    const std::size_t blocks = (n + threads_per_block - 1) / threads_per_block;
    // Grid-stride loops cover anything beyond this; the cap keeps the launch valid.
    return static_cast<unsigned>(blocks < 65535 * 16 ? (blocks == 0 ? 1 : blocks) : 65535 * 16);
}

std::size_t align_up(std::size_t n) { return (n + alignment_floats - 1) / alignment_floats * alignment_floats; }

// --- counter-based randomness: the same (seed, counter) gives the same value on any GPU ---

__host__ __device__ inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

__global__ void init_uniform(float* values, std::size_t n, float bound, std::uint64_t key) {
    for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n; i += std::size_t{gridDim.x} * blockDim.x) {
        const float unit = static_cast<float>(splitmix64(key + i) >> 40) * (1.0f / 16777216.0f);  // [0, 1)
        values[i] = (2.0f * unit - 1.0f) * bound;
    }
}

// Sampling with replacement, keyed by (seed, global sample number): no host traffic per
// step, and the batch of step s is the same whenever step s is taken again.
__global__ void gather_batch(const float* images, const std::uint8_t* labels, std::size_t count, int features,
                             int batch, std::uint64_t key, std::uint64_t first_sample, float* batch_images,
                             std::uint8_t* batch_labels) {
    const std::size_t n = std::size_t{static_cast<unsigned>(batch)} * static_cast<unsigned>(features);
    for (std::size_t t = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; t < n; t += std::size_t{gridDim.x} * blockDim.x) {
        const std::size_t column = t / static_cast<unsigned>(features);
        const std::size_t row = t % static_cast<unsigned>(features);
        const std::size_t sample = splitmix64(key + first_sample + column) % count;
        batch_images[t] = images[sample * static_cast<unsigned>(features) + row];
        if (row == 0) batch_labels[column] = labels[sample];
    }
}

// z += bias (per row), then ReLU if asked. `v < 0 ? 0 : v` keeps NaN visible (fmaxf would hide it).
__global__ void add_bias_activate(float* z, const float* bias, int rows, std::size_t n, bool relu) {
    for (std::size_t t = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; t < n; t += std::size_t{gridDim.x} * blockDim.x) {
        const float v = z[t] + bias[t % static_cast<unsigned>(rows)];
        z[t] = relu && v < 0.0f ? 0.0f : v;
    }
}

// One thread per sample: loss = logsumexp(z) - z[label]; gradient (softmax - onehot) * scale.
// A non-finite logit makes the loss NaN, so divergence reaches autolrs as a non-finite loss.
__global__ void softmax_cross_entropy(const float* logits, const std::uint8_t* labels, int classes, int samples,
                                      float* losses, float* gradient, float gradient_scale, float* correct) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < samples; i += gridDim.x * blockDim.x) {
        const float* z = logits + static_cast<std::size_t>(i) * classes;
        const int label = labels[i];
        float largest = z[0];
        int predicted = 0;
        bool finite = isfinite(z[0]);
        for (int c = 1; c < classes; ++c) {
            finite = finite && isfinite(z[c]);
            if (z[c] > largest) {
                largest = z[c];
                predicted = c;
            }
        }
        float sum = 0.0f;
        for (int c = 0; c < classes; ++c) sum += expf(z[c] - largest);
        const float log_normaliser = largest + logf(sum);
        losses[i] = finite ? log_normaliser - z[label] : nanf("");
        if (correct != nullptr) correct[i] = finite && predicted == label ? 1.0f : 0.0f;
        if (gradient != nullptr) {
            float* g = gradient + static_cast<std::size_t>(i) * classes;
            for (int c = 0; c < classes; ++c)
                g[c] = (expf(z[c] - log_normaliser) - (c == label ? 1.0f : 0.0f)) * gradient_scale;
        }
    }
}

__global__ void relu_backward(float* delta, const float* activation, std::size_t n) {
    for (std::size_t t = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; t < n; t += std::size_t{gridDim.x} * blockDim.x)
        if (!(activation[t] > 0.0f)) delta[t] = 0.0f;
}

// Bias gradient = row sums of delta; one thread per row, columns in order (deterministic).
__global__ void row_sums(const float* delta, int rows, int columns, float* sums) {
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
        float sum = 0.0f;
        for (int c = 0; c < columns; ++c) sum += delta[static_cast<std::size_t>(c) * rows + r];
        sums[r] = sum;
    }
}

// PyTorch's SGD: v = momentum * v + (g + weight_decay * p); p -= lr * v.
__global__ void sgd_momentum(float* parameters, float* velocity, const float* gradients, std::size_t n,
                             float learning_rate, float momentum, float weight_decay) {
    for (std::size_t t = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; t < n; t += std::size_t{gridDim.x} * blockDim.x) {
        const float g = gradients[t] + weight_decay * parameters[t];
        const float v = momentum * velocity[t] + g;
        velocity[t] = v;
        parameters[t] -= learning_rate * v;
    }
}

// Mean of n floats into *out, in double, by one block in a fixed order: bit-reproducible.
constexpr int reduce_threads = 512;
__global__ void mean_of(const float* values, std::size_t n, double* out) {
    __shared__ double partial[reduce_threads];
    double sum = 0.0;
    for (std::size_t i = threadIdx.x; i < n; i += reduce_threads) sum += values[i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int width = reduce_threads / 2; width > 0; width /= 2) {
        if (static_cast<int>(threadIdx.x) < width) partial[threadIdx.x] += partial[threadIdx.x + width];
        __syncthreads();
    }
    if (threadIdx.x == 0) *out = partial[0] / static_cast<double>(n);
}

// --- RAII for the handles the trainer owns ---

class stream_handle {
public:
    stream_handle() { CUDA_EXAMPLE_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
    ~stream_handle() {
        if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
    }
    stream_handle(const stream_handle&) = delete;
    stream_handle& operator=(const stream_handle&) = delete;
    [[nodiscard]] cudaStream_t get() const noexcept { return stream_; }

private:
    cudaStream_t stream_ = nullptr;
};

class blas_handle {
public:
    explicit blas_handle(cudaStream_t stream) {
        CUBLAS_EXAMPLE_CHECK(cublasCreate(&handle_));
        try {
            CUBLAS_EXAMPLE_CHECK(cublasSetStream(handle_, stream));
        } catch (...) {
            (void)cublasDestroy(handle_);
            throw;
        }
    }
    ~blas_handle() {
        if (handle_ != nullptr) (void)cublasDestroy(handle_);
    }
    blas_handle(const blas_handle&) = delete;
    blas_handle& operator=(const blas_handle&) = delete;
    [[nodiscard]] cublasHandle_t get() const noexcept { return handle_; }

private:
    cublasHandle_t handle_ = nullptr;
};

class pinned_doubles {
public:
    explicit pinned_doubles(std::size_t n) { CUDA_EXAMPLE_CHECK(cudaMallocHost(&data_, n * sizeof(double))); }
    ~pinned_doubles() {
        if (data_ != nullptr) (void)cudaFreeHost(data_);
    }
    pinned_doubles(const pinned_doubles&) = delete;
    pinned_doubles& operator=(const pinned_doubles&) = delete;
    [[nodiscard]] double* get() const noexcept { return static_cast<double*>(data_); }

private:
    void* data_ = nullptr;
};

struct layer_shape {
    int inputs;
    int outputs;
    std::size_t weight_offset;  // floats from the start of the parameter block
    std::size_t bias_offset;
};

void validate(const mlp_settings& s) {
    using autolrs::detail::require_setting;
    for (const int width : s.hidden_layers) require_setting(width > 0, "hidden_layers", "every width must be > 0");
    require_setting(s.classes >= 2, "classes", "must be >= 2");
    require_setting(s.classes <= 256, "classes", "must be <= 256 (labels are bytes)");
    require_setting(s.batch_size > 0, "batch_size", "must be > 0");
    require_setting(s.momentum >= 0.0 && s.momentum < 1.0, "momentum", "must be in [0, 1)");
    require_setting(std::isfinite(s.weight_decay) && s.weight_decay >= 0.0, "weight_decay", "must be finite and >= 0");
    require_setting(std::isfinite(s.initial_learning_rate) && s.initial_learning_rate >= 0.0, "initial_learning_rate",
                    "must be finite and >= 0");
    require_setting(s.evaluation_chunk > 0, "evaluation_chunk", "must be > 0");
    require_setting(s.device >= 0, "device", "must be >= 0");
}

void validate(const host_samples& samples, const char* which, int classes) {
    const std::string name(which);
    if (samples.count == 0) throw std::invalid_argument(name + " samples: count must be > 0");
    if (samples.features == 0) throw std::invalid_argument(name + " samples: features must be > 0");
    if (samples.images == nullptr || samples.labels == nullptr)
        throw std::invalid_argument(name + " samples: images and labels must not be null");
    for (std::size_t i = 0; i < samples.count; ++i)
        if (samples.labels[i] >= classes)
            throw std::invalid_argument(name + " samples: label " + std::to_string(samples.labels[i]) + " at index " +
                                        std::to_string(i) + " is not below classes = " + std::to_string(classes));
}

struct device_samples {
    device_buffer images;
    device_buffer labels;
    std::size_t count = 0;

    device_samples(const host_samples& host, cudaStream_t stream)
        : images(host.count * host.features * sizeof(float)), labels(host.count), count(host.count) {
        CUDA_EXAMPLE_CHECK(cudaMemcpyAsync(images.data(), host.images, images.bytes(), cudaMemcpyHostToDevice, stream));
        CUDA_EXAMPLE_CHECK(cudaMemcpyAsync(labels.data(), host.labels, labels.bytes(), cudaMemcpyHostToDevice, stream));
        // Pageable host memory: wait, so that the caller may free `host` once we return.
        CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(stream));
    }
};

}  // namespace

struct mlp_trainer::impl {
    mlp_settings settings;
    gpu_info gpu;
    stream_handle stream;
    blas_handle blas{stream.get()};
    int features;
    std::vector<layer_shape> layers;
    std::size_t parameter_count = 0;  // real weights and biases
    std::size_t padded_count = 0;     // floats per block of the arenas
    device_buffer state;              // [parameters | momentum]
    device_buffer gradients;
    device_samples train;
    device_samples validation;
    int column_capacity;                      // columns of the activation buffers
    std::vector<device_buffer> activations;   // per layer: outputs x column_capacity
    std::vector<device_buffer> deltas;        // per layer: outputs x batch
    device_buffer batch_images;
    device_buffer batch_labels;
    device_buffer batch_losses;
    device_buffer validation_losses;
    device_buffer validation_correct;
    device_buffer means;  // two doubles: loss, accuracy
    pinned_doubles host_means{2};
    double learning_rate;
    std::uint64_t steps_taken = 0;

    impl(const host_samples& train_samples, const host_samples& validation_samples, const mlp_settings& s)
        : settings(s),
          gpu(require_gpu(s.device)),
          features(static_cast<int>(train_samples.features)),
          layers(make_layers(static_cast<int>(train_samples.features), s)),
          train(train_samples, stream.get()),
          validation(validation_samples, stream.get()),
          column_capacity(std::max(s.batch_size, s.evaluation_chunk)),
          batch_images(std::size_t(s.batch_size) * train_samples.features * sizeof(float)),
          batch_labels(static_cast<std::size_t>(s.batch_size)),
          batch_losses(std::size_t(s.batch_size) * sizeof(float)),
          validation_losses(validation_samples.count * sizeof(float)),
          validation_correct(validation_samples.count * sizeof(float)),
          means(2 * sizeof(double)),
          learning_rate(s.initial_learning_rate) {
        for (const auto& layer : layers) parameter_count += std::size_t(layer.outputs) * (std::size_t(layer.inputs) + 1);
        padded_count = layers.back().bias_offset + align_up(static_cast<std::size_t>(layers.back().outputs));
        state = device_buffer(2 * padded_count * sizeof(float));
        gradients = device_buffer(padded_count * sizeof(float));
        for (const auto& layer : layers) {
            activations.emplace_back(std::size_t(layer.outputs) * column_capacity * sizeof(float));
            deltas.emplace_back(std::size_t(layer.outputs) * s.batch_size * sizeof(float));
        }
        initialise_parameters();
        CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(stream.get()));
    }

    static std::vector<layer_shape> make_layers(int features, const mlp_settings& s) {
        std::vector<layer_shape> shapes;
        std::size_t offset = 0;
        int inputs = features;
        auto add = [&](int outputs) {
            layer_shape shape{inputs, outputs, offset, 0};
            offset += align_up(std::size_t(outputs) * std::size_t(inputs));
            shape.bias_offset = offset;
            offset += align_up(static_cast<std::size_t>(outputs));
            shapes.push_back(shape);
            inputs = outputs;
        };
        for (const int width : s.hidden_layers) add(width);
        add(s.classes);
        return shapes;
    }

    [[nodiscard]] float* parameters() const { return state.as<float>(); }
    [[nodiscard]] float* momentum() const { return state.as<float>() + padded_count; }

    void initialise_parameters() {
        // Zero everything (biases, momentum, padding), then draw the weights: He-uniform for
        // layers feeding a ReLU, LeCun-uniform for the output layer.
        CUDA_EXAMPLE_CHECK(cudaMemsetAsync(state.data(), 0, state.bytes(), stream.get()));
        CUDA_EXAMPLE_CHECK(cudaMemsetAsync(gradients.data(), 0, gradients.bytes(), stream.get()));
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const auto& layer = layers[l];
            const bool feeds_relu = l + 1 < layers.size();
            const float bound = std::sqrt((feeds_relu ? 6.0f : 3.0f) / static_cast<float>(layer.inputs));
            const std::size_t n = std::size_t(layer.outputs) * std::size_t(layer.inputs);
            const std::uint64_t key = splitmix64(splitmix64(settings.seed) + l + 1) << 20;
            init_uniform<<<blocks_for(n), threads_per_block, 0, stream.get()>>>(parameters() + layer.weight_offset, n,
                                                                                 bound, key);
            CUDA_EXAMPLE_CHECK_LAUNCH(init_uniform);
        }
    }

    // Logits for `columns` samples starting at `input` (features x columns); returns them.
    const float* forward(const float* input, int columns) {
        const float one = 1.0f;
        const float zero = 0.0f;
        const float* previous = input;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const auto& layer = layers[l];
            float* out = activations[l].as<float>();
            CUBLAS_EXAMPLE_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, layer.outputs, columns, layer.inputs,
                                             &one, parameters() + layer.weight_offset, layer.outputs, previous,
                                             layer.inputs, &zero, out, layer.outputs));
            const std::size_t n = std::size_t(layer.outputs) * static_cast<unsigned>(columns);
            add_bias_activate<<<blocks_for(n), threads_per_block, 0, stream.get()>>>(
                out, parameters() + layer.bias_offset, layer.outputs, n, l + 1 < layers.size());
            CUDA_EXAMPLE_CHECK_LAUNCH(add_bias_activate);
            previous = out;
        }
        return previous;
    }

    // Gradients of the mean batch loss into `gradients`, from deltas.back() (already set).
    void backward() {
        const float one = 1.0f;
        const float zero = 0.0f;
        const int columns = settings.batch_size;
        for (std::size_t l = layers.size(); l-- > 0;) {
            const auto& layer = layers[l];
            const float* delta = deltas[l].as<float>();
            const float* input = l == 0 ? batch_images.as<float>() : activations[l - 1].as<float>();
            CUBLAS_EXAMPLE_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_T, layer.outputs, layer.inputs, columns,
                                             &one, delta, layer.outputs, input, layer.inputs, &zero,
                                             gradients.as<float>() + layer.weight_offset, layer.outputs));
            row_sums<<<blocks_for(static_cast<unsigned>(layer.outputs)), threads_per_block, 0, stream.get()>>>(
                delta, layer.outputs, columns, gradients.as<float>() + layer.bias_offset);
            CUDA_EXAMPLE_CHECK_LAUNCH(row_sums);
            if (l == 0) break;
            float* previous_delta = deltas[l - 1].as<float>();
            CUBLAS_EXAMPLE_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_T, CUBLAS_OP_N, layer.inputs, columns, layer.outputs,
                                             &one, parameters() + layer.weight_offset, layer.outputs, delta,
                                             layer.outputs, &zero, previous_delta, layer.inputs));
            const std::size_t n = std::size_t(layer.inputs) * static_cast<unsigned>(columns);
            relu_backward<<<blocks_for(n), threads_per_block, 0, stream.get()>>>(previous_delta,
                                                                                  activations[l - 1].as<float>(), n);
            CUDA_EXAMPLE_CHECK_LAUNCH(relu_backward);
        }
    }

    double train_step() {
        const int batch = settings.batch_size;
        const std::size_t n = std::size_t(static_cast<unsigned>(batch)) * static_cast<unsigned>(features);
        gather_batch<<<blocks_for(n), threads_per_block, 0, stream.get()>>>(
            train.images.as<float>(), train.labels.as<std::uint8_t>(), train.count, features, batch,
            splitmix64(settings.seed ^ 0xDA7A5EEDull), steps_taken * static_cast<std::uint64_t>(batch),
            batch_images.as<float>(), batch_labels.as<std::uint8_t>());
        CUDA_EXAMPLE_CHECK_LAUNCH(gather_batch);
        const float* logits = forward(batch_images.as<float>(), batch);
        softmax_cross_entropy<<<blocks_for(static_cast<unsigned>(batch)), threads_per_block, 0, stream.get()>>>(
            logits, batch_labels.as<std::uint8_t>(), settings.classes, batch, batch_losses.as<float>(),
            deltas.back().as<float>(), 1.0f / static_cast<float>(batch), nullptr);
        CUDA_EXAMPLE_CHECK_LAUNCH(softmax_cross_entropy);
        backward();
        mean_of<<<1, reduce_threads, 0, stream.get()>>>(batch_losses.as<float>(), static_cast<unsigned>(batch),
                                                        means.as<double>());
        CUDA_EXAMPLE_CHECK_LAUNCH(mean_of);
        sgd_momentum<<<blocks_for(padded_count), threads_per_block, 0, stream.get()>>>(
            parameters(), momentum(), gradients.as<float>(), padded_count, static_cast<float>(learning_rate),
            static_cast<float>(settings.momentum), static_cast<float>(settings.weight_decay));
        CUDA_EXAMPLE_CHECK_LAUNCH(sgd_momentum);
        // The one device-to-host transfer of the step; the sync also marks the step done.
        CUDA_EXAMPLE_CHECK(
            cudaMemcpyAsync(host_means.get(), means.data(), sizeof(double), cudaMemcpyDeviceToHost, stream.get()));
        CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(stream.get()));
        ++steps_taken;
        return host_means.get()[0];
    }

    // Mean loss and accuracy over `count` samples already on the device; the per-sample
    // buffers hold `count` floats each.
    evaluation evaluate(const float* images, const std::uint8_t* labels, std::size_t count, float* losses,
                        float* correct) {
        for (std::size_t start = 0; start < count; start += static_cast<std::size_t>(settings.evaluation_chunk)) {
            const int columns = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(settings.evaluation_chunk),
                                                                        count - start));
            const float* logits = forward(images + start * static_cast<unsigned>(features), columns);
            softmax_cross_entropy<<<blocks_for(static_cast<unsigned>(columns)), threads_per_block, 0, stream.get()>>>(
                logits, labels + start, settings.classes, columns, losses + start, nullptr, 0.0f, correct + start);
            CUDA_EXAMPLE_CHECK_LAUNCH(softmax_cross_entropy);
        }
        mean_of<<<1, reduce_threads, 0, stream.get()>>>(losses, count, means.as<double>());
        CUDA_EXAMPLE_CHECK_LAUNCH(mean_of);
        mean_of<<<1, reduce_threads, 0, stream.get()>>>(correct, count, means.as<double>() + 1);
        CUDA_EXAMPLE_CHECK_LAUNCH(mean_of);
        CUDA_EXAMPLE_CHECK(
            cudaMemcpyAsync(host_means.get(), means.data(), 2 * sizeof(double), cudaMemcpyDeviceToHost, stream.get()));
        CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(stream.get()));
        return {host_means.get()[0], host_means.get()[1]};
    }

    evaluation evaluate_validation() {
        return evaluate(validation.images.as<float>(), validation.labels.as<std::uint8_t>(), validation.count,
                        validation_losses.as<float>(), validation_correct.as<float>());
    }
};

mlp_trainer::mlp_trainer(const host_samples& train, const host_samples& validation, const mlp_settings& settings) {
    validate(settings);
    validate(train, "train", settings.classes);
    validate(validation, "validation", settings.classes);
    if (validation.features != train.features)
        throw std::invalid_argument("validation samples: " + std::to_string(validation.features) +
                                    " features, but the train samples have " + std::to_string(train.features));
    impl_ = std::make_unique<impl>(train, validation, settings);
}

mlp_trainer::~mlp_trainer() = default;
mlp_trainer::mlp_trainer(mlp_trainer&&) noexcept = default;
mlp_trainer& mlp_trainer::operator=(mlp_trainer&&) noexcept = default;

void mlp_trainer::set_learning_rate(double learning_rate) {
    if (!std::isfinite(learning_rate) || learning_rate < 0.0)
        throw std::invalid_argument("mlp_trainer::set_learning_rate: the learning rate must be finite and >= 0, got " +
                                    std::to_string(learning_rate));
    // A kernel argument, not device state: a restore never brings back an old LR.
    impl_->learning_rate = learning_rate;
}

double mlp_trainer::train_step() { return impl_->train_step(); }

double mlp_trainer::validation_loss() { return impl_->evaluate_validation().loss; }

mlp_trainer::checkpoint_type mlp_trainer::checkpoint() {
    checkpoint_type saved;
    checkpoint(saved);
    return saved;
}

void mlp_trainer::checkpoint(checkpoint_type& into) {
    auto& m = *impl_;
    if (into.state_.bytes() != m.state.bytes()) into.state_ = device_buffer(m.state.bytes());
    // Queued on the trainer's stream: later steps cannot overwrite the state before the copy
    // has read it, and nothing waits for it here.
    CUDA_EXAMPLE_CHECK(
        cudaMemcpyAsync(into.state_.data(), m.state.data(), m.state.bytes(), cudaMemcpyDeviceToDevice, m.stream.get()));
    into.steps_taken_ = m.steps_taken;
}

void mlp_trainer::restore(const checkpoint_type& saved) {
    auto& m = *impl_;
    if (saved.empty()) throw std::invalid_argument("mlp_trainer::restore: the checkpoint is empty");
    if (saved.bytes() != m.state.bytes())
        throw std::invalid_argument("mlp_trainer::restore: the checkpoint holds " + std::to_string(saved.bytes()) +
                                    " bytes but this model's state is " + std::to_string(m.state.bytes()) +
                                    " bytes (a checkpoint of another model)");
    CUDA_EXAMPLE_CHECK(
        cudaMemcpyAsync(m.state.data(), saved.state_.data(), m.state.bytes(), cudaMemcpyDeviceToDevice, m.stream.get()));
    m.steps_taken = saved.steps_taken_;
}

evaluation mlp_trainer::evaluate_validation() { return impl_->evaluate_validation(); }

evaluation mlp_trainer::evaluate(const host_samples& samples) {
    auto& m = *impl_;
    validate(samples, "evaluated", m.settings.classes);
    if (samples.features != static_cast<std::size_t>(m.features))
        throw std::invalid_argument("evaluate: " + std::to_string(samples.features) + " features, the model takes " +
                                    std::to_string(m.features));
    const device_samples on_device(samples, m.stream.get());
    device_buffer losses(samples.count * sizeof(float));
    device_buffer correct(samples.count * sizeof(float));
    return m.evaluate(on_device.images.as<float>(), on_device.labels.as<std::uint8_t>(), samples.count,
                      losses.as<float>(), correct.as<float>());
}

void mlp_trainer::synchronize() { CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(impl_->stream.get())); }

double mlp_trainer::learning_rate() const noexcept { return impl_->learning_rate; }
std::uint64_t mlp_trainer::steps_taken() const noexcept { return impl_->steps_taken; }
std::size_t mlp_trainer::parameter_count() const noexcept { return impl_->parameter_count; }
std::size_t mlp_trainer::parameter_bytes() const noexcept { return impl_->parameter_count * sizeof(float); }
std::size_t mlp_trainer::checkpoint_bytes() const noexcept { return impl_->state.bytes(); }
const gpu_info& mlp_trainer::gpu() const noexcept { return impl_->gpu; }

}  // namespace cuda_example
