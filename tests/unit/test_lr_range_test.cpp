// The LR range test on deterministic toy trainers: a noisy quadratic with a known stability
// limit (gradient descent on curvature h diverges for lr > 2 / h), and scripted losses for the
// stop rules, skipped steps and exceptions.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <bit>
#include <cmath>
#include <filesystem>
#include <istream>
#include <ostream>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

// Minibatch-like SGD on sum_i h_i x_i^2 / 2: noisy gradients, a noisy reported loss.
struct noisy_quadratic {
    struct state {
        std::vector<double> x;
        std::mt19937_64 rng;
        std::uint64_t steps = 0;
        friend bool operator==(const state&, const state&) = default;
    };
    using checkpoint_type = state;

    noisy_quadratic(std::vector<double> curvatures, double gradient_noise, std::uint64_t seed)
        : h(std::move(curvatures)), noise(gradient_noise) {
        now.x.assign(h.size(), 1.0);
        now.rng.seed(seed);
    }
    double loss() const {
        double sum = 0.0;
        for (std::size_t i = 0; i < h.size(); ++i) sum += 0.5 * h[i] * now.x[i] * now.x[i];
        return sum;
    }
    void set_learning_rate(double value) { lr = value; }
    double train_step() {
        std::normal_distribution<double> normal(0.0, 1.0);
        const double reported = loss() * (1.0 + 0.1 * normal(now.rng));
        for (std::size_t i = 0; i < h.size(); ++i) {
            now.x[i] -= lr * (h[i] * now.x[i] + noise * std::sqrt(h[i]) * normal(now.rng));
        }
        ++now.steps;
        return reported;
    }
    double validation_loss() { return loss(); }
    state checkpoint() const { return now; }
    void restore(const state& saved) { now = saved; }

    std::vector<double> h;
    double noise;
    state now;
    double lr = 0.0;
};

// The loss is a function of the LR only, so each rule can be aimed at exactly.
template <class LossOfLr>
struct scripted {
    using checkpoint_type = int;
    explicit scripted(LossOfLr f) : loss_of_lr(std::move(f)) {}
    void set_learning_rate(double value) { lr = value; }
    autolrs::step_result train_step() {
        ++calls;
        if (throw_at_call != 0 && calls == throw_at_call) throw std::runtime_error("backend failed");
        if (skip_every != 0 && calls % skip_every == 0) return {loss_of_lr(lr), false};
        ++state;
        return {loss_of_lr(lr), true};
    }
    double validation_loss() { return 0.0; }
    int checkpoint() const { return state; }
    void restore(int saved) { state = saved; }

    LossOfLr loss_of_lr;
    double lr = 0.0;
    int state = 0;
    std::uint64_t calls = 0;
    std::uint64_t skip_every = 0;
    std::uint64_t throw_at_call = 0;
};

template <class Make>
std::string field_of(Make make) {
    try {
        make();
    } catch (const autolrs::invalid_setting& e) {
        return e.field();
    }
    return "";
}

void require_swept_exponentially(const autolrs::lr_range_test_result& r, const autolrs::lr_range_test_settings& s) {
    for (std::size_t i = 0; i < r.curve.size(); ++i) {
        const double expected = s.lr_start * std::pow(s.lr_end / s.lr_start, static_cast<double>(i) /
                                                                                  static_cast<double>(s.steps - 1));
        REQUIRE(r.curve[i].lr == Approx(expected).epsilon(1e-12));
    }
}

void require_valid_interval(const autolrs::lr_range_test_result& r) {
    REQUIRE(std::isfinite(r.lr_min));
    REQUIRE(std::isfinite(r.lr_max));
    REQUIRE(r.lr_min > 0.0);
    REQUIRE(r.lr_min < r.lr_max);
}

}  // namespace

TEST_CASE("range test on a noisy quadratic suggests an interval that reaches the stability limit", "[lr_range_test]") {
    const double h_max = 100.0;
    const double stability_limit = 2.0 / h_max;
    const autolrs::lr_range_test_settings settings{};
    for (double noise : {0.1, 1.0}) {
        for (std::uint64_t seed = 1; seed <= 10; ++seed) {
            noisy_quadratic toy({h_max, h_max / 10, h_max / 100}, noise, seed);
            const auto before = toy.checkpoint();
            const auto r = autolrs::lr_range_test(toy, settings);
            INFO("noise " << noise << " seed " << seed << " lr_max " << r.lr_max << " lr_min " << r.lr_min);
            CHECK(r.status == autolrs::lr_range_test_status::diverged);
            REQUIRE(r.diverged_at_lr.has_value());
            CHECK(*r.diverged_at_lr > stability_limit);
            CHECK(r.curve.size() < settings.steps);
            CHECK(r.curve.back().lr == *r.diverged_at_lr);
            require_swept_exponentially(r, settings);
            require_valid_interval(r);
            // lr_max sits at the smoothed minimum, at or just past the edge of stability (AutoLRS
            // rules out a diverging candidate's LR); two decades below it, the LRs are stable.
            CHECK(r.lr_max < 4.0 * stability_limit);
            CHECK(r.lr_max > stability_limit / 10.0);  // not uselessly cautious
            CHECK(r.lr_min < stability_limit / 10.0);
            CHECK(r.lr_max == Approx(r.lr_at_minimum * std::pow(10.0, -settings.margin_decades)));
            CHECK(r.lr_min == Approx(r.lr_max * std::pow(10.0, -settings.span_decades)));
            CHECK(r.lr_min >= settings.lr_start);
            CHECK(toy.checkpoint() == before);  // the user's training state is untouched
        }
    }
}

TEST_CASE("range test is deterministic and leaves the state only when asked to", "[lr_range_test]") {
    noisy_quadratic a({50.0, 5.0}, 0.5, 7);
    noisy_quadratic b({50.0, 5.0}, 0.5, 7);
    const auto ra = autolrs::lr_range_test(a);
    const auto rb = autolrs::lr_range_test(b);
    CHECK(ra.lr_min == rb.lr_min);
    CHECK(ra.lr_max == rb.lr_max);
    REQUIRE(ra.curve.size() == rb.curve.size());
    for (std::size_t i = 0; i < ra.curve.size(); ++i) CHECK(ra.curve[i].smoothed_loss == rb.curve[i].smoothed_loss);

    noisy_quadratic kept({50.0, 5.0}, 0.5, 7);
    const auto r = autolrs::lr_range_test(kept, {.restore_after = false});
    CHECK(kept.now.steps == r.curve.size());
}

TEST_CASE("range test stops at the first non-finite loss", "[lr_range_test]") {
    scripted t([](double lr) { return lr > 1e-2 ? std::numeric_limits<double>::quiet_NaN() : 1.0 - 50.0 * lr; });
    const autolrs::lr_range_test_settings settings{.lr_start = 1e-6, .lr_end = 1.0, .steps = 61};
    const auto r = autolrs::lr_range_test(t, settings);
    CHECK(r.status == autolrs::lr_range_test_status::diverged);
    REQUIRE(r.diverged_at_lr.has_value());
    CHECK(*r.diverged_at_lr > 1e-2);
    CHECK(*r.diverged_at_lr < 1e-2 * std::pow(10.0, 0.1) * 1.0001);  // the first step past 1e-2 (10 per decade)
    CHECK(std::isnan(r.curve.back().loss));
    CHECK(std::isinf(r.curve.back().smoothed_loss));
    for (std::size_t i = 0; i + 1 < r.curve.size(); ++i) CHECK(std::isfinite(r.curve[i].smoothed_loss));
    require_valid_interval(r);
    CHECK(r.lr_max <= 1e-2);
    CHECK(t.state == 0);
}

TEST_CASE("range test stops when the smoothed loss exceeds the divergence factor", "[lr_range_test]") {
    // Falls to 0.1 at lr = 1e-3, then grows a hundredfold per decade.
    scripted t([](double lr) { return lr < 1e-3 ? 1.0 - 0.9 * (lr / 1e-3) : 0.1 * std::pow(lr / 1e-3, 2.0); });
    const autolrs::lr_range_test_settings settings{.lr_start = 1e-6, .lr_end = 1e2, .steps = 81, .smoothing = 0.3};
    const auto r = autolrs::lr_range_test(t, settings);
    CHECK(r.status == autolrs::lr_range_test_status::diverged);
    REQUIRE(r.diverged_at_lr.has_value());
    CHECK(*r.diverged_at_lr > 1e-3);
    CHECK(*r.diverged_at_lr < 1e-1);
    CHECK(r.lr_at_minimum == Approx(1e-3).epsilon(0.3));
    require_valid_interval(r);
}

TEST_CASE("range test that never diverges says so and stays inside the swept range", "[lr_range_test]") {
    scripted t([](double lr) { return 1.0 / (1.0 + lr); });
    const autolrs::lr_range_test_settings settings{.lr_start = 1e-4, .lr_end = 10.0, .steps = 50};
    const auto r = autolrs::lr_range_test(t, settings);
    CHECK(r.status == autolrs::lr_range_test_status::completed);
    CHECK_FALSE(r.diverged_at_lr.has_value());
    CHECK(r.curve.size() == settings.steps);
    require_swept_exponentially(r, settings);
    CHECK(r.lr_at_minimum == Approx(10.0));
    CHECK(r.lr_max == Approx(10.0 * std::pow(10.0, -settings.margin_decades)));
    CHECK(r.lr_min == Approx(r.lr_max / 100.0));
    require_valid_interval(r);
}

TEST_CASE("range test with a loss that never falls reports no_improvement", "[lr_range_test]") {
    scripted flat([](double) { return 2.0; });
    const auto r = autolrs::lr_range_test(flat, {.lr_start = 1e-3, .lr_end = 1.0, .steps = 20});
    CHECK(r.status == autolrs::lr_range_test_status::no_improvement);
    require_valid_interval(r);

    scripted bad_from_start([](double) { return std::numeric_limits<double>::infinity(); });
    const auto s = autolrs::lr_range_test(bad_from_start, {.lr_start = 1e-3, .lr_end = 1.0, .steps = 20});
    CHECK(s.status == autolrs::lr_range_test_status::no_improvement);
    CHECK(s.curve.size() == 1);
    CHECK(s.lr_max == Approx(1e-3));  // nothing seen works: stay at the bottom of the range
    require_valid_interval(s);
}

TEST_CASE("range test retries skipped steps at the same LR", "[lr_range_test]") {
    scripted t([](double lr) { return 1.0 / (1.0 + lr); });
    t.skip_every = 3;
    const autolrs::lr_range_test_settings settings{.lr_start = 1e-3, .lr_end = 1.0, .steps = 30};
    const auto r = autolrs::lr_range_test(t, settings);
    CHECK(r.curve.size() == settings.steps);
    CHECK(r.steps_skipped == t.calls / 3);
    require_swept_exponentially(r, settings);

    scripted never([](double) { return 1.0; });
    never.skip_every = 1;
    const auto n = autolrs::lr_range_test(never, settings);
    CHECK(n.status == autolrs::lr_range_test_status::too_many_skipped);
    CHECK(n.curve.empty());
    CHECK(n.steps_skipped == settings.steps);
    require_valid_interval(n);
}

TEST_CASE("range test restores the trainer when a step throws", "[lr_range_test]") {
    scripted t([](double lr) { return 1.0 / (1.0 + lr); });
    t.state = 42;
    t.throw_at_call = 10;
    CHECK_THROWS_AS(autolrs::lr_range_test(t), std::runtime_error);
    CHECK(t.state == 42);
}

TEST_CASE("range test settings are validated, naming the field", "[lr_range_test]") {
    scripted t([](double) { return 1.0; });
    using S = autolrs::lr_range_test_settings;
    const auto field = [&](S s) { return field_of([&] { autolrs::lr_range_test(t, s); }); };
    CHECK(field({.lr_start = 0.0}) == "lr_start");
    CHECK(field({.lr_start = 1.0, .lr_end = 1.0}) == "lr_end");
    CHECK(field({.lr_end = std::numeric_limits<double>::infinity()}) == "lr_end");
    CHECK(field({.steps = 1}) == "steps");
    CHECK(field({.smoothing = 0.0}) == "smoothing");
    CHECK(field({.smoothing = 1.5}) == "smoothing");
    CHECK(field({.divergence_factor = 1.0}) == "divergence_factor");
    CHECK(field({.margin_decades = -1.0}) == "margin_decades");
    CHECK(field({.span_decades = 0.0}) == "span_decades");
    CHECK(field({.min_improvement = 1.0}) == "min_improvement");
    CHECK(t.calls == 0);
}

// ---- the zero-setting mode: lr_min = lr_max = 0 runs the test through the controller ----------

namespace {

using zero_setting_controller = autolrs::with_range_test<autolrs::controller<>>;

std::vector<autolrs::event> events_of(autolrs::run_result& result, noisy_quadratic& toy,
                                      const autolrs::controller_settings& settings, std::uint64_t budget) {
    std::vector<autolrs::event> events;
    result = autolrs::run(toy, settings, budget, [&](const autolrs::event& e) { events.push_back(e); });
    return events;
}

}  // namespace

TEST_CASE("zero-setting mode: run() with no interval runs the range test inside the budget, then AutoLRS over "
          "its interval",
          "[lr_range_test][zero_setting]") {
    using autolrs::event_kind;
    const std::uint64_t budget = 3000;
    noisy_quadratic toy({100.0, 10.0, 1.0}, 0.5, 3);
    noisy_quadratic twin = toy;
    const double start_loss = toy.loss();
    autolrs::run_result result;
    const auto events = events_of(result, toy, {}, budget);

    // The same sweep, alone, from the same state: the controller's interval is its suggestion.
    const autolrs::lr_range_test_settings sweep = autolrs::automatic_range_test(budget);
    CHECK(sweep.steps == 150);
    const auto alone = autolrs::lr_range_test(twin, sweep);
    CHECK(result.lr_max == alone.lr_max);
    CHECK(result.lr_min == alone.lr_min);
    CHECK(result.steps_range_test == alone.curve.size());
    CHECK(result.steps_range_test > 0);

    CHECK(result.completed);
    CHECK(result.steps_total == budget);
    CHECK(result.steps_trained + result.steps_searched + result.steps_range_test == budget);
    CHECK(result.budget_share_trained() + result.budget_share_searched() + result.budget_share_range_test() ==
          Approx(1.0));
    CHECK(result.budget_share_range_test() == Approx(static_cast<double>(alone.curve.size()) / budget));
    CHECK(toy.now.steps == result.steps_trained);  // the model holds the trained steps only
    CHECK(toy.loss() < 0.05 * start_loss);

    REQUIRE(events.size() >= 4);
    CHECK(events[0].kind == event_kind::range_test_start);
    CHECK(events[0].step == 0);
    CHECK(events[0].length == sweep.steps);
    CHECK(events[1].kind == event_kind::range_test_end);
    CHECK(events[1].step == result.steps_range_test);
    CHECK(events[1].length == result.steps_range_test);
    CHECK(events[1].learning_rate == result.lr_max);
    CHECK(std::isfinite(events[1].loss));
    CHECK(events[2].kind == event_kind::stage_start);
    CHECK(events[2].step == result.steps_range_test);  // steps count from the run's start
    CHECK(events.back().kind == event_kind::done);
    CHECK(events.back().step == budget);
    for (const autolrs::event& e : events) {
        if (e.kind == event_kind::candidate_start || e.kind == event_kind::stage_lr_chosen) {
            CHECK(e.learning_rate >= result.lr_min);
            CHECK(e.learning_rate <= result.lr_max);
        }
    }
    // The found schedule covers the trained steps only: the test's steps were restored away.
    CHECK(result.schedule_rows.front().start_step == 0);
}

TEST_CASE("zero-setting mode: with an interval given, with_range_test is the controller it wraps, step for step",
          "[lr_range_test][zero_setting]") {
    const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.05, .total_steps = 2000};
    noisy_quadratic a({100.0, 10.0, 1.0}, 0.5, 5);
    noisy_quadratic b = a;
    autolrs::controller<> plain(settings);
    zero_setting_controller wrapped(settings);
    CHECK_FALSE(wrapped.testing());
    std::vector<autolrs::event> plain_events;
    std::vector<autolrs::event> wrapped_events;
    const auto r1 = autolrs::run(a, plain, [&](const autolrs::event& e) { plain_events.push_back(e); });
    const auto r2 = autolrs::run(b, wrapped, [&](const autolrs::event& e) { wrapped_events.push_back(e); });
    CHECK(a.now == b.now);
    CHECK(r1.steps_searched == r2.steps_searched);
    CHECK(r2.steps_range_test == 0);
    CHECK(r2.lr_min == 1e-3);
    REQUIRE(plain_events.size() == wrapped_events.size());
    for (std::size_t i = 0; i < plain_events.size(); ++i) {
        CHECK(plain_events[i].kind == wrapped_events[i].kind);
        CHECK(plain_events[i].step == wrapped_events[i].step);
    }
    CHECK(wrapped.save().size() > plain.save().size());
}

TEST_CASE("zero-setting mode: a state saved at any directive, the test's included, loads and goes on identically",
          "[lr_range_test][zero_setting]") {
    const autolrs::controller_settings settings{.total_steps = 1200};
    noisy_quadratic straight_toy({100.0, 10.0, 1.0}, 0.5, 11);
    noisy_quadratic resumed_toy = straight_toy;
    zero_setting_controller straight(settings);
    zero_setting_controller resumed(settings);
    CHECK(straight.testing());
    autolrs::directive_executor straight_host(straight_toy, straight);
    autolrs::directive_executor resumed_host(resumed_toy, resumed);
    std::uint64_t directives = 0;
    std::uint64_t loaded_during_test = 0;
    for (autolrs::directive d = straight.pending(); d.kind != autolrs::directive_kind::done; ++directives) {
        if (directives % 7 == 0) {  // a new controller from the saved text, as after a restart
            zero_setting_controller fresh(settings);
            fresh.load(resumed.save());
            loaded_during_test += fresh.testing() ? 1 : 0;
            resumed = fresh;
        }
        REQUIRE(resumed.pending() == d);
        d = straight_host.carry_out(straight);
        resumed_host.carry_out(resumed);
    }
    CHECK(loaded_during_test > 5);
    CHECK(resumed.pending().kind == autolrs::directive_kind::done);
    CHECK(straight_toy.now == resumed_toy.now);
    CHECK(resumed.steps_total() == 1200);
    CHECK(resumed.steps_range_test() == straight.steps_range_test());
    CHECK(resumed.settings().lr_max == straight.settings().lr_max);
    REQUIRE(resumed.range_test().has_value());
    CHECK(resumed.range_test()->curve.size() == straight.steps_range_test());
}

TEST_CASE("zero-setting mode: bad settings and states are refused, naming the problem; nothing is trained",
          "[lr_range_test][zero_setting]") {
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 60}); }) == "total_steps");
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 399}); }) == "total_steps");
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 400}); }).empty());  // 100 test steps fit
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 4000, .warmup_steps = 100, .warmup_lr = 0.1}); }) ==
          "warmup_lr");
    CHECK(field_of([] { zero_setting_controller c({.lr_max = 1.0, .total_steps = 4000}); }) == "lr_min");
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 4000, .candidates = 0}); }) == "candidates");
    // Checked against the budget the test leaves (4000 - 200), not after the test has run.
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 4000, .warmup_steps = 3850}); }) == "warmup_steps");
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 4000, .warmup_steps = 3750}); }).empty());
    CHECK(field_of([] {
              zero_setting_controller c({.total_steps = 4000}, {.restore_after = false});
          }) == "restore_after");
    CHECK(field_of([] { zero_setting_controller c({.total_steps = 4000}, {.steps = 1}); }) == "steps");
    // The controller alone names the zero-setting mode and where to find it.
    try {
        autolrs::controller<> c({.total_steps = 4000});
        FAIL("no exception");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "lr_min");
        CHECK(std::string(e.what()).find("with_range_test") != std::string::npos);
    }
    // run() refuses before any trainer call.
    scripted t([](double) { return 1.0; });
    CHECK(field_of([&] { autolrs::run(t, {}, 399); }) == "total_steps");
    CHECK(field_of([&] { autolrs::run(t, {}, 0); }) == "total_steps");  // it would never end
    CHECK(field_of([&] { autolrs::run(t, {.lr_min = 1e-3, .lr_max = 1.0}, 0); }) == "total_steps");
    CHECK(t.calls == 0);

    // A state saved under other settings, or damaged, is refused and changes nothing.
    zero_setting_controller a({.total_steps = 4000});
    zero_setting_controller b({.total_steps = 5000});
    const std::string before = b.save();
    CHECK_THROWS_AS(b.load(a.save()), autolrs::invalid_state);
    std::string damaged = a.save();
    damaged.replace(damaged.find("range_test 1"), 12, "range_test 0");
    CHECK_THROWS_AS(a.load(damaged), autolrs::invalid_state);
    CHECK(b.save() == before);
}

namespace {

// noisy_quadratic's state in text, exactly (doubles by their bits).
struct quadratic_codec {
    void save(std::ostream& os, const noisy_quadratic::state& s) const {
        os << s.steps << ' ' << s.x.size();
        for (const double v : s.x) os << ' ' << std::bit_cast<std::uint64_t>(v);
        os << ' ' << s.rng << '\n';
    }
    noisy_quadratic::state load(std::istream& is) const {
        noisy_quadratic::state s;
        std::size_t n = 0;
        is >> s.steps >> n;
        s.x.resize(n);
        for (double& v : s.x) {
            std::uint64_t bits = 0;
            is >> bits;
            v = std::bit_cast<double>(bits);
        }
        is >> s.rng;
        return s;
    }
};

// Throws at its `fail_at`-th train_step call: a crash in the middle of a run.
struct failing_quadratic : noisy_quadratic {
    using noisy_quadratic::noisy_quadratic;
    double train_step() {
        if (++calls == fail_at) throw std::runtime_error("the machine went away");
        return noisy_quadratic::train_step();
    }
    std::uint64_t calls = 0;
    std::uint64_t fail_at = 0;
};

}  // namespace

TEST_CASE("zero-setting mode: run_resumable after a crash ends where an uninterrupted run ends",
          "[lr_range_test][zero_setting][resume]") {
    const autolrs::controller_settings settings{.total_steps = 1500};
    const auto path = std::filesystem::temp_directory_path() / "autolrs_test_zero_setting_resume.state";
    std::filesystem::remove(path);

    failing_quadratic straight({100.0, 10.0, 1.0}, 0.5, 17);
    zero_setting_controller straight_ctl(settings);
    const auto expected = autolrs::run(straight, straight_ctl);

    for (const std::uint64_t fail_at : {40ULL, 400ULL, 1200ULL}) {  // inside the test, after it, near the end
        INFO("fail at call " << fail_at);
        std::filesystem::remove(path);
        failing_quadratic crashing({100.0, 10.0, 1.0}, 0.5, 17);
        crashing.fail_at = fail_at;
        zero_setting_controller first(settings);
        CHECK_THROWS_AS(autolrs::run_resumable(crashing, first, quadratic_codec{}, {.path = path},
                                               [](const autolrs::event&) {}),
                        autolrs::trainer_error);
        CHECK(std::filesystem::exists(path) == (fail_at > expected.steps_range_test));

        failing_quadratic restarted({100.0, 10.0, 1.0}, 0.5, 17);  // a new process: a fresh model
        zero_setting_controller second(settings);
        const auto resumed = autolrs::run_resumable(restarted, second, quadratic_codec{}, {.path = path},
                                                    [](const autolrs::event&) {});
        CHECK(restarted.now == straight.now);
        CHECK(resumed.steps_total == expected.steps_total);
        CHECK(resumed.steps_range_test == expected.steps_range_test);
        CHECK(resumed.steps_searched == expected.steps_searched);
        CHECK(resumed.lr_max == expected.lr_max);
        CHECK(resumed.schedule_rows.size() == expected.schedule_rows.size());
    }
    std::filesystem::remove(path);
}
