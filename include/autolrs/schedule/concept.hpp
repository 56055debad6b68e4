#pragma once
// The lr_schedule concept: anything that maps an optimizer step to a learning rate.
// (It cannot be called `autolrs::schedule`: that is the namespace of the fixed schedules.)

#include <concepts>
#include <cstdint>
#include <type_traits>

namespace autolrs::schedule {

/// A learning-rate schedule: a copyable value `s` with `double s(std::uint64_t step) const`,
/// the LR of optimizer step `step` (0-based). The fixed schedules of this namespace all fit,
/// and so does a lambda `[](std::uint64_t step) { return ...; }`.
template <class S>
concept lr_schedule = std::copy_constructible<S> && requires(const S& s, std::uint64_t step) {
    { s(step) } -> std::convertible_to<double>;
};

/// Call as `static_assert(autolrs::schedule::explain_lr_schedule<S>())` where a schedule is
/// required: the compiler then says which part is missing and how to write it.
template <class S>
consteval bool explain_lr_schedule() {
    static_assert(std::invocable<const S&, std::uint64_t>,
                  "autolrs lr_schedule: add `double operator()(std::uint64_t step) const`, "
                  "the learning rate of optimizer step `step` (it must be callable on a const object)");
    if constexpr (std::invocable<const S&, std::uint64_t>) {
        static_assert(std::convertible_to<std::invoke_result_t<const S&, std::uint64_t>, double>,
                      "autolrs lr_schedule: operator()(std::uint64_t) must return the learning rate as a double");
    }
    static_assert(std::copy_constructible<S>,
                  "autolrs lr_schedule: the schedule must be copyable (a small value type); "
                  "hold large tables by value in a std::vector, not by a unique_ptr");
    return lr_schedule<S>;
}

}  // namespace autolrs::schedule
