#pragma once
// The exceptions autolrs throws. Settings are validated once, at construction;
// the message names the field and the rule it broke.

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

/// A saved state could not be loaded (wrong format, version or settings, damaged data).
class invalid_state : public std::runtime_error {
public:
    explicit invalid_state(std::string_view what)
        : std::runtime_error("autolrs: cannot load state: " + std::string(what)) {}
};

namespace detail {

/// Throws invalid_setting(field, rule) unless `ok`.
inline void require_setting(bool ok, std::string_view field, std::string_view rule) {
    if (!ok) throw invalid_setting(field, rule);
}

}  // namespace detail
}  // namespace autolrs
