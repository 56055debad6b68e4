#pragma once
// A small line-based text format for saved controller states: every line is
// `key value...`; doubles are written as C99 hex floats ("%a") so they round-trip exactly.
// The layer under state_io.hpp (each part's fields) and state_file.hpp (the run's file).

#include "autolrs/errors.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <istream>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace autolrs::detail {

class state_text_writer {
public:
    explicit state_text_writer(std::ostream& os) : os_(os) {}

    void begin(std::string_view key) { os_ << key; }
    void end() { os_ << '\n'; }
    void put(std::uint64_t v) { os_ << ' ' << v; }
    void put(double v) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, " %a", v);
        os_ << buffer;
    }
    void put(std::string_view word) { os_ << ' ' << word; }

    template <class... Values>
    void line(std::string_view key, Values... values) {
        begin(key);
        (put(values), ...);
        end();
    }

private:
    std::ostream& os_;
};

class state_text_reader {
public:
    explicit state_text_reader(std::istream& is) : is_(is) {}

    /// Reads the next line and checks that it starts with `key`.
    void expect(std::string_view key) {
        std::string text;
        if (!std::getline(is_, text)) throw invalid_state("the state ends before '" + std::string(key) + "'");
        line_.clear();
        line_.str(text);
        std::string word;
        line_ >> word;
        if (word != key) throw invalid_state("expected '" + std::string(key) + "', found '" + word + "'");
        key_ = key;
    }
    /// Reads the next line and returns its key and the rest of its words.
    std::vector<std::string> words() {
        std::string text;
        if (!std::getline(is_, text)) throw invalid_state("the state ends early");
        std::istringstream in(text);
        std::vector<std::string> out;
        std::string word;
        while (in >> word) out.push_back(word);
        return out;
    }
    std::uint64_t get_u64() {
        const std::string word = next_word();
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(word.c_str(), &end, 10);
        if (errno != 0 || end == word.c_str() || *end != '\0' || word[0] == '-') bad(word);
        return static_cast<std::uint64_t>(v);
    }
    std::uint32_t get_u32() {
        const std::uint64_t v = get_u64();
        if (v > 0xffffffffULL) bad(std::to_string(v));
        return static_cast<std::uint32_t>(v);
    }
    bool get_bool() {
        const std::uint64_t v = get_u64();
        if (v > 1) bad(std::to_string(v));
        return v == 1;
    }
    double get_double() {
        const std::string word = next_word();
        char* end = nullptr;
        const double v = std::strtod(word.c_str(), &end);
        if (end == word.c_str() || *end != '\0') bad(word);
        return v;
    }
    std::string get_word() { return next_word(); }
    /// Checks that the current line has nothing left.
    void finish_line() {
        std::string word;
        if (line_ >> word) throw invalid_state("unexpected '" + word + "' after '" + key_ + "'");
    }

private:
    std::string next_word() {
        std::string word;
        if (!(line_ >> word)) throw invalid_state("'" + key_ + "' has too few values");
        return word;
    }
    [[noreturn]] void bad(const std::string& word) const {
        throw invalid_state("'" + key_ + "' has a bad value '" + word + "'");
    }

    std::istream& is_;
    std::istringstream line_;
    std::string key_;
};

}  // namespace autolrs::detail
