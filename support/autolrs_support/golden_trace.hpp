#pragma once
// Golden traces: every directive a controller hands out, every event it reports and every
// answer the host gave, as exact text (doubles as hex floats). A trace recorded from one
// version of the controller and replayed through another (the answers fed back in the same
// order) must give the same text, line for line: that is what "behaviour preserved" means.
//
//   autolrs-golden-trace 1 <scenario>
//   E <kind> <step> <stage> <candidate> <candidates> <lr> <loss> <forecast> <stddev> <expected_gain>
//     <loss_scale> <status> <length> <message>      (one line: every field of autolrs::event)
//   D <kind> <lr> <slot>          the pending directive
//   A [<loss> <applied>]          the host's answer (a loss for train and evaluate)

#include <autolrs/autolrs.hpp>

#include <cstdint>
#include <cstdio>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace autolrs_support {

inline std::string hex(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", v);
    return buffer;
}

inline void write_events(std::ostream& out, std::span<const autolrs::event> events) {
    for (const autolrs::event& e : events) {
        out << "E " << autolrs::to_string(e.kind) << ' ' << e.step << ' ' << e.stage << ' ' << e.candidate << ' '
            << e.candidates << ' ' << hex(e.learning_rate) << ' ' << hex(e.loss) << ' ' << hex(e.forecast) << ' '
            << hex(e.stddev) << ' ' << hex(e.expected_gain) << ' ' << hex(e.loss_scale) << ' '
            << autolrs::to_string(e.status) << ' ' << e.length << ' ' << e.message << '\n';
    }
}

inline void write_directive(std::ostream& out, const autolrs::directive& d) {
    out << "D " << autolrs::to_string(d.kind) << ' ' << hex(d.learning_rate) << ' ' << d.slot << '\n';
}

/// Wraps a controller so that every call is written to `out` as a golden trace; satisfies
/// autolrs::ask_tell_controller, so autolrs::run can drive it.
template <class Controller>
class traced_controller {
public:
    static constexpr std::uint32_t slot_count = Controller::slot_count;

    traced_controller(Controller& inner, std::ostream& out, std::string_view scenario) : inner_(inner), out_(out) {
        out_ << "autolrs-golden-trace 1 " << scenario << '\n';
        after_call();
    }

    [[nodiscard]] const autolrs::directive& pending() const noexcept { return inner_.pending(); }
    [[nodiscard]] std::span<const autolrs::event> events() const noexcept { return inner_.events(); }

    autolrs::directive tell_step(double loss, bool applied = true) {
        out_ << "A " << hex(loss) << ' ' << (applied ? 1 : 0) << '\n';
        inner_.tell_step(loss, applied);
        return after_call();
    }
    autolrs::directive tell_checkpointed() {
        out_ << "A\n";
        inner_.tell_checkpointed();
        return after_call();
    }
    autolrs::directive tell_restored() {
        out_ << "A\n";
        inner_.tell_restored();
        return after_call();
    }
    autolrs::directive tell_validation(double loss) {
        out_ << "A " << hex(loss) << " 1\n";
        inner_.tell_validation(loss);
        return after_call();
    }

    [[nodiscard]] decltype(auto) settings() const { return inner_.settings(); }
    [[nodiscard]] std::uint64_t steps_total() const { return inner_.steps_total(); }
    [[nodiscard]] std::uint64_t steps_trained() const { return inner_.steps_trained(); }
    [[nodiscard]] std::uint64_t steps_searched() const { return inner_.steps_searched(); }
    [[nodiscard]] std::uint64_t steps_skipped() const { return inner_.steps_skipped(); }
    [[nodiscard]] std::uint64_t evaluations() const { return inner_.evaluations(); }
    [[nodiscard]] std::uint32_t stages() const { return inner_.stages(); }
    [[nodiscard]] std::uint32_t divergences() const { return inner_.divergences(); }
    [[nodiscard]] decltype(auto) schedule_rows() const { return inner_.schedule_rows(); }

private:
    autolrs::directive after_call() {
        write_events(out_, inner_.events());
        write_directive(out_, inner_.pending());
        return inner_.pending();
    }

    Controller& inner_;
    std::ostream& out_;
};

/// One answer of a recorded trace.
struct recorded_answer {
    bool has_loss = false;
    double loss = 0.0;
    bool applied = true;
};

/// The scenario name and the answers of a recorded trace.
struct recorded_trace {
    std::string scenario;
    std::string text;
    std::vector<recorded_answer> answers;
};

inline recorded_trace read_trace(std::istream& in) {
    recorded_trace t;
    std::ostringstream all;
    all << in.rdbuf();
    t.text = all.str();
    std::istringstream lines(t.text);
    std::string line;
    if (!std::getline(lines, line) || line.rfind("autolrs-golden-trace 1 ", 0) != 0)
        throw std::runtime_error("not a golden trace (first line: '" + line + "')");
    t.scenario = line.substr(std::string_view("autolrs-golden-trace 1 ").size());
    while (std::getline(lines, line)) {
        if (line.rfind("S ", 0) == 0) {  // the scenario's settings belong to its header
            t.scenario += '\n' + line;
            continue;
        }
        if (line.empty() || line[0] != 'A') continue;
        recorded_answer a;
        if (line.size() > 2) {
            std::istringstream fields(line.substr(2));
            std::string loss;
            int applied = 1;
            fields >> loss >> applied;
            a.has_loss = true;
            a.loss = std::strtod(loss.c_str(), nullptr);
            a.applied = applied != 0;
        }
        t.answers.push_back(a);
    }
    return t;
}

/// Feeds the recorded answers to `ctl` (built as the scenario was) and returns the trace it
/// writes; equal to the recorded text when the behaviour is preserved.
template <class Controller>
std::string replay_trace(Controller& ctl, const recorded_trace& recorded) {
    std::ostringstream out;
    traced_controller<Controller> traced(ctl, out, recorded.scenario);
    for (const recorded_answer& a : recorded.answers) {
        const autolrs::directive d = traced.pending();
        switch (d.kind) {
            case autolrs::directive_kind::train: traced.tell_step(a.loss, a.applied); break;
            case autolrs::directive_kind::checkpoint: traced.tell_checkpointed(); break;
            case autolrs::directive_kind::restore: traced.tell_restored(); break;
            case autolrs::directive_kind::evaluate: traced.tell_validation(a.loss); break;
            case autolrs::directive_kind::done: return out.str();
        }
    }
    return out.str();
}

/// The first line where two traces differ ("" when they are equal).
inline std::string first_difference(const std::string& expected, const std::string& actual) {
    std::istringstream a(expected), b(actual);
    std::string la, lb;
    for (std::size_t n = 1;; ++n) {
        const bool ha = static_cast<bool>(std::getline(a, la));
        const bool hb = static_cast<bool>(std::getline(b, lb));
        if (!ha && !hb) return {};
        if (!ha || !hb || la != lb) {
            return "line " + std::to_string(n) + ":\n  recorded: " + (ha ? la : "<end>") + "\n  replayed: " + (hb ? lb : "<end>");
        }
    }
}

}  // namespace autolrs_support
