#pragma once
// The ask/tell protocol between a controller and the host's training loop.
//
// The host owns the model, the optimizer and the loop. The controller hands out one
// directive at a time; the host carries it out and acknowledges it with the matching
// tell_*() call, which returns the next directive:
//
//   directive              host does                                  then calls
//   train (learning_rate)  set the LR, run ONE optimizer step          tell_step(loss, applied)
//   checkpoint (slot)      save model+optimizer state into slot        tell_checkpointed()
//   restore (slot)         put slot's state back exactly               tell_restored()
//   evaluate               compute the validation loss                 tell_validation(loss)
//   done                   stop: the budget is spent                   -
//
// A step reported with applied = false (a skipped mixed-precision step, a gradient-
// accumulation micro-step) does not count: the same directive comes back. After a restore,
// set the LR again before the next step (some backends restore the LR with the optimizer
// state). Calling a tell_*() that does not match the pending directive throws
// autolrs::protocol_error.

#include "autolrs/controller_settings.hpp"
#include "autolrs/event.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"

#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>

namespace autolrs {

/// What the host must do next.
enum class directive_kind : std::uint8_t { train, checkpoint, restore, evaluate, done };

[[nodiscard]] constexpr std::string_view to_string(directive_kind k) noexcept {
    switch (k) {
        case directive_kind::train: return "train";
        case directive_kind::checkpoint: return "checkpoint";
        case directive_kind::restore: return "restore";
        case directive_kind::evaluate: return "evaluate";
        case directive_kind::done: return "done";
    }
    return "unknown";
}

/// One directive: `learning_rate` applies to `train`, `slot` to `checkpoint` and `restore`.
struct directive {
    directive_kind kind = directive_kind::done;
    double learning_rate = 0.0;
    std::uint32_t slot = 0;

    friend bool operator==(const directive&, const directive&) = default;
};

/// What autolrs::directive_executor (carry_out.hpp) needs from a controller: the pending directive, the four answers,
/// the events of the last call and steps_total (both for a trainer_error's context), and
/// slot_count. Every ask_tell_controller is one; so is a thin wrapper that forwards these.
template <class C>
concept answerable_controller = requires(C& c, const C& cc, double loss) {
    { cc.pending() } -> std::convertible_to<directive>;
    { c.tell_step(loss, true) } -> std::convertible_to<directive>;
    { c.tell_checkpointed() } -> std::convertible_to<directive>;
    { c.tell_restored() } -> std::convertible_to<directive>;
    { c.tell_validation(loss) } -> std::convertible_to<directive>;
    { cc.events() } -> std::convertible_to<std::span<const event>>;
    { cc.steps_total() } -> std::convertible_to<std::uint64_t>;
    { C::slot_count } -> std::convertible_to<std::uint32_t>;
};

/// Call as `static_assert(autolrs::explain_answerable_controller<C>())`: names what C lacks.
template <class C>
consteval bool explain_answerable_controller() {
    static_assert(requires(const C& c) { { c.pending() } -> std::convertible_to<directive>; },
                  "autolrs answerable_controller: add `directive pending() const`: the directive to carry out");
    static_assert(requires(C& c, double loss) {
        { c.tell_step(loss, true) } -> std::convertible_to<directive>;
        { c.tell_checkpointed() } -> std::convertible_to<directive>;
        { c.tell_restored() } -> std::convertible_to<directive>;
        { c.tell_validation(loss) } -> std::convertible_to<directive>;
    }, "autolrs answerable_controller: add the four answers tell_step(double loss, bool applied), "
       "tell_checkpointed(), tell_restored(), tell_validation(double loss), each returning the next directive");
    static_assert(requires(const C& c) { { c.events() } -> std::convertible_to<std::span<const event>>; },
                  "autolrs answerable_controller: add `std::span<const autolrs::event> events() const`: the last "
                  "call's events (they say which stage and candidate a failed trainer call belongs to)");
    static_assert(requires(const C& c) { { c.steps_total() } -> std::convertible_to<std::uint64_t>; },
                  "autolrs answerable_controller: add `std::uint64_t steps_total() const`: applied steps so far");
    static_assert(requires { { C::slot_count } -> std::convertible_to<std::uint32_t>; },
                  "autolrs answerable_controller: add `static constexpr std::uint32_t slot_count`: checkpoint slots used");
    return answerable_controller<C>;
}

/// What autolrs::run (and save_state/load_state) drives: an answerable_controller with its
/// settings, the progress counters a run reports and the found schedule.
template <class C>
concept ask_tell_controller = answerable_controller<C> && requires(const C& cc) {
    { cc.settings() } -> std::convertible_to<const controller_settings&>;
    { cc.steps_trained() } -> std::convertible_to<std::uint64_t>;
    { cc.steps_searched() } -> std::convertible_to<std::uint64_t>;
    { cc.steps_skipped() } -> std::convertible_to<std::uint64_t>;
    { cc.evaluations() } -> std::convertible_to<std::uint64_t>;
    { cc.stages() } -> std::convertible_to<std::uint32_t>;
    { cc.divergences() } -> std::convertible_to<std::uint32_t>;
    { cc.schedule_rows() } -> std::convertible_to<std::span<const schedule::piecewise_constant_row>>;
};

/// Call as `static_assert(autolrs::explain_ask_tell_controller<C>())`: names what C lacks.
template <class C>
consteval bool explain_ask_tell_controller() {
    static_assert(explain_answerable_controller<C>());
    static_assert(requires(const C& c) { { c.settings() } -> std::convertible_to<const controller_settings&>; },
                  "autolrs ask_tell_controller: add `const autolrs::controller_settings& settings() const`");
    static_assert(requires(const C& c) {
        { c.steps_trained() } -> std::convertible_to<std::uint64_t>;
        { c.steps_searched() } -> std::convertible_to<std::uint64_t>;
        { c.steps_skipped() } -> std::convertible_to<std::uint64_t>;
        { c.evaluations() } -> std::convertible_to<std::uint64_t>;
        { c.stages() } -> std::convertible_to<std::uint32_t>;
        { c.divergences() } -> std::convertible_to<std::uint32_t>;
    }, "autolrs ask_tell_controller: add the progress counters steps_trained(), steps_searched(), "
       "steps_skipped(), evaluations() (std::uint64_t), stages(), divergences() (std::uint32_t)");
    static_assert(requires(const C& c) {
        { c.schedule_rows() } -> std::convertible_to<std::span<const schedule::piecewise_constant_row>>;
    }, "autolrs ask_tell_controller: add `std::span<const autolrs::schedule::piecewise_constant_row> schedule_rows() const`");
    return ask_tell_controller<C>;
}

}  // namespace autolrs
