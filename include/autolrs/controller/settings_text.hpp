#pragma once
// The settings a saved state was made under: written as `setting <name> <exact value>` lines
// (visit_settings' order) and checked on load, so that a state is only ever loaded into a
// controller built with the same settings.

#include "autolrs/controller/state_text.hpp"
#include "autolrs/controller_settings.hpp"
#include "autolrs/errors.hpp"

#include <string>

namespace autolrs::detail {

inline void write_settings(state_text_writer& w, const controller_settings& settings) {
    for (const auto& [name, value] : describe(settings)) w.line("setting", name, std::string_view(value));
}

/// Throws invalid_state naming the first setting that differs from `settings`.
inline void check_settings(state_text_reader& r, const controller_settings& settings) {
    for (const auto& [name, value] : describe(settings)) {
        r.expect("setting");
        const std::string saved_name = r.get_word();
        const std::string saved_value = r.get_word();
        r.finish_line();
        if (saved_name != name) throw invalid_state("expected setting '" + std::string(name) + "', found '" + saved_name + "'");
        if (saved_value != value) {
            throw invalid_state("setting '" + std::string(name) + "' differs: saved " + saved_value +
                                ", this controller has " + value);
        }
    }
}

}  // namespace autolrs::detail
