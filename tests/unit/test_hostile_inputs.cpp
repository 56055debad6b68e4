// Issue 18: hostile state files and extreme settings. Each numbered case of the issue ends in
// a named autolrs error (invalid_setting, invalid_input, invalid_state, protocol_error,
// trainer_error) or a correct run; nothing is corrupted, nothing lost. Run under ASan + UBSan
// in CI (the asan preset): a case that wrote past a buffer or overflowed fails there.
#include <autolrs/autolrs.hpp>

#include "../fuzz/harness.hpp"
#include "catch.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

/// The issue's settings: {.lr_min = 1e-3, .lr_max = 10, .total_steps = 400}.
autolrs::controller_settings issue_settings() { return {.lr_min = 1e-3, .lr_max = 10.0, .total_steps = 400}; }

/// A trainer whose loss falls slowly whatever the LR (so that extreme LR intervals run a
/// normal course), recording every LR it is given.
struct steady_trainer {
    using checkpoint_type = double;
    double state = 1.0;
    double lr = 0.0;
    std::vector<double> lrs;
    void set_learning_rate(double v) { lr = v; }
    double train_step() {
        lrs.push_back(lr);
        state *= 0.999;
        return state;
    }
    double validation_loss() const { return state; }
    checkpoint_type checkpoint() const { return state; }
    void restore(const checkpoint_type& c) { state = c; }
};

/// Carries out directives until `stop(ctl)` holds (or done); returns the controller's state then.
template <class Controller>
std::string drive_until(Controller& ctl, const std::function<bool(const Controller&)>& stop, std::size_t limit = 100000) {
    autolrs_fuzz::toy_trainer trainer;
    autolrs::directive_executor host(trainer, ctl);
    for (std::size_t i = 0; i < limit && ctl.pending().kind != autolrs::directive_kind::done && !stop(ctl); ++i) {
        host.carry_out(ctl);
    }
    return ctl.save();
}

/// `text` with the line of `key` replaced by "key value".
std::string with_line(const std::string& text, const std::string& key, const std::string& value) {
    std::string out = text;
    const std::size_t at = out.find("\n" + key + " ");
    REQUIRE(at != std::string::npos);
    const std::size_t end = out.find('\n', at + 1);
    out.replace(at + 1, end - at - 1, key + " " + value);
    return out;
}

/// The value words of `key`'s line.
std::vector<std::string> line_words(const std::string& text, const std::string& key) {
    const std::size_t at = text.find("\n" + key + " ");
    REQUIRE(at != std::string::npos);
    std::istringstream in(text.substr(at + 1, text.find('\n', at + 1) - at - 1));
    std::vector<std::string> words;
    std::string w;
    in >> w;
    while (in >> w) words.push_back(w);
    return words;
}

/// `load(text)` must throw invalid_state and leave the controller as it was.
template <class Controller>
void require_refused(Controller& ctl, const std::string& text) {
    const std::string before = ctl.save();
    CHECK_THROWS_AS(ctl.load(text), autolrs::invalid_state);
    CHECK(ctl.save() == before);
}

bool any_event(std::span<const autolrs::event> events, autolrs::event_kind kind) {
    for (const auto& e : events) {
        if (e.kind == kind) return true;
    }
    return false;
}

/// Every train directive of a whole run: finite, > 0, <= lr_max, >= lr_min before the cooldown.
template <class Controller>
void require_sane_lrs(Controller& ctl, bool cooldown = false, std::size_t max_directives = 200000) {
    const autolrs::controller_settings& s = ctl.settings();
    steady_trainer trainer;
    autolrs::directive_executor host(trainer, ctl);
    for (auto& slot : host.slots()) slot = trainer.state;  // a loaded state may restore
    cooldown = cooldown || any_event(ctl.events(), autolrs::event_kind::cooldown_start);
    std::size_t n = 0;
    for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done && n < max_directives; ++n) {
        if (d.kind == autolrs::directive_kind::train) {
            INFO("directive " << n << " lr " << d.learning_rate);
            REQUIRE(std::isfinite(d.learning_rate));
            REQUIRE(d.learning_rate > 0.0);
            REQUIRE(d.learning_rate <= s.lr_max);
            if (!cooldown) REQUIRE(d.learning_rate >= s.lr_min);
        }
        d = host.carry_out(ctl);
        if (any_event(ctl.events(), autolrs::event_kind::cooldown_start)) cooldown = true;
    }
}

template <class F>
autolrs::invalid_setting setting_error(F&& f) {
    try {
        f();
    } catch (const autolrs::invalid_setting& e) {
        return e;
    }
    FAIL("no autolrs::invalid_setting");
    return autolrs::invalid_setting("", "");
}

}  // namespace

// ---- 1. memory corruption from a crafted state -----------------------------------------------

TEST_CASE("hostile 1: tau_prime, horizon, probe_steps = 2^64-1 are refused, never written past the window",
          "[hostile][state]") {
    autolrs::controller<> ctl(issue_settings());
    bool checkpointed = false;
    const std::string state = drive_until<autolrs::controller<>>(ctl, [&](const autolrs::controller<>& c) {
        if (checkpointed) return true;
        checkpointed = c.pending().kind == autolrs::directive_kind::checkpoint;
        return false;
    });
    // Now just after the first tell_checkpointed(): a candidate trains.
    REQUIRE(ctl.pending().kind == autolrs::directive_kind::train);
    autolrs::controller<> target(issue_settings());
    const std::string big = std::to_string(u64_max);
    require_refused(target, with_line(with_line(state, "tau_prime", big), "horizon", big));
    require_refused(target, with_line(state, "probe_steps", big));
    require_refused(target, with_line(state, "tau_prime", big));
    require_refused(target, with_line(state, "tau_prime", std::to_string(u64_max - 1)));
    require_refused(target, with_line(state, "horizon", big));
    require_refused(target, with_line(state, "tau", "0"));
    // Unchanged, it loads and plays on.
    REQUIRE_NOTHROW(target.load(state));
}

// ---- 2. learning rate 0 from a one-field edit --------------------------------------------------

TEST_CASE("hostile 2: searched 0, cooldown_lr 0 or subnormal, candidate_lr 0 are refused", "[hostile][state]") {
    autolrs::controller<> fresh(issue_settings());
    const std::string at_construction = fresh.save();
    autolrs::controller<> target(issue_settings());
    require_refused(target, with_line(at_construction, "searched", "0"));

    autolrs::controller<> ctl(issue_settings());
    const std::string candidate = drive_until<autolrs::controller<>>(ctl, [](const autolrs::controller<>& c) {
        return c.pending().kind == autolrs::directive_kind::train && c.steps_total() > 0;
    });
    for (const char* zero : {"0x0p+0", "-0x0p+0", "0x1p-1074"}) {
        INFO(zero);
        require_refused(target, with_line(candidate, "candidate_lr", zero));
    }

    autolrs::controller<> cool(issue_settings());
    const std::string cooldown = drive_until<autolrs::controller<>>(cool, [](const autolrs::controller<>& c) {
        return any_event(c.events(), autolrs::event_kind::cooldown_start);
    });
    REQUIRE(any_event(cool.events(), autolrs::event_kind::cooldown_start));
    for (const char* tiny : {"0x0p+0", "0x1p-1074", "-0x1p+0", "0x1p-20"}) {
        INFO(tiny);
        require_refused(target, with_line(cooldown, "cooldown_lr", tiny));
    }
    REQUIRE_NOTHROW(target.load(cooldown));
    require_sane_lrs(target, true);
}

// ---- 3. loaded, then refused later ------------------------------------------------------------

TEST_CASE("hostile 3: a schedule not starting at 0 or not increasing, a wrong pending slot, are refused at load",
          "[hostile][state]") {
    autolrs::controller<> ctl(issue_settings());
    const std::string mid = drive_until<autolrs::controller<>>(
        ctl, [](const autolrs::controller<>& c) { return c.schedule_rows().size() >= 3; });
    REQUIRE(ctl.schedule_rows().size() >= 3);
    autolrs::controller<> target(issue_settings());
    std::vector<std::string> rows = line_words(mid, "schedule");  // count, then start lr pairs
    const auto schedule_with = [&](std::size_t word, const std::string& value) {
        std::vector<std::string> w = rows;
        w[word] = value;
        std::string joined;
        for (const auto& x : w) joined += (joined.empty() ? "" : " ") + x;
        return with_line(mid, "schedule", joined);
    };
    require_refused(target, schedule_with(1, "1"));
    require_refused(target, schedule_with(1, "2"));
    require_refused(target, schedule_with(3, rows[5]));  // the second row starts where the third does
    require_refused(target, schedule_with(3, "0"));      // ... where the first does
    REQUIRE_NOTHROW(target.load(mid));
    CHECK_NOTHROW(target.found_schedule());

    // pending_slot 1 at a stage start (the checkpoint of slot 0).
    autolrs::controller<> start(issue_settings());
    const std::string at_start = start.save();
    REQUIRE(start.pending().kind == autolrs::directive_kind::checkpoint);
    require_refused(target, with_line(at_start, "pending_slot", "1"));
}

// ---- 4. settings whose derived quantities overflowed --------------------------------------------

TEST_CASE("hostile 4: growth 1e20 saturates at tau_max; extreme LR intervals never give LR inf or 0",
          "[hostile][settings]") {
    {
        autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 10.0, .total_steps = 0, .tau0 = 10, .growth = 1e20,
                                   .tau_max = 1000});
        drive_until<autolrs::controller<>>(ctl, [](const autolrs::controller<>& c) { return c.stages() >= 3; });
        CHECK(ctl.stages() >= 3);
        const std::string state = ctl.save();
        CHECK(line_words(state, "tau")[0] == "1000");
    }
    for (const auto& [lo, hi] : {std::pair{1e200, 1e300}, std::pair{1e-200, 1e-180}, std::pair{1e-300, 1e300}}) {
        INFO("lr_min " << lo << " lr_max " << hi);
        autolrs::controller<> warm({.lr_min = lo, .lr_max = hi, .total_steps = 400, .warmup_steps = 30});
        require_sane_lrs(warm);
        autolrs::controller<> seven({.lr_min = lo, .lr_max = hi, .total_steps = 7});
        require_sane_lrs(seven);
        CHECK(seven.steps_total() == 7);
    }
}

// ---- 5. huge sizes -------------------------------------------------------------------------------

TEST_CASE("hostile 5: huge sizes are refused by name or run in bounded memory", "[hostile][settings]") {
    const auto field_of = [](autolrs::controller_settings s) {
        return setting_error([&] { autolrs::controller<> ctl(s); }).field();
    };
    auto s = issue_settings();
    s.total_steps = u64_max;
    CHECK(field_of(s) == "total_steps");
    s = issue_settings();
    s.candidates = 0xffffffffU;
    CHECK(field_of(s) == "candidates");
    s = issue_settings();
    s.tau0 = u64_max;
    CHECK(field_of(s) == "tau0");
    s = issue_settings();
    s.tau_max = u64_max;
    CHECK(field_of(s) == "tau_max");
    s = issue_settings();
    s.tau_max = 1ULL << 40;  // its window would not fit max_window
    CHECK(field_of(s) == "tau_max");
    s = {.lr_min = 1e-3, .lr_max = 10.0, .warmup_steps = u64_max};
    CHECK(field_of(s) == "warmup_steps");

    // Accepted: memory bounded whatever the budget (the automatic tau_max is capped).
    const std::uint64_t cap = autolrs::detail::longest_stage_for_window(0.1, 0.5);
    for (const std::uint64_t total : std::initializer_list<std::uint64_t>{1ULL << 32, (1ULL << 32) - 1, 1ULL << 40, 1ULL << 53}) {
        INFO("total_steps " << total);
        autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 10.0, .total_steps = total});
        CHECK(ctl.longest_stage_length() <= cap);
        drive_until<autolrs::controller<>>(ctl, [](const autolrs::controller<>& c) { return c.steps_total() >= 50; });
        CHECK(ctl.steps_total() == 50);
    }
    {
        autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 10.0, .warmup_steps = 1ULL << 40});
        drive_until<autolrs::controller<>>(ctl, [](const autolrs::controller<>& c) { return c.steps_total() >= 50; });
        CHECK(ctl.steps_total() == 50);
    }
    {
        // The largest budget: the cooldown is 0.9 of it, exactly, not 2^63.
        autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 10.0, .total_steps = 1ULL << 53, .cooldown_fraction = 0.9});
        CHECK(ctl.cooldown_steps() == static_cast<std::uint64_t>(std::llround(0.9 * std::ldexp(1.0, 53))));
        CHECK(ctl.cooldown_steps() < ctl.settings().total_steps);
    }
}

// ---- 6. run_resumable never overwrites what it could not read ---------------------------------------

namespace {

struct steady_codec {
    void save(std::ostream& os, const double& c) const { os << autolrs::detail::exact_text(c); }
    double load(std::istream& is) const {
        std::string w;
        is >> w;
        return std::strtod(w.c_str(), nullptr);
    }
};

std::filesystem::path scratch(const std::string& name) {
    static const std::string unique = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    const auto dir = std::filesystem::temp_directory_path() / ("autolrs_hostile_" + unique);
    std::filesystem::create_directories(dir);
    return dir / name;
}

}  // namespace

TEST_CASE("hostile 6: an unreadable state or a directory is a named error, nothing overwritten; stale .tmp removed",
          "[hostile][resume]") {
    const auto s = issue_settings();
    {
        const auto dir = scratch("a_directory");
        std::filesystem::create_directories(dir);
        std::filesystem::create_directories(dir / "inside");
        steady_trainer t;
        autolrs::controller<> ctl(s);
        CHECK_THROWS_AS(autolrs::run_resumable(t, ctl, steady_codec{}, {.path = dir, .on_resume = {}}, [](const autolrs::event&) {}),
                        autolrs::invalid_state);
        CHECK(std::filesystem::is_directory(dir / "inside"));  // nothing removed
        CHECK(t.lrs.empty());                                   // nothing trained
    }
#if __has_include(<unistd.h>)
    if (::geteuid() != 0) {  // root reads a file of mode 000: then the case cannot be set up
        const auto file = scratch("unreadable.state");
        {
            std::ofstream out(file);
            out << "precious";
        }
        std::filesystem::permissions(file, std::filesystem::perms::none);
        steady_trainer t;
        autolrs::controller<> ctl(s);
        try {
            autolrs::run_resumable(t, ctl, steady_codec{}, {.path = file, .on_resume = {}}, [](const autolrs::event&) {});
            FAIL("an unreadable state file was taken for absent");
        } catch (const autolrs::invalid_state& e) {
            CHECK(std::string(e.what()).find("cannot be read") != std::string::npos);
        }
        std::filesystem::permissions(file, std::filesystem::perms::owner_all);
        std::ifstream in(file);
        std::string text;
        in >> text;
        CHECK(text == "precious");
        CHECK(t.lrs.empty());
    } else {
        WARN("running as root: the mode-000 case is not set up (root reads it)");
    }
#endif
    {
        const auto file = scratch("stale.state");
        std::filesystem::remove(file);
        auto tmp = file;
        tmp += ".tmp";
        {
            std::ofstream out(tmp);
            out << "half a state";
        }
        steady_trainer t;
        autolrs::controller<> ctl(s);
        const auto r = autolrs::run_resumable(t, ctl, steady_codec{}, {.path = file, .on_resume = {}}, [](const autolrs::event&) {});
        CHECK(r.steps_total == s.total_steps);
        CHECK_FALSE(std::filesystem::exists(tmp));
        CHECK(std::filesystem::exists(file));
        // Started again: done, and a stale .tmp left meanwhile is removed too (no save follows).
        {
            std::ofstream out(tmp);
            out << "half a state";
        }
        steady_trainer again;
        autolrs::controller<> ctl2(s);
        autolrs::run_resumable(again, ctl2, steady_codec{}, {.path = file, .on_resume = {}}, [](const autolrs::event&) {});
        CHECK(ctl2.finished());
        CHECK_FALSE(std::filesystem::exists(tmp));
    }
    std::filesystem::remove_all(scratch("").parent_path());
}

// ---- 7. out-of-range enumerations ------------------------------------------------------------------

TEST_CASE("hostile 7: out-of-range enum values are refused, in settings and in a state", "[hostile][settings]") {
    auto s = issue_settings();
    s.signal = static_cast<autolrs::loss_signal>(7);
    CHECK(setting_error([&] { s.validate(); }).field() == "signal");
    s = issue_settings();
    s.warmup_shape = static_cast<autolrs::ramp_shape>(9);
    CHECK(setting_error([&] { s.validate(); }).field() == "warmup_shape");
    s = issue_settings();
    s.cooldown_shape = static_cast<autolrs::ramp_shape>(9);
    CHECK(setting_error([&] { s.validate(); }).field() == "cooldown_shape");

    autolrs::controller<> ctl(issue_settings());
    const std::string state = ctl.save();
    for (const char* v : {"16", "258", "300", "18446744073709551615"}) {
        INFO("wait " << v);
        require_refused(ctl, with_line(state, "wait", v));
    }
    require_refused(ctl, with_line(state, "pending_kind", "261"));
}

// ---- 8. policies are part of the header --------------------------------------------------------------

TEST_CASE("hostile 8: a state saved by a controller with other policies is refused", "[hostile][state]") {
    const auto s = issue_settings();
    autolrs::controller<> plain(s);
    const std::string state = plain.save();
    const auto refused_by = [&](auto&& other) {
        try {
            other.load(state);
        } catch (const autolrs::invalid_state& e) {
            return std::string(e.what()).find("other policies") != std::string::npos;
        }
        return false;
    };
    CHECK(refused_by(autolrs::controller<autolrs::gaussian_process<autolrs::matern32>>(s)));
    CHECK(refused_by(autolrs::controller<autolrs::gaussian_process<autolrs::matern52>, autolrs::lower_confidence_bound>(s)));
    CHECK(refused_by(autolrs::controller<autolrs::power_law_forecaster>(s)));
    // The same policies, spelled out: loads.
    autolrs::controller<autolrs::gaussian_process<autolrs::matern52>> same(s);
    CHECK_NOTHROW(same.load(state));
}

// ---- 9. run() again after a trainer_error ------------------------------------------------------------

namespace {

struct failing_once_trainer : steady_trainer {
    std::string fail_op;
    int fail_at = -1;
    int calls = 0;
    void maybe_fail(const char* op) {
        if (fail_op == op && calls++ == fail_at) throw std::runtime_error("device lost");
    }
    void set_learning_rate(double v) {
        maybe_fail("set_learning_rate");
        steady_trainer::set_learning_rate(v);
    }
    double train_step() {
        maybe_fail("train_step");
        return steady_trainer::train_step();
    }
    double validation_loss() {
        maybe_fail("validation_loss");
        return steady_trainer::validation_loss();
    }
    checkpoint_type checkpoint() {
        maybe_fail("checkpoint");
        return steady_trainer::checkpoint();
    }
    void restore(const checkpoint_type& c) {
        if (fail_op == "restore" && calls++ == fail_at) {
            state = 12345.0;  // half restored: the trainer holds neither state
            throw std::runtime_error("device lost");
        }
        steady_trainer::restore(c);
    }
};

autolrs::controller_settings retry_settings() {
    return {.lr_min = 1e-3, .lr_max = 10.0, .total_steps = 400, .signal = autolrs::loss_signal::validation};
}

}  // namespace

TEST_CASE("hostile 9: run() after a trainer_error: with the same executor it goes on exactly; without, refused at once",
          "[hostile][run]") {
    std::vector<std::string> clean_events;
    failing_once_trainer clean_trainer;
    autolrs::controller<> clean(retry_settings());
    autolrs::run(clean_trainer, clean, [&](const autolrs::event& e) { clean_events.push_back(std::string(autolrs::to_string(e.kind))); });
    int refused = 0, continued = 0;
    for (const char* op : {"set_learning_rate", "train_step", "validation_loss", "checkpoint", "restore"}) {
        for (const int at : {0, 1, 3, 7, 20, 60}) {
            INFO(op << " fails at its call " << at);
            // Retried with the executor that holds the slots: the same run as without the fault.
            {
                failing_once_trainer t;
                t.fail_op = op;
                t.fail_at = at;
                autolrs::controller<> ctl(retry_settings());
                autolrs::directive_executor host(t, ctl);
                std::vector<std::string> events;
                const auto log = [&](const autolrs::event& e) { events.push_back(std::string(autolrs::to_string(e.kind))); };
                try {
                    autolrs::run(host, ctl, log);
                } catch (const autolrs::trainer_error&) {
                    autolrs::run(host, ctl, log);
                }
                CHECK(ctl.finished());
                CHECK(ctl.save() == clean.save());
                CHECK(events == clean_events);
                CHECK(t.state == clean_trainer.state);
            }
            // run(trainer, ctl) again: goes on correctly at a stage boundary, else refuses before any call.
            {
                failing_once_trainer t;
                t.fail_op = op;
                t.fail_at = at;
                autolrs::controller<> ctl(retry_settings());
                try {
                    autolrs::run(t, ctl);
                    continue;  // never failed
                } catch (const autolrs::trainer_error&) {
                }
                const std::size_t calls_before = t.lrs.size();
                const double state_before = t.state;
                try {
                    autolrs::run(t, ctl);
                    ++continued;
                    CHECK(ctl.finished());
                } catch (const autolrs::protocol_error& e) {
                    ++refused;
                    CHECK(std::string(e.what()).find("directive_executor") != std::string::npos);
                    CHECK(t.lrs.size() == calls_before);  // refused before any trainer call
                    CHECK(t.state == state_before);
                }
            }
        }
    }
    CHECK(refused > 0);
    CHECK(continued > 0);
}

// ---- 10. fixed schedules and the LR range test ---------------------------------------------------------

TEST_CASE("hostile 10: cosine restarts with a huge multiplier restart at lr_max; extreme LR range tests",
          "[hostile][schedule]") {
    for (const double m : {1.5, 1e10, 1e100, 1e308}) {
        INFO("period_multiplier " << m);
        const autolrs::schedule::cosine c({.lr_max = 1.0, .period = 10, .lr_min = 0.01, .restarts = true,
                                            .period_multiplier = m});
        CHECK(c(0) == 1.0);
        CHECK(c(10) == Approx(1.0));  // the restart
        for (const std::uint64_t step : std::initializer_list<std::uint64_t>{0, 5, 9, 10, 11, 1000, std::uint64_t{1} << 40, u64_max}) {
            const double lr = c(step);
            CHECK(std::isfinite(lr));
            CHECK(lr >= 0.01 * (1 - 1e-12));
            CHECK(lr <= 1.0);
        }
    }
    const autolrs::schedule::cosine huge({.lr_max = 1.0, .period = 10, .lr_min = 0.0, .restarts = true,
                                           .period_multiplier = 1e308});
    CHECK(huge(1000) > 0.99);  // the second cycle, 1e309 steps long, has just begun

    steady_trainer t;
    CHECK(setting_error([&] { (void)autolrs::lr_range_test(t, {.lr_start = 5e-324}); }).field() == "lr_start");
    CHECK(setting_error([&] { (void)autolrs::lr_range_test(t, {.lr_start = 1e-310}); }).field() == "lr_start");
    for (const auto& [a, b] : {std::pair{1e-200, 1e200}, std::pair{std::numeric_limits<double>::min(), 1e308},
                               std::pair{1e-300, 1e-299}}) {
        INFO("sweep " << a << " .. " << b);
        steady_trainer sweep;
        const autolrs::lr_range_test_result r = autolrs::lr_range_test(sweep, {.lr_start = a, .lr_end = b});
        REQUIRE_FALSE(sweep.lrs.empty());
        for (const double lr : sweep.lrs) {
            REQUIRE(std::isfinite(lr));
            REQUIRE(lr >= a);
            REQUIRE(lr <= b);
        }
        CHECK(std::isfinite(r.lr_min));
        CHECK(std::isfinite(r.lr_max));
        CHECK(r.lr_min > 0.0);
        CHECK(r.lr_min < r.lr_max);
        CHECK_NOTHROW(autolrs::controller_settings{.lr_min = r.lr_min, .lr_max = r.lr_max}.validate());
    }
}
