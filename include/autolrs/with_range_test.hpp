#pragma once
// autolrs::with_range_test: the zero-setting mode. Settings with lr_min = lr_max = 0 mean
// "I do not know the LR interval": the controller first runs an LR range test
// (lr_range_test.hpp) through the same directives as the rest (checkpoint the start, sweep
// the LR upwards, restore the start), then builds `Controller` over the interval the test
// suggests, with the budget the test left. With an interval given there is no test: it is
// `Controller` and nothing else. autolrs::run and autolrs::run_resumable use it, so
//
//   autolrs::run(trainer, {}, 20000);    // nothing to set but the budget
//
// A host with its own loop uses it like any controller (protocol.hpp):
//
//   autolrs::with_range_test<autolrs::controller<>> ctl({.total_steps = 20000});
//
// The test's steps count in steps_total() and steps_range_test(), not in steps_trained() or
// steps_searched(): the model is restored after it, so they train nothing that is kept.

#include "autolrs/controller_settings.hpp"
#include "autolrs/controller/settings_text.hpp"
#include "autolrs/controller/state_text.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/event.hpp"
#include "autolrs/lr_range_test.hpp"
#include "autolrs/protocol.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <istream>
#include <iterator>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace autolrs {

/// The zero-setting mode's interval: both bounds 0.
[[nodiscard]] constexpr bool wants_range_test(const controller_settings& s) noexcept {
    return s.lr_min == 0.0 && s.lr_max == 0.0;
}

/// The sweep the zero-setting mode runs when not given one: lr_range_test_settings' defaults
/// (1e-7 to 10, the suggestion at the smoothed minimum, two decades below it) over 5% of the
/// budget, at least 100 and at most 200 applied steps (100 with no budget): a longer sweep
/// finds the same minimum; a shorter one smooths over too few losses per decade (on the
/// Fashion-MNIST CNN, sweeps of 50 and 75 steps found no minimum at all).
[[nodiscard]] constexpr lr_range_test_settings automatic_range_test(std::uint64_t total_steps) noexcept {
    lr_range_test_settings sweep;
    sweep.steps = total_steps == 0 ? 100 : std::clamp<std::uint64_t>(total_steps / 20, 100, 200);
    return sweep;
}

/// `Controller` (an ask_tell_controller constructible from controller_settings), preceded by
/// an LR range test when its settings leave lr_min and lr_max at 0. Uses `Controller`'s
/// checkpoint slots (the test needs slot 0).
template <class Controller>
class with_range_test {
    static_assert(explain_ask_tell_controller<Controller>());
    static_assert(std::constructible_from<Controller, const controller_settings&>,
                  "autolrs::with_range_test: the controller must be constructible from autolrs::controller_settings "
                  "(it is built over the interval the range test suggests)");
    static_assert(Controller::slot_count >= 1, "autolrs::with_range_test: the controller needs a checkpoint slot");

public:
    using controller_type = Controller;
    static constexpr std::uint32_t slot_count = Controller::slot_count;
    static constexpr std::uint32_t test_slot = 0;  ///< where the test keeps the model it restores

    /// With lr_min = lr_max = 0: an automatic_range_test(settings.total_steps) first.
    explicit with_range_test(const controller_settings& settings)
        : with_range_test(settings, automatic_range_test(settings.total_steps)) {}

    /// With lr_min = lr_max = 0: `sweep` first (its restore_after must be true: the controller
    /// always restores the model after the test). Throws autolrs::invalid_setting naming the
    /// field: a budget too small for the sweep (total_steps must be 0 or at least 4 times
    /// sweep.steps), a warmup_lr set without an interval, or what Controller refuses.
    with_range_test(const controller_settings& settings, const lr_range_test_settings& sweep)
        : requested_(settings), effective_(settings) {
        if (!wants_range_test(settings)) {
            controller_.emplace(settings);
            return;
        }
        validate_for_test(settings, sweep);
        sweep_.emplace(sweep);
        events_.reserve(8);
        events_.push_back({.kind = event_kind::range_test_start, .learning_rate = sweep.lr_start, .length = sweep.steps,
                           .message = "lr_min and lr_max are 0: an LR range test first, from the start (restored after)"});
        pending_ = {directive_kind::checkpoint, 0.0, test_slot};
    }

    // ---- the protocol (protocol.hpp) ----------------------------------------------------

    [[nodiscard]] directive pending() const noexcept { return controller_ ? controller_->pending() : pending_; }

    directive tell_step(double loss, bool applied = true) {
        if (controller_) return forward([&](Controller& c) { return c.tell_step(loss, applied); });
        expect(directive_kind::train, "tell_step");
        events_.clear();
        const bool over = applied ? sweep_->add(loss) : sweep_->skip();
        if (over) {
            pending_ = {directive_kind::restore, 0.0, test_slot};
        } else {
            pending_.learning_rate = sweep_->next_lr();
        }
        return pending_;
    }
    directive tell_step(step_result result) { return tell_step(result.loss, result.applied); }

    directive tell_checkpointed() {
        if (controller_) return forward([](Controller& c) { return c.tell_checkpointed(); });
        expect(directive_kind::checkpoint, "tell_checkpointed");
        events_.clear();
        pending_ = {directive_kind::train, sweep_->next_lr(), 0};
        return pending_;
    }

    directive tell_restored() {
        if (controller_) return forward([](Controller& c) { return c.tell_restored(); });
        expect(directive_kind::restore, "tell_restored");
        events_.clear();
        start_controller();
        return controller_->pending();
    }

    directive tell_validation(double loss) {
        if (controller_) return forward([&](Controller& c) { return c.tell_validation(loss); });
        expect(directive_kind::evaluate, "tell_validation");
        return pending_;  // unreachable: the test never asks for a validation loss
    }

    /// The last call's events (steps counted from the start of the run, the test's included).
    [[nodiscard]] std::span<const event> events() const noexcept {
        if (controller_ && !merged_) return controller_->events();
        return events_;
    }

    // ---- progress ---------------------------------------------------------------------------

    /// The settings in force: the ones given, with the test's interval once it has run
    /// (total_steps stays the whole budget).
    [[nodiscard]] const controller_settings& settings() const noexcept { return effective_; }
    [[nodiscard]] const controller_settings& requested_settings() const noexcept { return requested_; }
    /// Applied steps so far, the test's included.
    [[nodiscard]] std::uint64_t steps_total() const {
        return steps_range_test() + inner([](const Controller& c) { return c.steps_total(); });
    }
    /// Applied steps of the range test (thrown away: the model is restored after it).
    [[nodiscard]] std::uint64_t steps_range_test() const noexcept { return sweep_ ? sweep_->steps_applied() : 0; }
    [[nodiscard]] std::uint64_t steps_trained() const { return inner([](const Controller& c) { return c.steps_trained(); }); }
    [[nodiscard]] std::uint64_t steps_searched() const {
        return inner([](const Controller& c) { return c.steps_searched(); });
    }
    [[nodiscard]] std::uint64_t steps_skipped() const {
        return (sweep_ ? sweep_->steps_skipped() : 0) + inner([](const Controller& c) { return c.steps_skipped(); });
    }
    [[nodiscard]] std::uint64_t evaluations() const { return inner([](const Controller& c) { return c.evaluations(); }); }
    [[nodiscard]] std::uint32_t stages() const { return inner([](const Controller& c) { return c.stages(); }); }
    [[nodiscard]] std::uint32_t divergences() const { return inner([](const Controller& c) { return c.divergences(); }); }
    [[nodiscard]] std::span<const schedule::piecewise_constant_row> schedule_rows() const noexcept {
        return controller_ ? controller_->schedule_rows() : std::span<const schedule::piecewise_constant_row>{};
    }
    /// The checkpoint slots a restore will need before the next checkpoint (bit i: slot i).
    [[nodiscard]] std::uint32_t slots_needed() const noexcept {
        if (controller_) {
            if constexpr (requires { controller_->slots_needed(); }) return controller_->slots_needed();
            return 0;
        }
        return pending_.kind == directive_kind::checkpoint ? 0U : 1U << test_slot;
    }

    /// True while the range test runs (before the controller exists).
    [[nodiscard]] bool testing() const noexcept { return !controller_; }
    /// The controller, once the test has run (or at once, with an interval given).
    [[nodiscard]] const Controller* controller() const noexcept { return controller_ ? &*controller_ : nullptr; }
    /// The range test's result (curve and suggestion) once it has run; empty without a test.
    [[nodiscard]] const std::optional<lr_range_test_result>& range_test() const noexcept { return result_; }

    // ---- save and load ----------------------------------------------------------------------

    /// The whole state as text: the settings given, the test's losses so far (the sweep is
    /// replayed from them on load) and the controller's own state once it exists.
    void save(std::ostream& os) const {
        detail::state_text_writer w(os);
        w.line(state_format, state_version);
        detail::write_settings(w, requested_);
        if (!sweep_) {
            w.line("range_test", std::uint64_t{0});
        } else {
            const lr_range_test_settings& s = sweep_->settings();
            w.line("range_test", std::uint64_t{1});
            w.line("sweep", s.lr_start, s.lr_end, s.steps, s.smoothing, s.divergence_factor, s.margin_decades,
                   s.span_decades, s.min_improvement);
            w.begin("losses");
            w.put(sweep_->steps_applied());
            for (const lr_range_test_point& p : sweep_->curve()) w.put(p.loss);
            w.end();
            w.line("skipped", sweep_->steps_skipped());
            w.line("pending", static_cast<std::uint64_t>(pending_.kind));
        }
        if (controller_) {
            const std::string text = save_inner();
            w.line("controller", static_cast<std::uint64_t>(text.size()));
            os << text;
        } else {
            w.line("controller", std::uint64_t{0});
        }
        w.line("end");
    }
    [[nodiscard]] std::string save() const {
        std::ostringstream os;
        save(os);
        return os.str();
    }

    /// Replaces this state by a saved one; this object must have been built with the same
    /// settings (and sweep). On any error (autolrs::invalid_state naming it) nothing changes.
    void load(std::istream& is) {
        detail::state_text_reader r(is);
        r.expect(state_format);
        if (const std::uint64_t version = r.get_u64(); version != state_version) {
            throw invalid_state("unsupported " + std::string(state_format) + " version " + std::to_string(version));
        }
        r.finish_line();
        detail::check_settings(r, requested_);
        with_range_test copy(*this);
        r.expect("range_test");
        const bool tested = r.get_bool();
        r.finish_line();
        if (tested != wants_range_test(requested_)) throw invalid_state("inconsistent state: range_test");
        if (tested) copy.load_sweep(r);
        r.expect("controller");
        const std::uint64_t size = r.get_u64();
        r.finish_line();
        // The rest of the input holds the controller's state and the end line: read it first,
        // so that a damaged size cannot allocate more than the input holds.
        const std::string rest{std::istreambuf_iterator<char>(is), std::istreambuf_iterator<char>()};
        if (size > rest.size()) throw invalid_state("the state ends inside 'controller'");
        if (size > 0) {
            if (copy.testing()) throw invalid_state("inconsistent state: a controller's state during the range test");
            copy.controller_->load(std::string_view(rest).substr(0, static_cast<std::size_t>(size)));
        } else if (!copy.testing()) {
            throw invalid_state("inconsistent state: the controller's state is missing");
        }
        std::istringstream tail(rest.substr(static_cast<std::size_t>(size)));
        detail::state_text_reader end_reader(tail);
        end_reader.expect("end");
        end_reader.finish_line();
        copy.events_.clear();
        copy.merged_ = false;
        *this = std::move(copy);
    }
    void load(std::string_view text) {
        std::istringstream is{std::string(text)};
        load(is);
    }

    static constexpr std::string_view state_format = "autolrs-range-test-state";
    static constexpr std::uint64_t state_version = 1;

private:
    static void validate_for_test(const controller_settings& settings, const lr_range_test_settings& sweep) {
        controller_settings placeholder = settings;  // every other setting checked as the controller will
        placeholder.lr_min = 1.0;
        placeholder.lr_max = 2.0;
        detail::require_setting(settings.warmup_lr == 0.0, "warmup_lr",
                                "must be 0 (automatic) when lr_min and lr_max are 0 (the zero-setting mode): the "
                                "interval is not known before the LR range test");
        placeholder.warmup_lr = 0.0;
        detail::require_setting(sweep.restore_after, "restore_after",
                                "must be true: the zero-setting mode restores the model after its LR range test");
        detail::validate(sweep);
        detail::require_setting(settings.total_steps == 0 || settings.total_steps / 4 >= sweep.steps, "total_steps",
                                "is too small for the zero-setting mode's LR range test: it must be 0 (unknown) or at "
                                "least 4 times the test's steps (" + std::to_string(sweep.steps) +
                                    "); give lr_min and lr_max, or fewer test steps");
        // The controller gets the budget the test leaves: checked here for the least it can be,
        // so that no setting is refused after the test has run.
        if (placeholder.total_steps > 0) placeholder.total_steps -= sweep.steps;
        placeholder.validate();
    }

    void expect(directive_kind kind, const char* call) const {
        if (pending_.kind != kind) {
            throw protocol_error(std::string("autolrs with_range_test: ") + call +
                                 "() called, but the pending directive is '" + std::string(to_string(pending_.kind)) +
                                 "'");
        }
    }

    /// The test is over and the model restored: the controller takes over.
    void start_controller() {
        result_ = sweep_->result();
        effective_.lr_min = result_->lr_min;
        effective_.lr_max = result_->lr_max;
        controller_settings inner = effective_;
        if (inner.total_steps > 0) inner.total_steps -= sweep_->steps_applied();
        controller_.emplace(inner);
        pending_ = {directive_kind::done, 0.0, 0};  // saved as "the controller has started"
        merged_ = true;
        events_.push_back({.kind = event_kind::range_test_end,
                           .step = steps_range_test(),
                           .learning_rate = result_->lr_max,
                           .loss = lowest_smoothed_loss(*result_),
                           .length = steps_range_test(),
                           .message = test_verdict(result_->status)});
        append_inner_events();
    }

    [[nodiscard]] static double lowest_smoothed_loss(const lr_range_test_result& r) noexcept {
        double lowest = event::none;
        for (const lr_range_test_point& p : r.curve) {
            if (std::isfinite(p.smoothed_loss) && !(p.smoothed_loss >= lowest)) lowest = p.smoothed_loss;
        }
        return lowest;
    }

    [[nodiscard]] static std::string_view test_verdict(lr_range_test_status status) noexcept {
        switch (status) {
            case lr_range_test_status::diverged:
                return "LR range test done: lr_max where the smoothed loss was lowest before it diverged, lr_min "
                       "span_decades below it";
            case lr_range_test_status::completed:
                return "LR range test done without diverging: lr_max may be too low (the sweep ends at lr_end)";
            case lr_range_test_status::no_improvement:
                return "LR range test: the loss never fell, the interval is a guess; give lr_min and lr_max";
            case lr_range_test_status::too_many_skipped:
                return "LR range test: the trainer skipped too many steps, the interval is a guess; give lr_min and "
                       "lr_max";
        }
        return "LR range test done";
    }

    /// Calls `call` on the controller and offers its events with the run's step count.
    template <class Call>
    directive forward(Call call) {
        const directive d = call(*controller_);
        if (sweep_) {  // steps counted from the run's start, the test's included
            events_.clear();
            merged_ = true;
            append_inner_events();
        } else {
            merged_ = false;
        }
        return d;
    }
    void append_inner_events() {
        const std::uint64_t offset = steps_range_test();
        for (event e : controller_->events()) {
            e.step += offset;
            events_.push_back(e);
        }
    }

    /// `read(controller)`, or 0 before the controller exists.
    template <class Read>
    [[nodiscard]] auto inner(Read read) const {
        return controller_ ? read(*controller_) : decltype(read(*controller_)){};
    }

    [[nodiscard]] std::string save_inner() const {
        if constexpr (requires(const Controller& c) { { c.save() } -> std::convertible_to<std::string>; }) {
            return controller_->save();
        } else {
            static_assert(sizeof(Controller) == 0, "autolrs::with_range_test::save: the controller has no save()");
            return {};
        }
    }

    /// Replays the saved losses through a fresh sweep (the same settings give the same state).
    void load_sweep(detail::state_text_reader& r) {
        const lr_range_test_settings& s = sweep_->settings();
        r.expect("sweep");
        const double saved[] = {r.get_double(), r.get_double()};
        const std::uint64_t steps = r.get_u64();
        const double rest[] = {r.get_double(), r.get_double(), r.get_double(), r.get_double(), r.get_double()};
        r.finish_line();
        if (saved[0] != s.lr_start || saved[1] != s.lr_end || steps != s.steps || rest[0] != s.smoothing ||
            rest[1] != s.divergence_factor || rest[2] != s.margin_decades || rest[3] != s.span_decades ||
            rest[4] != s.min_improvement) {
            throw invalid_state("saved with another LR range test (sweep settings differ)");
        }
        detail::range_sweep replayed(s);
        r.expect("losses");
        const std::uint64_t count = r.get_u64();
        if (count > s.steps) throw invalid_state("inconsistent state: more range test losses than its steps");
        for (std::uint64_t i = 0; i < count; ++i) {
            if (replayed.over()) throw invalid_state("inconsistent state: range test losses after its end");
            replayed.add(r.get_double());
        }
        r.finish_line();
        r.expect("skipped");
        const std::uint64_t skipped = r.get_u64();
        r.finish_line();
        if (skipped > s.steps) throw invalid_state("inconsistent state: more skipped range test steps than its steps");
        if (skipped > 0) replayed.skip(skipped);
        r.expect("pending");
        const std::uint64_t kind = r.get_u64();
        r.finish_line();
        sweep_.emplace(std::move(replayed));
        controller_.reset();
        result_.reset();
        effective_ = requested_;
        // The test's directives: checkpoint before any step, train while it runs, restore at its
        // end; then the controller (its state follows).
        if (kind == static_cast<std::uint64_t>(directive_kind::done)) {
            if (!sweep_->over()) throw invalid_state("inconsistent state: the controller started before the test ended");
            start_controller();
            return;
        }
        const bool fresh = count == 0 && skipped == 0;
        if (kind == static_cast<std::uint64_t>(directive_kind::checkpoint) && fresh) {
            pending_ = {directive_kind::checkpoint, 0.0, test_slot};
        } else if (kind == static_cast<std::uint64_t>(directive_kind::train) && !sweep_->over()) {
            pending_ = {directive_kind::train, sweep_->next_lr(), 0};
        } else if (kind == static_cast<std::uint64_t>(directive_kind::restore) && sweep_->over()) {
            pending_ = {directive_kind::restore, 0.0, test_slot};
        } else {
            throw invalid_state("inconsistent state: the range test's pending directive");
        }
    }

    controller_settings requested_;
    controller_settings effective_;
    std::optional<detail::range_sweep> sweep_;
    std::optional<lr_range_test_result> result_;
    std::optional<Controller> controller_;
    directive pending_{};
    std::vector<event> events_;
    bool merged_ = false;  // events() is events_ (this call's, with the run's step count)
};

}  // namespace autolrs
