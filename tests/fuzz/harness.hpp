#pragma once
// Checks shared by the libFuzzer targets (clang) and the seeded property tests (any
// compiler): each takes arbitrary bytes, decodes them into hostile inputs, drives the
// library and throws autolrs_fuzz::invariant_violation when an invariant breaks. Any other
// exception escaping a check is a failure too: the documented ones are caught inside.
//
// Invariants:
//  - forecasters: value and stddev finite, stddev >= 0, a known status, same input => same output;
//  - controller::load: arbitrary bytes either load or throw autolrs::invalid_state; a loaded
//    controller then behaves like any other (below);
//  - the controller fed any stream of losses, validation losses and applied/skipped flags:
//    no exception, every train directive's LR finite, positive, <= lr_max and >= lr_min
//    outside the cooldown (which may anneal below lr_min), restores only of slots
//    checkpointed since the current stage began, step counts that add up, a budget never
//    overspent, and save() -> load() reproducing the state exactly.

#include <autolrs/autolrs.hpp>

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace autolrs_fuzz {

class invariant_violation : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

inline void require(bool ok, const std::string& what) {
    if (!ok) throw invariant_violation(what);
}

/// Reads the fuzz bytes; past the end it yields `past_end` (120: a plain loss, an applied
/// step), so every input decodes fully and a run always finishes.
class byte_reader {
public:
    explicit byte_reader(std::span<const std::uint8_t> bytes, std::uint8_t past_end = 120)
        : bytes_(bytes), past_end_(past_end) {}

    [[nodiscard]] bool empty() const noexcept { return pos_ >= bytes_.size(); }
    std::uint8_t u8() noexcept { return empty() ? past_end_ : bytes_[pos_++]; }
    std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    std::uint64_t u64() noexcept {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(u8()) << (8 * i);
        return v;
    }
    double raw_double() noexcept {
        const std::uint64_t bits = u64();
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
    std::uint8_t past_end_;
};

/// A hostile value chosen by `code`, or `normal` (a plausible loss) for most codes.
inline double hostile_value(std::uint8_t code, double normal, byte_reader& in) {
    switch (code) {
        case 240: return std::numeric_limits<double>::quiet_NaN();
        case 241: return std::numeric_limits<double>::infinity();
        case 242: return -std::numeric_limits<double>::infinity();
        case 243: return 0.0;
        case 244: return -normal;
        case 245: return std::numeric_limits<double>::max();
        case 246: return std::numeric_limits<double>::denorm_min();
        case 247: return -std::numeric_limits<double>::max();
        case 248: return normal * 1e6;
        case 249: return normal * 1e-9;
        case 250: return normal + 1e300;
        case 251: return std::numeric_limits<double>::lowest();
        case 252: case 253: case 254: case 255: return in.raw_double();
        default: return normal * (1.0 + (static_cast<double>(code) - 120.0) / 400.0);  // +-30% noise
    }
}

// ---- 1. forecasters on arbitrary windows -----------------------------------------------------

template <class F>
void check_forecaster(const F& f, std::span<const double> window, double horizon, const char* name, bool twice = true) {
    const autolrs::forecast a = f.predict(window, horizon);
    const std::string where = std::string(name) + " (window of " + std::to_string(window.size()) + ", horizon " +
                              std::to_string(horizon) + ")";
    require(std::isfinite(a.value), where + ": non-finite value");
    require(std::isfinite(a.stddev) && a.stddev >= 0.0, where + ": stddev not finite or negative");
    require(static_cast<int>(a.status) >= 0 && a.status <= autolrs::forecast_status::invalid_input,
            where + ": unknown status");
    require(a.non_finite <= window.size(), where + ": more non-finite losses than losses");
    if (!twice) return;
    const autolrs::forecast b = f.predict(window, horizon);
    require(std::memcmp(&a.value, &b.value, sizeof(double)) == 0 &&
                std::memcmp(&a.stddev, &b.stddev, sizeof(double)) == 0 && a.status == b.status,
            where + ": not deterministic");
}

/// Bytes -> a window (a decaying curve with hostile values mixed in, or raw doubles) and a
/// horizon at or beyond its end; one forecaster of the library (chosen by the mode byte)
/// predicts it, and every fourth input predicts it twice (determinism). One forecaster and
/// windows up to 64 points per input keep the target above 1000 inputs/s under ASan + UBSan
/// (a fit of the power law or the reference's exponential costs ~0.5 ms there). The
/// property tests (test_reliability_properties) use this decoder too.
inline void check_forecasters(std::span<const std::uint8_t> bytes) {
    byte_reader in(bytes);
    const std::uint8_t mode = in.u8();
    const std::size_t length = in.u16() % 65;
    const double level = std::ldexp(1.0 + in.u8() / 64.0, static_cast<int>(in.u8() % 80) - 40);
    const double rate = (in.u8() + 1) / 64.0 / static_cast<double>(length + 1);
    std::vector<double> window;
    window.reserve(length);
    for (std::size_t i = 0; i < length; ++i) {
        const double normal = level * (0.2 + std::exp(-rate * static_cast<double>(i)));
        window.push_back((mode & 1) != 0 ? in.raw_double() : hostile_value(in.u8(), normal, in));
    }
    const double beyond = (mode & 2) != 0 ? static_cast<double>(in.u64() % 1000000000ULL) : static_cast<double>(in.u16());
    const double horizon = static_cast<double>(window.size()) + beyond;
    const bool twice = (mode & 0x60) == 0x60;
    switch ((mode >> 3) & 3) {
        case 0: check_forecaster(autolrs::exponential_forecaster{}, window, horizon, "exponential_forecaster", twice); break;
        case 1: check_forecaster(autolrs::power_law_forecaster{}, window, horizon, "power_law_forecaster", twice); break;
        case 2:
            check_forecaster(autolrs::reference_exponential_forecaster({.training_losses = (mode & 4) != 0}), window,
                             horizon, "reference_exponential_forecaster", twice);
            break;
        default: check_forecaster(autolrs::tail_mean_forecaster{}, window, horizon, "tail_mean_forecaster", twice); break;
    }
}

// ---- 2 and 3. the controller --------------------------------------------------------------

/// A cheap deterministic model trained by the directives: v <- (1 - lr)^2 v + lr^2 s, loss
/// 0.5 v (SGD on a quadratic, in expectation); its state is what slots hold.
struct toy_model {
    double v = 1.0;
    void step(double lr) { v = (1.0 - lr) * (1.0 - lr) * v + lr * lr * 0.01; }
    [[nodiscard]] double loss() const { return 0.5 * v; }
};

/// The toy model as an autolrs::trainer: a step at the LR set, reporting the loss after it.
struct toy_trainer {
    using checkpoint_type = double;
    toy_model model;
    double lr = 0.0;

    void set_learning_rate(double v) { lr = v; }
    double train_step() {
        model.step(lr);
        return model.loss();
    }
    [[nodiscard]] double validation_loss() const { return model.loss(); }
    [[nodiscard]] checkpoint_type checkpoint() const { return model.v; }
    void restore(const checkpoint_type& v) { model.v = v; }
};

/// The toy model as an autolrs::trainer whose answers come from the fuzz bytes: each step
/// reads a code that says whether it applies (>= 8; a skipped step leaves the model as it
/// was) and which loss it reports (hostile_value of the model's loss before the step).
struct hostile_toy_trainer {
    using checkpoint_type = double;
    toy_model model;
    byte_reader* in = nullptr;
    double lr = 0.0;
    std::uint64_t applied = 0, skipped = 0;

    void set_learning_rate(double v) { lr = v; }
    autolrs::step_result train_step() {
        const std::uint8_t code = in->u8();
        const bool applies = code >= 8;
        const double loss = hostile_value(code, model.loss(), *in);
        if (applies) {
            model.step(lr);
            ++applied;
        } else {
            ++skipped;
        }
        return {loss, applies};
    }
    double validation_loss() { return hostile_value(in->u8(), model.loss() * 1.05, *in); }
    [[nodiscard]] checkpoint_type checkpoint() const { return model.v; }
    void restore(const checkpoint_type& v) { model.v = v; }
};

/// Settings decoded from three bytes: every signal, keep-winner on/off, warm start, warmup,
/// known and unknown budgets, short stages (a fuzz input must finish quickly: budgets up to
/// 48 steps, 2 or 3 candidates, an unknown budget stopped by play()'s directive limit), and the extreme
/// settings of issue 18 (LR intervals near the ends of the doubles, growth 1e20).
inline autolrs::controller_settings decode_settings(byte_reader& in) {
    const std::uint8_t a = in.u8();
    const std::uint8_t b = in.u8();
    autolrs::controller_settings s;
    s.lr_min = 1e-3;
    s.lr_max = 2.0;
    static constexpr std::uint64_t budgets[] = {0, 16, 32, 48};
    s.total_steps = budgets[a & 3];
    s.signal = static_cast<autolrs::loss_signal>(((a >> 2) & 3) % 3);
    s.keep_winner_state = (a & 16) != 0;
    s.warm_start = (a & 32) != 0;
    s.warmup_steps = (a & 64) != 0 ? 6 : 0;
    s.budget_aware = (a & 128) == 0;
    s.candidates = 2 + (b & 1);
    s.min_candidates = 1 + ((b >> 2) & 1);
    s.initial_design = (b >> 3) & 1 ? 2 : 0;
    s.tau0 = 4 + 2 * ((b >> 4) & 3);
    s.tau_max = 2 * s.tau0;
    s.candidate_fraction = 0.25;
    s.divergence_patience = 1 + ((b >> 6) & 1);
    s.prefer_larger_lr = (b & 128) != 0 ? 0.1 : 0.0;
    s.incumbent_margin = (b & 2) != 0 ? 2.0 : 0.0;
    s.cooldown_final_ratio = (b & 1) != 0 ? 0.0 : 0.1;
    const std::uint8_t c = in.u8();
    s.anneal_probe = (c & 3) * 0.25;
    s.race_fraction = (c & 4) != 0 ? 0.5 : 0.0;
    s.smooth_choice = (c & 8) != 0;
    s.interpolate_choice = ((c ^ (b >> 6)) & 1) != 0;  // no free bit left: on or off with every probe length
    s.search_below_incumbent = ((c ^ (b >> 5)) & 2) != 0;  // the same: mixed with a probe-length bit
    s.plan_with_least_search = ((a ^ c) & 1) == 0;  // with every budget and probe length
    switch ((c >> 4) & 7) {  // extreme intervals: no LR may overflow to inf or underflow to 0
        case 5: s.lr_min = 1e200, s.lr_max = 1e300; break;
        case 6: s.lr_min = 1e-200, s.lr_max = 1e-180; break;
        case 7: s.lr_min = 1e-300, s.lr_max = 1e300; break;
        default: break;
    }
    if ((c & 128) != 0) s.growth = 1e20;  // saturates at tau_max
    s.seed = b;
    return s;
}

/// Plays the host for `ctl`, with losses from `in` (hostile values mixed into the toy
/// model's), and checks every directive. `slots_valid` says which slots the host holds
/// (all of them after a load: the host restored them with the state). At `save_at`
/// directives (if any), the state goes through save() -> load() into a fresh controller
/// built by `make`, which must save the same text, and play goes on with that one.
template <class Controller, class Make>
std::uint64_t play(Controller& ctl, byte_reader& in, Make make, std::optional<std::uint64_t> save_at,
                   std::vector<std::string>* trace = nullptr, bool slots_valid = false,
                   std::uint64_t max_directives = 20000) {
    const autolrs::controller_settings& s = ctl.settings();
    hostile_toy_trainer trainer;
    trainer.in = &in;
    autolrs::directive_executor<hostile_toy_trainer, Controller::slot_count> host(trainer);
    const auto slots = host.slots();
    if (slots_valid) {
        for (auto& slot : slots) slot = trainer.model.v;
    }
    // A loaded state may already be in the cooldown (its cooldown_start event came before the
    // save): the cooldown is the budget's last cooldown_steps() steps.
    bool in_cooldown = slots_valid && s.total_steps != 0 && ctl.cooldown_steps() > 0 &&
                       ctl.steps_total() >= s.total_steps - ctl.cooldown_steps();
    std::uint64_t directives = 0;
    Controller* current = &ctl;
    std::optional<Controller> reloaded;
    const auto observe = [&] {
        for (const autolrs::event& e : current->events()) {
            if (e.kind == autolrs::event_kind::cooldown_start) in_cooldown = true;
            if (e.kind == autolrs::event_kind::stage_start || e.kind == autolrs::event_kind::search_skipped ||
                e.kind == autolrs::event_kind::cooldown_start) {
                for (auto& slot : slots) slot.reset();
            }
            if (trace != nullptr) {
                trace->push_back(std::string(autolrs::to_string(e.kind)) + " " + std::to_string(e.step) + " " +
                                 autolrs::detail::exact_text(e.learning_rate) + " " + autolrs::detail::exact_text(e.forecast));
            }
        }
    };
    observe();
    for (autolrs::directive d = current->pending(); d.kind != autolrs::directive_kind::done; d = current->pending()) {
        require(++directives <= max_directives || s.total_steps == 0, "the controller never finishes");
        if (directives > max_directives) break;
        if (save_at && directives == *save_at) {
            const std::string text = current->save();
            reloaded.emplace(make());
            reloaded->load(text);
            require(reloaded->save() == text, "save() -> load() -> save() changed the state");
            require(reloaded->pending() == d, "a loaded controller has another pending directive");
            current = &*reloaded;
        }
        if (trace != nullptr) {
            trace->push_back(std::string(autolrs::to_string(d.kind)) + " " + autolrs::detail::exact_text(d.learning_rate) +
                             " " + std::to_string(d.slot));
        }
        // The directive's own invariants; the trainer (the fuzz bytes) carries it out.
        switch (d.kind) {
            case autolrs::directive_kind::train: {
                const double lr = d.learning_rate;
                require(std::isfinite(lr) && lr > 0.0, "a train directive with a non-finite or non-positive LR");
                require(lr <= s.lr_max, "a train directive above lr_max");
                require(in_cooldown || lr >= s.lr_min, "a train directive below lr_min outside the cooldown");
                break;
            }
            case autolrs::directive_kind::checkpoint:
                require(d.slot < Controller::slot_count, "a checkpoint of a slot that does not exist");
                break;
            case autolrs::directive_kind::restore:
                require(d.slot < Controller::slot_count, "a restore of a slot that does not exist");
                require(slots[d.slot].has_value(), "a restore of a slot not checkpointed in this stage");
                break;
            case autolrs::directive_kind::evaluate:
            case autolrs::directive_kind::done: break;
        }
        host.carry_out(*current);
        observe();
        require(current->steps_trained() + current->steps_searched() == current->steps_total(),
                "steps_trained + steps_searched != steps_total");
        require(s.total_steps == 0 || current->steps_total() <= s.total_steps, "the budget was overspent");
    }
    if (!slots_valid && !save_at) {
        require(current->steps_total() == trainer.applied, "steps_total is not the number of applied steps");
        require(current->steps_skipped() == trainer.skipped, "steps_skipped is not the number of skipped steps");
    }
    for (const auto& row : current->schedule_rows()) {
        require(std::isfinite(row.lr) && row.lr > 0.0 && row.lr <= s.lr_max, "a schedule row with a bad LR");
    }
    return directives;
}

/// Bytes -> settings and a stream of tells (losses, validation losses, applied flags).
inline void check_controller_stream(std::span<const std::uint8_t> bytes) {
    byte_reader in(bytes);
    const autolrs::controller_settings s = decode_settings(in);
    const std::uint8_t save_code = in.u8();
    const auto make = [&] { return autolrs::controller<>(s); };
    autolrs::controller<> ctl = make();
    std::optional<std::uint64_t> save_at;
    if (save_code >= 192) save_at = static_cast<std::uint64_t>(save_code - 191) * 3;  // a quarter of the inputs
    play(ctl, in, make, save_at, nullptr, false, s.total_steps == 0 ? 48 : 20000);
}

/// The settings the state-loading target's controller is built with (its seed corpus was
/// saved under them).
inline autolrs::controller_settings load_target_settings() {
    return {.lr_min = 1e-3,
            .lr_max = 2.0,
            .total_steps = 400,
            .candidates = 3,
            .min_candidates = 2,
            .initial_design = 2,
            .tau0 = 20,
            .candidate_fraction = 0.25,
            .tau_max = 80,
            .warmup_steps = 10,
            .signal = autolrs::loss_signal::reference_switch,
            .warm_start = true,
            .divergence_patience = 2,
            .seed = 3};
}

/// The zero-setting mode's load target: the same settings without an interval, a short sweep.
using range_test_target = autolrs::with_range_test<autolrs::controller<>>;
inline autolrs::controller_settings range_test_target_settings() {
    autolrs::controller_settings s = load_target_settings();
    s.lr_min = 0.0;
    s.lr_max = 0.0;
    return s;
}
inline autolrs::lr_range_test_settings range_test_target_sweep() { return {.lr_start = 1e-4, .lr_end = 10.0, .steps = 40}; }

/// A zero-setting state that loaded: what it saves loads into a fresh controller that saves
/// the same text, and it plays to the end on the toy trainer (its slots as a resumed host
/// holds them) with every applied step in exactly one count and every LR inside the interval
/// the test found.
inline void check_loaded_range_test_state(range_test_target& ctl) {
    const autolrs::controller_settings s = range_test_target_settings();
    const std::string saved = ctl.save();
    range_test_target again(s, range_test_target_sweep());
    again.load(saved);
    require(again.save() == saved, "with_range_test: save() -> load() -> save() changed the state");
    toy_trainer trainer;
    autolrs::directive_executor<toy_trainer, range_test_target::slot_count> host(trainer);
    for (auto& slot : host.slots()) slot = trainer.model.v;
    std::uint64_t directives = 0;
    for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done; d = ctl.pending()) {
        require(++directives <= 20000, "with_range_test: the controller never finishes");
        if (d.kind == autolrs::directive_kind::train) {
            require(std::isfinite(d.learning_rate) && d.learning_rate > 0.0, "with_range_test: a bad LR");
            require(ctl.testing() || d.learning_rate <= ctl.settings().lr_max,
                    "with_range_test: a train directive above the interval the test found");
        }
        host.carry_out(ctl);
        require(ctl.steps_trained() + ctl.steps_searched() + ctl.steps_range_test() == ctl.steps_total(),
                "with_range_test: trained + searched + range test != steps_total");
        require(ctl.steps_total() <= s.total_steps, "with_range_test: the budget was overspent");
    }
    require(ctl.steps_total() == s.total_steps || ctl.divergences() > 0, "with_range_test: the budget was not spent");
}

/// Bytes -> a saved state: it loads or throws autolrs::invalid_state; what loads plays on.
/// A zero-setting state (with_range_test's format) goes to that controller.
inline void check_state_load(std::span<const std::uint8_t> bytes) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (text.starts_with(range_test_target::state_format)) {
        range_test_target ctl(range_test_target_settings(), range_test_target_sweep());
        try {
            ctl.load(text);
        } catch (const autolrs::invalid_state&) {
            return;
        }
        check_loaded_range_test_state(ctl);
        return;
    }
    const autolrs::controller_settings s = load_target_settings();
    autolrs::controller<> ctl(s);
    try {
        ctl.load(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    } catch (const autolrs::invalid_state&) {
        return;
    }
    byte_reader none(std::span<const std::uint8_t>{});
    play(ctl, none, [&] { return autolrs::controller<>(s); }, std::nullopt, nullptr, true, 5000);
}

/// Saved states of the zero-setting load target along a run (the test's and the controller's).
inline std::vector<std::string> range_test_seed_states(std::size_t every = 23) {
    range_test_target ctl(range_test_target_settings(), range_test_target_sweep());
    toy_trainer trainer;
    autolrs::directive_executor host(trainer, ctl);
    std::vector<std::string> states;
    std::size_t calls = 0;
    for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done; ++calls) {
        if (calls % every == 0 || (ctl.testing() && calls % 7 == 0)) states.push_back(ctl.save());
        d = host.carry_out(ctl);
    }
    states.push_back(ctl.save());
    return states;
}

/// Saved states of the load target at many points of a run: the seed corpus. Every `every`
/// calls, and the first time each wait state (the state text's `wait` line) comes up, so that
/// the rare ones (an evaluation during a candidate's probe, a winner's checkpoint) are seeds too.
inline std::vector<std::string> seed_states(std::size_t every = 37) {
    const autolrs::controller_settings s = load_target_settings();
    autolrs::controller<> ctl(s);
    toy_trainer trainer;
    autolrs::directive_executor host(trainer, ctl);
    std::vector<std::string> states;
    std::vector<std::string> waits_seen;
    std::size_t calls = 0;
    for (autolrs::directive d = ctl.pending(); d.kind != autolrs::directive_kind::done; ++calls) {
        std::string state = ctl.save();
        const std::size_t at = state.find("\nwait ");
        const std::string wait = at == std::string::npos ? "" : state.substr(at, state.find('\n', at + 1) - at);
        const bool first_of_its_wait = std::find(waits_seen.begin(), waits_seen.end(), wait) == waits_seen.end();
        if (first_of_its_wait) waits_seen.push_back(wait);
        if (calls % every == 0 || first_of_its_wait) states.push_back(std::move(state));
        d = host.carry_out(ctl);
    }
    states.push_back(ctl.save());
    return states;
}

}  // namespace autolrs_fuzz
