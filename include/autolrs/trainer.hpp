#pragma once
// The Trainer concept: what autolrs::run needs from a training backend
// (LibTorch, a CUDA engine, an MPI job, a toy model in a test).

#include <concepts>
#include <type_traits>

namespace autolrs {

/// What one optimizer step reports when it can be skipped (a mixed-precision step
/// rejected by the loss scaler, a gradient-accumulation micro-step): a skipped step
/// does not count towards the schedule.
struct step_result {
    double loss;
    bool applied = true;
};

namespace detail {
template <class R>
concept step_return = std::convertible_to<R, double> || std::same_as<std::remove_cvref_t<R>, step_result>;
}

/// A training backend that autolrs can drive.
///
/// - `set_learning_rate(lr)`: every following step runs at `lr`. Backends with several
///   parameter groups scale each group's own base LR by the same factor.
/// - `train_step()`: one optimizer step on the next batch; returns its training loss
///   (a double) or a `step_result`.
/// - `validation_loss()`: the loss on held-out data; must not change the training state.
/// - `checkpoint()`: the whole training state (model AND optimizer) as a value.
/// - `restore(c)`: puts that state back exactly; `c` stays valid for further restores.
template <class T>
concept trainer = requires(T& t, const typename T::checkpoint_type& saved, double lr) {
    typename T::checkpoint_type;
    t.set_learning_rate(lr);
    { t.train_step() } -> detail::step_return;
    { t.validation_loss() } -> std::convertible_to<double>;
    { t.checkpoint() } -> std::same_as<typename T::checkpoint_type>;
    t.restore(saved);
};

/// A trainer that can also overwrite an existing checkpoint in place
/// (`checkpoint(into)`), so that large models reuse their checkpoint buffers.
template <class T>
concept reusing_trainer = trainer<T> && requires(T& t, typename T::checkpoint_type& into) {
    t.checkpoint(into);
};

/// Call as `static_assert(autolrs::explain_trainer<T>())` where a trainer is required:
/// instead of a wall of concept notes, the compiler names the one member that is
/// missing and how to write it.
template <class T>
consteval bool explain_trainer() {
    static_assert(requires { typename T::checkpoint_type; },
                  "autolrs trainer: add `using checkpoint_type = ...;` naming the value that checkpoint() returns");
    static_assert(requires(T& t, double lr) { t.set_learning_rate(lr); },
                  "autolrs trainer: add `void set_learning_rate(double lr)`; every later step must run at lr");
    static_assert(requires(T& t) { { t.train_step() } -> detail::step_return; },
                  "autolrs trainer: add `double train_step()` (or `autolrs::step_result train_step()`): "
                  "one optimizer step, returning its loss");
    static_assert(requires(T& t) { { t.validation_loss() } -> std::convertible_to<double>; },
                  "autolrs trainer: add `double validation_loss()`: the loss on held-out data");
    static_assert(requires(T& t) { { t.checkpoint() } -> std::same_as<typename T::checkpoint_type>; },
                  "autolrs trainer: add `checkpoint_type checkpoint()`: model AND optimizer state as a value");
    static_assert(requires(T& t, const typename T::checkpoint_type& c) { t.restore(c); },
                  "autolrs trainer: add `void restore(const checkpoint_type&)`: puts a checkpoint back exactly");
    return trainer<T>;
}

}  // namespace autolrs
