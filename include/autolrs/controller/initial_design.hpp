#pragma once
// Where a stage's search starts: the initial design policy family. A stage whose search
// starts empty (no warm start) first tries `initial_design` points from the design (a random
// first ask and a model fitted to one or two points explore a wide interval badly), then
// asks the search.

#include <concepts>
#include <cstdint>

namespace autolrs {

template <class D>
concept initial_design = std::copyable<D> && requires(const D& d, std::uint32_t index, std::uint32_t size, double x) {
    { d.point(index, size, x, x) } -> std::convertible_to<double>;
};

/// Call as `static_assert(autolrs::explain_initial_design<D>())`: names what a design lacks.
template <class D>
consteval bool explain_initial_design() {
    static_assert(std::copyable<D>, "autolrs initial_design: the design must be copyable");
    static_assert(requires(const D& d, std::uint32_t index, std::uint32_t size, double x) {
        { d.point(index, size, x, x) } -> std::convertible_to<double>;
    }, "autolrs initial_design: add `double point(std::uint32_t index, std::uint32_t size, double x_low, double "
       "x_high) const`: the index-th of `size` points in [x_low, x_high] (x = log LR)");
    return initial_design<D>;
}

/// The default: `size` points evenly inside the interval (its ends excluded), tried from the
/// middle outwards, the higher first.
struct middle_out_design {
    [[nodiscard]] double point(std::uint32_t index, std::uint32_t size, double x_low, double x_high) const noexcept {
        std::uint32_t j = size / 2;  // the middle (the upper middle for even sizes)
        for (std::uint32_t step = 1, taken = 0; taken < index; ++step) {
            if (size / 2 + step < size && taken < index) {
                j = size / 2 + step;
                ++taken;
            }
            if (step <= size / 2 && taken < index) {
                j = size / 2 - step;
                ++taken;
            }
        }
        return x_low + (x_high - x_low) * static_cast<double>(j + 1) / static_cast<double>(size + 1);
    }
};

}  // namespace autolrs
