#pragma once
// Saving and loading the controller's state: every part lists its own fields once, in a
// visit_state(visitor) member, and the same list writes and reads them (the visitor is a
// state_saver or a state_loader). A field added next to its use is saved and loaded.

#include "autolrs/controller/state_text.hpp"
#include "autolrs/errors.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace autolrs::detail {

/// Writes fields as `key value...` lines (doubles as hex floats: exact).
struct state_saver {
    static constexpr bool loading = false;
    state_text_writer& w;

    template <class T>
    void put(const T& v) {
        static_assert(std::is_same_v<T, double> || std::is_same_v<T, bool> || std::is_enum_v<T> ||
                          (std::is_unsigned_v<T> && sizeof(T) >= 4),
                      "state_saver: a saved field is a double, a bool, an enum or an unsigned 32/64-bit integer");
        if constexpr (std::is_same_v<T, double>) {
            w.put(v);
        } else {
            w.put(static_cast<std::uint64_t>(v));
        }
    }
    template <class T>
    void value(std::string_view key, const T& v) {
        w.begin(key);
        put(v);
        w.end();
    }
    /// `each(io, item)` calls io(member) for each member of an item.
    template <class R, class F>
    void list(std::string_view key, const std::vector<R>& items, F each) {
        w.begin(key);
        w.put(static_cast<std::uint64_t>(items.size()));
        for (const R& item : items) each([&](const auto& m) { put(m); }, item);
        w.end();
    }
    /// The first `count` items of a fixed-capacity buffer.
    void prefix(std::string_view key, const std::vector<double>& items, const std::size_t& count) {
        w.begin(key);
        w.put(static_cast<std::uint64_t>(count));
        for (std::size_t i = 0; i < count; ++i) w.put(items[i]);
        w.end();
    }
    template <std::size_t N>
    void array(std::string_view key, const std::array<double, N>& items) {
        w.begin(key);
        for (const double v : items) w.put(v);
        w.end();
    }
};

/// Reads what state_saver wrote, in the same order; a damaged line throws invalid_state.
struct state_loader {
    static constexpr bool loading = true;
    state_text_reader& r;

    template <class T>
    void get(T& v) {
        if constexpr (std::is_same_v<T, double>) {
            v = r.get_double();
        } else if constexpr (std::is_same_v<T, bool>) {
            v = r.get_bool();
        } else if constexpr (std::is_enum_v<T>) {
            // Out of the underlying type's range is damage (a cast would wrap it into range);
            // the parts check the enumerators themselves.
            const std::uint64_t n = r.get_u64();
            if (n > static_cast<std::uint64_t>(std::numeric_limits<std::underlying_type_t<T>>::max())) {
                throw invalid_state("an enumeration value " + std::to_string(n) + " out of range");
            }
            v = static_cast<T>(n);
        } else if constexpr (sizeof(T) == 4) {
            v = r.get_u32();
        } else {
            v = static_cast<T>(r.get_u64());
        }
    }
    template <class T>
    void value(std::string_view key, T& v) {
        r.expect(key);
        get(v);
        r.finish_line();
    }
    template <class R, class F>
    void list(std::string_view key, std::vector<R>& items, F each) {
        r.expect(key);
        const std::uint64_t n = length(key);
        // Grown item by item: a damaged count cannot allocate more than the line holds.
        items.clear();
        for (std::uint64_t i = 0; i < n; ++i) each([&](auto& m) { get(m); }, items.emplace_back());
        r.finish_line();
    }
    /// Into a buffer whose capacity the controller fixed: a longer list is damage.
    void prefix(std::string_view key, std::vector<double>& items, std::size_t& count) {
        r.expect(key);
        const std::uint64_t n = length(key);
        if (n >= items.size()) throw invalid_state("'" + std::string(key) + "' is longer than this controller's buffer");
        count = static_cast<std::size_t>(n);
        for (std::size_t i = 0; i < count; ++i) items[i] = r.get_double();
        r.finish_line();
    }
    template <std::size_t N>
    void array(std::string_view key, std::array<double, N>& items) {
        r.expect(key);
        for (double& v : items) v = r.get_double();
        r.finish_line();
    }

private:
    std::uint64_t length(std::string_view key) {
        const std::uint64_t n = r.get_u64();
        if (n > (1ULL << 32)) throw invalid_state("'" + std::string(key) + "' is too long");
        return n;
    }
};

/// Throws invalid_state("inconsistent state: what") unless `ok`: a loaded state must be one
/// the controller could have reached.
inline void require_state(bool ok, const char* what) {
    if (!ok) throw invalid_state(std::string("inconsistent state: ") + what);
}

}  // namespace autolrs::detail
