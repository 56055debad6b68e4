// docs/extending.md, example 3: a custom stop rule, and its test.
// Stop a stage's search once another candidate is expected to gain less than a fixed loss.
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace example {

/// Stops a stage's search once the search expects another candidate to improve on the
/// stage's best by less than `min_gain`, in loss units (the default rule, expected_gain_stop,
/// measures the gain against the stage's loss scale instead): a gain the loss cannot resolve
/// is not worth a candidate's steps. It asks only once `min_feasible` candidates have a
/// forecast, and ignores settings.early_stop_gain.
struct absolute_gain_stop {
    double min_gain = 1e-3;
    std::uint32_t min_feasible = 2;

    [[nodiscard]] autolrs::stop_verdict verdict(const autolrs::search_progress& progress,
                                                const autolrs::controller_settings& /*unused*/,
                                                const autolrs::expected_gain_query& expected_gain) const {
        if (progress.feasible < min_feasible) return {};  // go on; asking the search costs a model query
        const double gain = expected_gain();
        // The search_stopped_early event reports them as its expected_gain and loss_scale.
        return {.stop = gain < min_gain, .gain = gain, .scale = min_gain};
    }
};

static_assert(autolrs::explain_stage_stop_rule<absolute_gain_stop>());

using gain_controller = autolrs::controller<absolute_gain_stop>;

/// A gain_controller whose rule has other settings than its defaults: the rule travels in
/// the constructor's last argument (the policies besides search and forecasters).
inline gain_controller make_gain_controller(const autolrs::controller_settings& settings, absolute_gain_stop rule) {
    return gain_controller(settings, {}, {}, {}, {}, {.x_min = 0.0, .x_max = 1.0}, {.stop_rule = rule});
}

}  // namespace example

namespace {

using example::absolute_gain_stop;

/// SGD on 0.5*h*x^2 with noisy gradients (the quick start's toy problem).
class noisy_quadratic {
public:
    struct checkpoint_type {
        double x;
        std::mt19937_64 rng;
    };

    void set_learning_rate(double lr) { lr_ = lr; }
    double train_step() {
        const double loss = 0.5 * h_ * x_ * x_;
        std::normal_distribution<double> noise(0.0, 0.5);
        x_ -= lr_ * (h_ * x_ + noise(rng_));
        return loss;
    }
    double validation_loss() { return 0.5 * h_ * x_ * x_; }
    checkpoint_type checkpoint() { return {x_, rng_}; }
    void restore(const checkpoint_type& saved) {
        x_ = saved.x;
        rng_ = saved.rng;
    }

private:
    double h_ = 2.0;
    double x_ = 3.0;
    double lr_ = 0.0;
    std::mt19937_64 rng_{7};
};
static_assert(autolrs::explain_trainer<noisy_quadratic>());

/// What a run's stages did, from its events.
struct stage_log {
    std::map<std::uint32_t, std::uint32_t> tried;     ///< candidates started, per stage
    std::map<std::uint32_t, std::uint32_t> feasible;  ///< candidates with a forecast, per stage
    std::vector<autolrs::event> stops;                ///< the search_stopped_early events
    autolrs::run_result result;
};

template <class Controller>
stage_log run_and_log(Controller& ctl) {
    noisy_quadratic model;
    stage_log log;
    log.result = autolrs::run(model, ctl, [&](const autolrs::event& e) {
        if (e.kind == autolrs::event_kind::candidate_start) ++log.tried[e.stage];
        if (e.kind == autolrs::event_kind::candidate_end) ++log.feasible[e.stage];
        if (e.kind == autolrs::event_kind::search_stopped_early) log.stops.push_back(e);
    });
    return log;
}

// The default rule is off (early_stop_gain = 0): any early stop below is the custom rule's.
const autolrs::controller_settings settings{.lr_min = 1e-3, .lr_max = 0.9, .total_steps = 3000,
                                           .early_stop_gain = 0.0};

}  // namespace

TEST_CASE("absolute_gain_stop: stops when the expected gain is below min_gain", "[docs][stop_rule]") {
    const absolute_gain_stop rule{.min_gain = 1e-3, .min_feasible = 2};
    int asked = 0;
    double gain = 5e-4;
    auto search_gain = [&] {
        ++asked;
        return gain;
    };
    const autolrs::expected_gain_query query(search_gain);

    // Too few candidates: go on, and do not ask the search.
    const autolrs::stop_verdict early = rule.verdict({.tried = 3, .feasible = 1, .loss_scale = 1.0}, settings, query);
    CHECK_FALSE(early.stop);
    CHECK(asked == 0);

    const autolrs::stop_verdict small = rule.verdict({.tried = 2, .feasible = 2, .loss_scale = 1.0}, settings, query);
    CHECK(small.stop);
    CHECK(asked == 1);
    CHECK(small.gain == 5e-4);
    CHECK(small.scale == 1e-3);

    gain = 2e-3;
    const autolrs::stop_verdict large = rule.verdict({.tried = 2, .feasible = 2, .loss_scale = 1.0}, settings, query);
    CHECK_FALSE(large.stop);
    CHECK(large.gain == 2e-3);

    // Loss units, not a fraction of the loss scale: a tiny scale does not make 2e-3 small...
    CHECK_FALSE(rule.verdict({.tried = 2, .feasible = 2, .loss_scale = 1e-6}, settings, query).stop);
    // ... and settings.early_stop_gain does not matter.
    autolrs::controller_settings eager = settings;
    eager.early_stop_gain = 0.9;
    CHECK_FALSE(rule.verdict({.tried = 2, .feasible = 2, .loss_scale = 1.0}, eager, query).stop);
}

TEST_CASE("absolute_gain_stop in a controller: stages stop early only through the rule", "[docs][stop_rule]") {
    // Without the rule (the default rule, turned off): every stage tries all its candidates
    // (a candidate that diverges does not count; at most twice as many are tried).
    autolrs::controller<> plain(settings);
    const stage_log without = run_and_log(plain);
    CHECK(without.stops.empty());
    REQUIRE(without.tried.size() >= 2);
    for (const auto& [stage, tried] : without.tried) {
        CHECK((without.feasible.at(stage) == settings.candidates || tried == 2 * settings.candidates));
    }

    // A min_gain above any gain: every stage stops at min_feasible candidates with a forecast.
    example::gain_controller always = example::make_gain_controller(settings, {.min_gain = 1e9, .min_feasible = 2});
    const stage_log stopped = run_and_log(always);
    CHECK(stopped.result.completed);
    REQUIRE(stopped.tried.size() >= 2);
    CHECK(stopped.stops.size() == stopped.tried.size());
    for (const auto& [stage, feasible] : stopped.feasible) CHECK(feasible == 2);
    for (const autolrs::event& e : stopped.stops) {
        CHECK(e.candidates == stopped.tried.at(e.stage));  // the candidates tried when it stopped
        CHECK(e.loss_scale == 1e9);                       // the rule's scale: min_gain
        CHECK(e.expected_gain < e.loss_scale);            // the search's expected gain
    }
    // The steps the rule saved went into training.
    CHECK(stopped.result.steps_searched < without.result.steps_searched);

    // A realistic min_gain: some stages stop early, each when the gain fell below it.
    example::gain_controller some = example::make_gain_controller(settings, {.min_gain = 1e-3});
    const stage_log mixed = run_and_log(some);
    CHECK(!mixed.stops.empty());
    for (const autolrs::event& e : mixed.stops) {
        CAPTURE(e.stage, e.expected_gain);
        CHECK(e.loss_scale == 1e-3);
        CHECK(e.expected_gain < 1e-3);
        CHECK(mixed.feasible.at(e.stage) >= 2);
        CHECK(mixed.feasible.at(e.stage) < settings.candidates);
    }
}
