// GPU discovery, device buffers and the reference copy-bandwidth measurement.

#include <chrono>
#include <string>
#include <utility>

#include "cuda_check.cuh"
#include "device.hpp"

namespace cuda_example {

gpu_info require_gpu(int index) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
        (void)cudaGetLastError();  // clear it: the caller may carry on without a GPU
        const char* hint = status == cudaErrorInsufficientDriver
                               ? "no NVIDIA driver was found, or it is older than this CUDA runtime needs"
                               : "is the NVIDIA driver installed, and does CUDA_VISIBLE_DEVICES leave a GPU visible?";
        throw no_gpu_error(std::string("no usable CUDA GPU: cudaGetDeviceCount failed: ") + cudaGetErrorName(status) +
                           " (" + cudaGetErrorString(status) + "); " + hint);
    }
    if (count == 0) throw no_gpu_error("no usable CUDA GPU: cudaGetDeviceCount found 0 devices");
    if (index < 0 || index >= count) {
        throw no_gpu_error("no usable CUDA GPU: device " + std::to_string(index) + " requested, but only " +
                           std::to_string(count) + " visible (valid: 0.." + std::to_string(count - 1) + ")");
    }
    cudaDeviceProp properties{};
    CUDA_EXAMPLE_CHECK(cudaGetDeviceProperties(&properties, index));
    if (properties.major < 7 || (properties.major == 7 && properties.minor < 5)) {
        throw no_gpu_error("no usable CUDA GPU: device " + std::to_string(index) + " (" + properties.name +
                           ") has compute capability " + std::to_string(properties.major) + "." +
                           std::to_string(properties.minor) + "; this build needs 7.5 or newer (CUDA 13)");
    }
    CUDA_EXAMPLE_CHECK(cudaSetDevice(index));

    gpu_info info;
    info.index = index;
    info.device_count = count;
    info.name = properties.name;
    info.compute_major = properties.major;
    info.compute_minor = properties.minor;
    info.memory_bytes = properties.totalGlobalMem;
    return info;
}

device_buffer::device_buffer(std::size_t bytes) : bytes_(bytes) {
    if (bytes > 0) CUDA_EXAMPLE_CHECK(cudaMalloc(&data_, bytes));
}

device_buffer::~device_buffer() {
    // cudaFree waits for pending work on the buffer; a failure here cannot be reported
    // from a destructor, and the next checked call will surface a broken context anyway.
    if (data_ != nullptr) (void)cudaFree(data_);
}

device_buffer::device_buffer(device_buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

device_buffer& device_buffer::operator=(device_buffer&& other) noexcept {
    if (this != &other) {
        device_buffer old(std::move(*this));
        data_ = std::exchange(other.data_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
}

namespace {

class owned_stream {
public:
    owned_stream() { CUDA_EXAMPLE_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
    ~owned_stream() { (void)cudaStreamDestroy(stream_); }
    owned_stream(const owned_stream&) = delete;
    owned_stream& operator=(const owned_stream&) = delete;
    [[nodiscard]] cudaStream_t get() const noexcept { return stream_; }

private:
    cudaStream_t stream_ = nullptr;
};

}  // namespace

copy_timing measure_device_copy(std::size_t bytes, int repetitions) {
    if (bytes == 0 || repetitions < 1) throw std::invalid_argument("measure_device_copy: bytes and repetitions must be positive");
    device_buffer source(bytes);
    device_buffer target(bytes);
    const owned_stream stream;
    CUDA_EXAMPLE_CHECK(cudaMemsetAsync(source.data(), 0, bytes, stream.get()));
    CUDA_EXAMPLE_CHECK(cudaMemcpyAsync(target.data(), source.data(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
    CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(stream.get()));

    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repetitions; ++i)
        CUDA_EXAMPLE_CHECK(cudaMemcpyAsync(target.data(), source.data(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
    CUDA_EXAMPLE_CHECK(cudaStreamSynchronize(stream.get()));
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    copy_timing timing;
    timing.seconds_per_copy = elapsed.count() / repetitions;
    timing.bytes_per_second = static_cast<double>(bytes) / timing.seconds_per_copy;
    return timing;
}

}  // namespace cuda_example
