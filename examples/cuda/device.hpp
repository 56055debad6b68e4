#pragma once
// Host-side view of the CUDA pieces the example needs: errors, GPU discovery, an owning
// device buffer, and the reference copy-bandwidth measurement. No CUDA header here, so
// the autolrs-facing code compiles as plain C++20 with the host compiler; the
// implementation lives in device.cu (compiled by nvcc).
//
// Kept to C++17 on purpose: nvcc compiles it too, and CMake 3.25 cannot ask nvcc for C++20.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace cuda_example {

/// A CUDA runtime or cuBLAS call failed; the message names the call, the error code and
/// the runtime's description, e.g. "cudaMalloc(&ptr, bytes) failed: cudaErrorMemoryAllocation
/// (out of memory) at device.cu:42".
class cuda_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// No GPU can be used (no driver, no device, device hidden by CUDA_VISIBLE_DEVICES, index out
/// of range). Distinct from cuda_error so that programs can exit with a clear message.
class no_gpu_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct gpu_info {
    int index = 0;
    int device_count = 0;
    std::string name;
    int compute_major = 0;
    int compute_minor = 0;
    std::size_t memory_bytes = 0;
};

/// Selects GPU `index` and returns what it is; throws no_gpu_error with the reason
/// (cudaGetDeviceCount's error, "0 devices", or an index out of range) when it cannot.
gpu_info require_gpu(int index);

/// One device allocation, freed on destruction. Movable, not copyable (a copy would be a
/// hidden device allocation plus a copy: do it explicitly with copy_from).
class device_buffer {
public:
    device_buffer() noexcept = default;
    explicit device_buffer(std::size_t bytes);
    ~device_buffer();
    device_buffer(device_buffer&& other) noexcept;
    device_buffer& operator=(device_buffer&& other) noexcept;
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;

    [[nodiscard]] void* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] bool empty() const noexcept { return data_ == nullptr; }

    template <class T>
    [[nodiscard]] T* as() const noexcept {
        return static_cast<T*>(data_);
    }

private:
    void* data_ = nullptr;
    std::size_t bytes_ = 0;
};

/// The device's own device-to-device copy speed for `bytes` (the yardstick for checkpoint and
/// restore): cudaMemcpyAsync between two fresh buffers on a fresh stream; one warm-up copy,
/// then `repetitions` copies queued back to back and timed on the host clock from a
/// synchronised stream to the end of the last copy, exactly as the benchmark times
/// checkpoint and restore. Bytes per second counts each byte once (the copy reads and
/// writes it, so memory traffic is twice this).
struct copy_timing {
    double seconds_per_copy = 0.0;
    double bytes_per_second = 0.0;
};
copy_timing measure_device_copy(std::size_t bytes, int repetitions);

}  // namespace cuda_example
