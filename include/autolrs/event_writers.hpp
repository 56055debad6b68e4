#pragma once
// Writers for controller events: CSV (one header line, one row per event) and JSON Lines
// (one object per line). Usable directly as run() observers:
//   std::ofstream log("events.jsonl");
//   autolrs::run(trainer, settings, steps, autolrs::json_lines_event_writer(log));

#include "autolrs/event.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string_view>

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
    os << "kind,step,stage,candidate,learning_rate,loss,forecast,stddev,status,length,message\n";
}

/// One CSV row; fields that do not apply are empty.
inline void write_csv_row(std::ostream& os, const event& e) {
    os << to_string(e.kind) << ',' << e.step << ',' << e.stage << ',' << e.candidate << ',';
    detail::write_number(os, e.learning_rate, "");
    os << ',';
    detail::write_number(os, e.loss, "");
    os << ',';
    detail::write_number(os, e.forecast, "");
    os << ',';
    detail::write_number(os, e.stddev, "");
    os << ',';
    if (std::isfinite(e.forecast)) os << to_string(e.status);
    os << ',' << e.length << ',';
    detail::write_csv_string(os, e.message);
    os << '\n';
}

/// One JSON object on one line; fields that do not apply are null.
inline void write_json_line(std::ostream& os, const event& e) {
    os << "{\"kind\":\"" << to_string(e.kind) << "\",\"step\":" << e.step << ",\"stage\":" << e.stage
       << ",\"candidate\":" << e.candidate << ",\"learning_rate\":";
    detail::write_number(os, e.learning_rate, "null");
    os << ",\"loss\":";
    detail::write_number(os, e.loss, "null");
    os << ",\"forecast\":";
    detail::write_number(os, e.forecast, "null");
    os << ",\"stddev\":";
    detail::write_number(os, e.stddev, "null");
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
