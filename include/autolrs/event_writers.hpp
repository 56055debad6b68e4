#pragma once
// Writers for controller events: CSV (one header line, one row per event) and JSON Lines
// (one object per line). Usable directly as run() observers:
//   std::ofstream log("events.jsonl");
//   autolrs::run(trainer, settings, steps, autolrs::json_lines_event_writer(log));

#include "autolrs/event.hpp"

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <ostream>
#include <string_view>
#include <utility>

namespace autolrs {

namespace detail {

inline void write_number(std::ostream& os, double v, std::string_view missing) {
    if (!std::isfinite(v)) {
        os << missing;
        return;
    }
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);  // round-trips a double
    os << buffer;
}

inline void write_json_string(std::ostream& os, std::string_view text) {
    os << '"';
    for (const char c : text) {
        switch (c) {
            case '"': os << "\\\""; break;
            case '\\': os << "\\\\"; break;
            case '\n': os << "\\n"; break;
            case '\r': os << "\\r"; break;
            case '\t': os << "\\t"; break;
            case '\b': os << "\\b"; break;
            case '\f': os << "\\f"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    os << buffer;
                } else {
                    os << c;
                }
        }
    }
    os << '"';
}

/// RFC 4180: quote a field holding a comma, quote or line break; double its quotes.
inline void write_csv_string(std::ostream& os, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        os << text;
        return;
    }
    os << '"';
    for (const char c : text) {
        if (c == '"') os << '"';
        os << c;
    }
    os << '"';
}

}  // namespace detail

/// The CSV header matching write_csv_row.
inline void write_csv_header(std::ostream& os) {
    os << "kind,step,stage,candidate,candidates,learning_rate,loss,forecast,stddev,expected_gain,loss_scale,status,"
          "length,message\n";
}

/// One CSV row, the columns of write_csv_header (autolrs::event's fields, in order); doubles
/// that do not apply are empty.
inline void write_csv_row(std::ostream& os, const event& e) {
    os << to_string(e.kind) << ',' << e.step << ',' << e.stage << ',' << e.candidate << ',' << e.candidates << ',';
    for (const double v : {e.learning_rate, e.loss, e.forecast, e.stddev, e.expected_gain, e.loss_scale}) {
        detail::write_number(os, v, "");
        os << ',';
    }
    if (std::isfinite(e.forecast)) os << to_string(e.status);
    os << ',' << e.length << ',';
    detail::write_csv_string(os, e.message);
    os << '\n';
}

/// One JSON object on one line, a member per field of autolrs::event (the CSV's columns);
/// doubles that do not apply are null.
inline void write_json_line(std::ostream& os, const event& e) {
    os << "{\"kind\":\"" << to_string(e.kind) << "\",\"step\":" << e.step << ",\"stage\":" << e.stage
       << ",\"candidate\":" << e.candidate << ",\"candidates\":" << e.candidates;
    const std::pair<const char*, double> numbers[] = {
        {"learning_rate", e.learning_rate}, {"loss", e.loss}, {"forecast", e.forecast}, {"stddev", e.stddev},
        {"expected_gain", e.expected_gain}, {"loss_scale", e.loss_scale}};
    for (const auto& [name, v] : numbers) {
        os << ",\"" << name << "\":";
        detail::write_number(os, v, "null");
    }
    os << ",\"status\":";
    if (std::isfinite(e.forecast)) {
        detail::write_json_string(os, to_string(e.status));
    } else {
        os << "null";
    }
    os << ",\"length\":" << e.length << ",\"message\":";
    detail::write_json_string(os, e.message);
    os << "}\n";
}

/// An observer that writes every event as a CSV row (the header first).
class csv_event_writer {
public:
    explicit csv_event_writer(std::ostream& os, bool header = true) : os_(&os) {
        if (header) write_csv_header(os);
    }
    void operator()(const event& e) const { write_csv_row(*os_, e); }

private:
    std::ostream* os_;
};

/// An observer that writes every event as one JSON Lines record.
class json_lines_event_writer {
public:
    explicit json_lines_event_writer(std::ostream& os) : os_(&os) {}
    void operator()(const event& e) const { write_json_line(*os_, e); }

private:
    std::ostream* os_;
};

}  // namespace autolrs
