#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#if defined(AUTOLRS_TEST_WITH_MPI)  // a target that links MPI defines it (not built otherwise)
#include <autolrs/integrations/mpi.hpp>
#endif

#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

TEST_CASE("invalid_setting names the field and the rule", "[errors]") {
    const autolrs::invalid_setting error("lr_min", "must be positive and finite");
    CHECK(error.field() == "lr_min");
    CHECK(std::string(error.what()) == "autolrs: invalid setting 'lr_min': must be positive and finite");
}

TEST_CASE("require_setting throws only when the rule is broken", "[errors]") {
    CHECK_NOTHROW(autolrs::detail::require_setting(true, "k", "must be at least 1"));
    try {
        autolrs::detail::require_setting(false, "k", "must be at least 1");
        FAIL("require_setting(false, ...) did not throw");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "k");
        CHECK(std::string(e.what()).find("must be at least 1") != std::string::npos);
    }
}

TEST_CASE("invalid_state says it is a load failure", "[errors]") {
    const autolrs::invalid_state error("unknown format version 7");
    CHECK(std::string(error.what()) == "autolrs: cannot load state: unknown format version 7");
}

// ---- invalid_input: a bad argument to a call, named by the call --------------------------------

namespace {

/// Calls `f`, which must throw autolrs::invalid_input; returns it (by value) for the checks.
template <class F>
autolrs::invalid_input invalid_input_from(F&& f) {
    try {
        f();
    } catch (const autolrs::invalid_input& e) {
        return e;
    }
    FAIL("no autolrs::invalid_input was thrown");
    return autolrs::invalid_input("", "");
}

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("invalid_input names the call and the rule, and is a std::invalid_argument", "[errors]") {
    STATIC_REQUIRE(std::is_base_of_v<std::invalid_argument, autolrs::invalid_input>);
    const autolrs::invalid_input error("bayes_opt::tell", "x and y must be finite");
    CHECK(error.where() == "bayes_opt::tell");
    CHECK(std::string(error.what()) == "autolrs: bayes_opt::tell: x and y must be finite");
    CHECK_NOTHROW(autolrs::detail::require_input(true, "f", "must hold"));
    CHECK_THROWS_AS(autolrs::detail::require_input(false, "f", "must hold"), autolrs::invalid_input);
}

TEST_CASE("bayes_opt throws invalid_input at tell, tell_infeasible and warm_start", "[errors][bayes_opt]") {
    autolrs::bayes_opt<> bo({.x_min = -7.0, .x_max = 0.0});
    auto e = invalid_input_from([&] { bo.tell(-3.0, not_a_number); });
    CHECK(e.where() == "bayes_opt::tell");
    CHECK(std::string(e.what()).find("use tell_infeasible for a divergence") != std::string::npos);
    CHECK(invalid_input_from([&] { bo.tell(-3.0, 1.0, -0.1); }).where() == "bayes_opt::tell");
    CHECK(invalid_input_from([&] { bo.tell_infeasible(not_a_number); }).where() == "bayes_opt::tell_infeasible");
    const std::vector<autolrs::observation> fine{{-3.0, 1.0, 0.0}};
    e = invalid_input_from([&] { bo.warm_start(fine, -1.0); });
    CHECK(e.where() == "bayes_opt::warm_start");
    CHECK(std::string(e.what()).find("extra_noise_variance") != std::string::npos);
    const std::vector<autolrs::observation> bad{{-3.0, 1.0, 0.0}, {-2.0, not_a_number, 0.0}};
    CHECK(invalid_input_from([&] { bo.warm_start(bad, 0.0); }).where() == "bayes_opt::warm_start");
    CHECK(bo.observations().empty());
    CHECK(bo.warm_observations().empty());  // a rejected warm start adds nothing
    // Existing catch sites of std::invalid_argument still catch it.
    CHECK_THROWS_AS(bo.tell(not_a_number, 1.0), std::invalid_argument);
}

TEST_CASE("gaussian_process throws invalid_input at add, predict and sample_posterior", "[errors][gp]") {
    autolrs::gaussian_process<> gp;
    CHECK(invalid_input_from([&] { gp.add(0.1, not_a_number); }).where() == "gaussian_process::add");
    CHECK(invalid_input_from([&] { gp.add(0.1, 1.0, -1.0); }).where() == "gaussian_process::add");
    gp.add(0.1, 1.0);
    const std::vector<double> xs{0.2, 0.4};
    std::vector<autolrs::prediction> predictions(1);
    auto e = invalid_input_from([&] { gp.predict(xs, predictions); });
    CHECK(e.where() == "gaussian_process::predict");
    CHECK(std::string(e.what()) == "autolrs: gaussian_process::predict: out.size() must equal xs.size()");
    std::vector<double> sample(3);
    std::mt19937_64 rng(1);
    CHECK(invalid_input_from([&] { gp.sample_posterior(xs, sample, rng); }).where() ==
          "gaussian_process::sample_posterior");
}

#if defined(AUTOLRS_TEST_WITH_MPI)
// The check runs before any MPI call, so it needs no MPI_Init.
TEST_CASE("mpi::averaging_trainer names the setting check_every", "[errors][mpi]") {
    struct constant_trainer {
        using checkpoint_type = int;
        void set_learning_rate(double) {}
        double train_step() { return 1.0; }
        double validation_loss() { return 1.0; }
        checkpoint_type checkpoint() { return 0; }
        void restore(const checkpoint_type&) {}
    } inner;
    try {
        autolrs::mpi::averaging_trainer<constant_trainer> wrapped(inner, MPI_COMM_WORLD, {.check_every = 0});
        FAIL("check_every = 0 was accepted");
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "check_every");
        CHECK(std::string(e.what()) == "autolrs: invalid setting 'check_every': must be at least 1");
    }
}
#endif
