#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <vector>

namespace {

struct plain_trainer {
    using checkpoint_type = std::vector<double>;
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
    double validation_loss() { return 1.0; }
    checkpoint_type checkpoint() { return {}; }
    void restore(const checkpoint_type&) {}
};

struct skipping_trainer : plain_trainer {
    autolrs::step_result train_step() { return {1.0, false}; }
    void checkpoint(checkpoint_type& into) { into.clear(); }
    using plain_trainer::checkpoint;
};

struct no_restore {
    using checkpoint_type = int;
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
    double validation_loss() { return 1.0; }
    checkpoint_type checkpoint() { return 0; }
};

struct no_checkpoint_type {
    void set_learning_rate(double) {}
    double train_step() { return 1.0; }
};

}  // namespace

TEST_CASE("trainer concept accepts conforming backends", "[trainer]") {
    STATIC_REQUIRE(autolrs::trainer<plain_trainer>);
    STATIC_REQUIRE(autolrs::trainer<skipping_trainer>);
    STATIC_REQUIRE_FALSE(autolrs::reusing_trainer<plain_trainer>);
    STATIC_REQUIRE(autolrs::reusing_trainer<skipping_trainer>);
}

TEST_CASE("trainer concept rejects incomplete backends", "[trainer]") {
    STATIC_REQUIRE_FALSE(autolrs::trainer<no_restore>);
    STATIC_REQUIRE_FALSE(autolrs::trainer<no_checkpoint_type>);
    STATIC_REQUIRE_FALSE(autolrs::trainer<int>);
}

TEST_CASE("explain_trainer is true for a conforming backend", "[trainer]") {
    STATIC_REQUIRE(autolrs::explain_trainer<plain_trainer>());
}
