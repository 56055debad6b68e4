#pragma once
// Every CUDA runtime and cuBLAS call goes through these: a failure becomes a
// cuda_example::cuda_error naming the call, the error and where it happened.

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "device.hpp"

namespace cuda_example::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
    throw cuda_error(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                     ") at " + file + ":" + std::to_string(line));
}

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
    throw cuda_error(std::string(call) + " failed: " + cublasGetStatusName(status) + " (" +
                     cublasGetStatusString(status) + ") at " + file + ":" + std::to_string(line));
}

}  // namespace cuda_example::detail

#define CUDA_EXAMPLE_CHECK(call)                                                                      \
    do {                                                                                              \
        const cudaError_t cuda_example_status_ = (call);                                              \
        if (cuda_example_status_ != cudaSuccess)                                                      \
            ::cuda_example::detail::throw_cuda_error(cuda_example_status_, #call, __FILE__, __LINE__); \
    } while (false)

#define CUBLAS_EXAMPLE_CHECK(call)                                                                      \
    do {                                                                                                \
        const cublasStatus_t cuda_example_status_ = (call);                                             \
        if (cuda_example_status_ != CUBLAS_STATUS_SUCCESS)                                              \
            ::cuda_example::detail::throw_cublas_error(cuda_example_status_, #call, __FILE__, __LINE__); \
    } while (false)

/// After a kernel launch (`kernel` is the kernel's name): launch-configuration errors
/// surface here, naming the kernel, rather than at the next synchronising call.
#define CUDA_EXAMPLE_CHECK_LAUNCH(kernel)                                                             \
    do {                                                                                              \
        const cudaError_t cuda_example_status_ = cudaGetLastError();                                  \
        if (cuda_example_status_ != cudaSuccess)                                                      \
            ::cuda_example::detail::throw_cuda_error(cuda_example_status_, "launch of " #kernel,      \
                                                     __FILE__, __LINE__);                             \
    } while (false)
