#pragma once
// The kernel as the Gaussian process's hot loops call it: with its constants precomputed
// when the kernel offers `prepare()` (stationary_kernel does), else the kernel itself.

namespace autolrs::detail {

template <class K>
struct kernel_reference {
    const K* kernel;
    double operator()(double a, double b) const { return (*kernel)(a, b); }
};

/// The kernel with its constants precomputed when it offers `prepare()`, else a reference
/// to the kernel itself: hot loops then pay one exp per pair instead of three.
template <class K>
auto prepare_kernel(const K& k) {
    if constexpr (requires { k.prepare(); }) {
        return k.prepare();
    } else {
        return kernel_reference<K>{&k};
    }
}

}  // namespace autolrs::detail
