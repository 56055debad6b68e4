#pragma once
// The exceptions autolrs throws. Settings are validated once, at construction;
// the message names the field and the rule it broke.

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace autolrs {

/// A run-time setting broke a rule. `field()` names the setting, e.g. "lr_min".
class invalid_setting : public std::invalid_argument {
public:
    invalid_setting(std::string_view field, std::string_view rule)
        : std::invalid_argument("autolrs: invalid setting '" + std::string(field) + "': " + std::string(rule)),
          field_(field) {}

    [[nodiscard]] const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

/// A call got an argument that breaks the call's rule (a non-finite observation, an output
/// span of the wrong size). `where()` names the call, e.g. "bayes_opt::tell"; the message is
/// "autolrs: <where>: <rule>". A std::invalid_argument, so existing catch sites still work.
class invalid_input : public std::invalid_argument {
public:
    invalid_input(std::string_view where, std::string_view rule)
        : std::invalid_argument("autolrs: " + std::string(where) + ": " + std::string(rule)), where_(where) {}

    [[nodiscard]] const std::string& where() const noexcept { return where_; }

private:
    std::string where_;
};

/// The host called a tell_*() that does not answer the pending directive (or a
/// directive_executor was asked to restore a slot that holds no checkpoint).
class protocol_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// A saved state could not be loaded (wrong format, version or settings, damaged data).
class invalid_state : public std::runtime_error {
public:
    explicit invalid_state(std::string_view what)
        : std::runtime_error("autolrs: cannot load state: " + std::string(what)) {}
};

/// The trainer threw while autolrs::run (or a directive_executor) drove it: says which call
/// failed and where the run was (step, stage, candidate, LR). The trainer's own exception is
/// the nested exception: `std::rethrow_if_nested(e)` rethrows it. The controller was not told
/// about the failed call, so its pending directive is still the one that failed (it can be
/// saved, retried).
class trainer_error : public std::runtime_error, public std::nested_exception {
public:
    /// Call inside a catch block: the exception being handled becomes the nested one.
    trainer_error(std::string_view operation, std::uint64_t step, std::uint32_t stage,
                  std::optional<std::uint32_t> candidate, double learning_rate, std::string_view cause)
        : std::runtime_error(describe(operation, step, stage, candidate, learning_rate, cause)),
          operation_(operation),
          step_(step),
          stage_(stage),
          candidate_(candidate),
          learning_rate_(learning_rate) {}

    /// "set_learning_rate", "train_step", "validation_loss", "checkpoint" or "restore".
    [[nodiscard]] const std::string& operation() const noexcept { return operation_; }
    /// Applied optimizer steps before the failed call (search included).
    [[nodiscard]] std::uint64_t step() const noexcept { return step_; }
    [[nodiscard]] std::uint32_t stage() const noexcept { return stage_; }
    /// The candidate being tried, or nullopt outside a search (warmup, stage, cooldown).
    [[nodiscard]] std::optional<std::uint32_t> candidate() const noexcept { return candidate_; }
    /// The LR of the failed step (NaN for calls other than train_step / set_learning_rate).
    [[nodiscard]] double learning_rate() const noexcept { return learning_rate_; }

private:
    static std::string describe(std::string_view operation, std::uint64_t step, std::uint32_t stage,
                                std::optional<std::uint32_t> candidate, double learning_rate, std::string_view cause) {
        std::string text = "autolrs: the trainer's " + std::string(operation) + "() failed at step " +
                           std::to_string(step) + " (stage " + std::to_string(stage);
        if (candidate) text += ", candidate " + std::to_string(*candidate);
        if (learning_rate == learning_rate) {
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, ", lr %.6g", learning_rate);
            text += buffer;
        }
        return text + "): " + std::string(cause);
    }

    std::string operation_;
    std::uint64_t step_;
    std::uint32_t stage_;
    std::optional<std::uint32_t> candidate_;
    double learning_rate_;
};

namespace detail {

/// The message of the exception being handled (call inside a catch block).
inline std::string current_exception_text() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

/// Throws invalid_setting(field, rule) unless `ok`.
inline void require_setting(bool ok, std::string_view field, std::string_view rule) {
    if (!ok) throw invalid_setting(field, rule);
}

/// Throws invalid_input(where, rule) unless `ok`.
inline void require_input(bool ok, std::string_view where, std::string_view rule) {
    if (!ok) throw invalid_input(where, rule);
}

}  // namespace detail
}  // namespace autolrs
