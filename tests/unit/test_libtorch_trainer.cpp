// The LibTorch adapter: LR ratios between parameter groups, exact in-memory checkpoints
// (parameters, batch-norm buffers, optimizer state), the LR after a restore, eval-mode
// validation and non-finite losses. Small synthetic models, so it runs in a second.
#include <autolrs/integrations/libtorch.hpp>
#include <autolrs/autolrs.hpp>

#include "catch.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using autolrs::libtorch::batch;
using model_type = torch::nn::Sequential;
using trainer_type = autolrs::libtorch::trainer<model_type>;

model_type make_model(bool with_dropout = false) {
    torch::manual_seed(7);
    model_type model(torch::nn::Linear(6, 16), torch::nn::BatchNorm1d(16), torch::nn::ReLU(),
                     torch::nn::Linear(16, 3));
    if (with_dropout) model->push_back(torch::nn::Dropout(0.5));
    return model;
}

std::vector<batch> make_batches(std::size_t count, std::int64_t seed) {
    torch::manual_seed(seed);
    std::vector<batch> batches;
    for (std::size_t i = 0; i < count; ++i)
        batches.push_back({torch::randn({8, 6}), torch::randint(0, 3, {8}, torch::kLong)});
    return batches;
}

// A batch source over a fixed list whose position the test can rewind (the trainer never does).
struct replayable_batches {
    std::vector<batch> batches = make_batches(16, 11);
    std::size_t position = 0;
    batch next() { return batches[position++ % batches.size()]; }
};

torch::Tensor cross_entropy(const torch::Tensor& output, const torch::Tensor& target) {
    return torch::nn::functional::cross_entropy(output, target);
}

trainer_type make_trainer(model_type model, std::shared_ptr<torch::optim::Optimizer> optimizer,
                          const std::shared_ptr<replayable_batches>& data) {
    return trainer_type(std::move(model), std::move(optimizer), [data] { return data->next(); }, cross_entropy,
                        make_batches(2, 23));
}

std::vector<torch::Tensor> snapshot(const model_type& model) {
    std::vector<torch::Tensor> values;
    for (const auto& p : model->parameters()) values.push_back(p.detach().clone());
    for (const auto& b : model->buffers()) values.push_back(b.detach().clone());
    return values;
}

std::vector<torch::Tensor> snapshot_parameters(const model_type& model) {
    std::vector<torch::Tensor> values;
    for (const auto& p : model->parameters()) values.push_back(p.detach().clone());
    return values;
}

bool bit_identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!torch::equal(a[i], b[i])) return false;
    return true;
}

void train(trainer_type& trainer, int steps) {
    for (int i = 0; i < steps; ++i) {
        const double loss = trainer.train_step();
        REQUIRE(std::isfinite(loss));
    }
}

std::shared_ptr<torch::optim::Optimizer> make_optimizer(const std::string& name, const model_type& model) {
    namespace optim = torch::optim;
    if (name == "sgd_momentum")
        return std::make_shared<optim::SGD>(model->parameters(), optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
    if (name == "adam") return std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions(1e-2));
    if (name == "adam_amsgrad")
        return std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions(1e-2).amsgrad(true));
    if (name == "adamw")
        return std::make_shared<optim::AdamW>(model->parameters(),
                                              optim::AdamWOptions(1e-2).weight_decay(0.1).amsgrad(true));
    if (name == "rmsprop")
        return std::make_shared<optim::RMSprop>(model->parameters(),
                                                optim::RMSpropOptions(1e-2).momentum(0.5).centered(true));
    return std::make_shared<optim::Adagrad>(model->parameters(), optim::AdagradOptions(1e-2));
}

}  // namespace

TEST_CASE("the LibTorch adapter is a reusing autolrs trainer", "[libtorch]") {
    STATIC_REQUIRE(autolrs::trainer<trainer_type>);
    STATIC_REQUIRE(autolrs::reusing_trainer<trainer_type>);
    STATIC_REQUIRE(autolrs::explain_trainer<trainer_type>());
}

TEST_CASE("restore then step gives bit-identical parameters, buffers and optimizer state", "[libtorch]") {
    const std::string name = GENERATE("sgd_momentum", "adam", "adam_amsgrad", "adamw", "rmsprop", "adagrad");
    CAPTURE(name);
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto trainer = make_trainer(model, make_optimizer(name, model), data);

    train(trainer, 3);  // the optimizer now holds per-parameter state (momentum, moments, step)
    const auto saved = trainer.checkpoint();
    const std::size_t position = data->position;
    train(trainer, 5);
    const auto first_time = snapshot(model);

    trainer.restore(saved);
    data->position = position;
    train(trainer, 5);
    CHECK(bit_identical(snapshot(model), first_time));

    SECTION("the checkpoint stays valid for a second restore") {
        trainer.restore(saved);
        data->position = position;
        train(trainer, 5);
        CHECK(bit_identical(snapshot(model), first_time));
    }
    SECTION("control: restoring the parameters alone (stale optimizer state) does not reproduce the run") {
        {
            torch::NoGradGuard no_grad;
            auto parameters = model->parameters();
            auto buffers = model->buffers();
            for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(saved.parameters()[i]);
            for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved.buffers()[i]);
        }
        data->position = position;
        train(trainer, 5);
        CHECK_FALSE(bit_identical(snapshot(model), first_time));
    }
}

TEST_CASE("a checkpoint taken before the first step drops the optimizer state on restore", "[libtorch]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto trainer = make_trainer(model, make_optimizer("sgd_momentum", model), data);
    const auto fresh = trainer.checkpoint();
    train(trainer, 4);
    const auto first_time = snapshot(model);
    train(trainer, 3);  // momentum buffers now differ from step 0's (none)

    trainer.restore(fresh);
    data->position = 0;
    train(trainer, 4);
    CHECK(bit_identical(snapshot(model), first_time));
}

TEST_CASE("checkpoints are deep values; checkpoint(into) overwrites in place", "[libtorch]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto trainer = make_trainer(model, make_optimizer("adamw", model), data);
    train(trainer, 2);
    auto reused = trainer.checkpoint();
    const auto early_state = snapshot(model);
    const trainer_type::checkpoint_type copy = reused;  // deep copy
    train(trainer, 3);
    const auto late_state = snapshot(model);

    trainer.checkpoint(reused);  // now the late state; `copy` must still hold the early one
    trainer.restore(copy);
    CHECK(bit_identical(snapshot(model), early_state));
    trainer.restore(reused);
    CHECK(bit_identical(snapshot(model), late_state));
    CHECK_FALSE(copy.empty());
    CHECK(trainer_type::checkpoint_type{}.empty());
}

TEST_CASE("the step after a restore runs at the LR set after the restore", "[libtorch]") {
    torch::manual_seed(3);
    auto model = torch::nn::Sequential(torch::nn::Linear(6, 3));
    auto data = std::make_shared<replayable_batches>();
    auto optimizer = std::make_shared<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.1));
    trainer_type trainer(model, optimizer, [data] { return data->next(); }, cross_entropy, make_batches(1, 5));

    trainer.set_learning_rate(0.1);
    train(trainer, 2);
    const auto saved = trainer.checkpoint();
    trainer.set_learning_rate(0.01);
    trainer.restore(saved);
    CHECK(optimizer->param_groups()[0].options().get_lr() == 0.01);
    CHECK(trainer.learning_rate() == 0.01);

    const auto before = snapshot(model);
    train(trainer, 1);
    const auto after = snapshot(model);
    const auto parameters = model->parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        // plain SGD: p_new = p_old - lr * grad, so the step reveals the LR it ran at
        const auto expected = before[i] - 0.01 * parameters[i].grad();
        CHECK(torch::allclose(after[i], expected, 1e-6, 1e-7));
        CHECK_FALSE(torch::allclose(after[i], before[i] - 0.1 * parameters[i].grad(), 1e-6, 1e-7));
    }
}

TEST_CASE("set_learning_rate keeps the ratios between parameter groups", "[libtorch]") {
    torch::manual_seed(5);
    auto model = torch::nn::Sequential(torch::nn::Linear(6, 8), torch::nn::ReLU(), torch::nn::Linear(8, 3));
    auto data = std::make_shared<replayable_batches>();
    auto first = model[0]->parameters();
    auto last = model[2]->parameters();
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(first, std::make_unique<torch::optim::SGDOptions>(0.1));
    groups.emplace_back(last, std::make_unique<torch::optim::SGDOptions>(0.2));  // twice the base LR
    auto optimizer = std::make_shared<torch::optim::SGD>(std::move(groups), torch::optim::SGDOptions(0.1));
    trainer_type trainer(model, optimizer, [data] { return data->next(); }, cross_entropy, make_batches(1, 5));

    trainer.set_learning_rate(0.03);
    CHECK(optimizer->param_groups()[0].options().get_lr() == Approx(0.03));
    CHECK(optimizer->param_groups()[1].options().get_lr() == Approx(0.06));
    const auto saved = trainer.checkpoint();
    trainer.set_learning_rate(0.5);
    trainer.restore(saved);
    CHECK(optimizer->param_groups()[0].options().get_lr() == Approx(0.5));
    CHECK(optimizer->param_groups()[1].options().get_lr() == Approx(1.0));

    CHECK_THROWS_AS(trainer.set_learning_rate(std::numeric_limits<double>::quiet_NaN()), autolrs::invalid_setting);
    CHECK_THROWS_AS(trainer.set_learning_rate(0.0), autolrs::invalid_setting);
}

TEST_CASE("validation_loss runs in eval mode without autograd and keeps the module's mode", "[libtorch]") {
    auto model = make_model(/*with_dropout=*/true);
    auto data = std::make_shared<replayable_batches>();
    auto trainer = make_trainer(model, make_optimizer("sgd_momentum", model), data);
    train(trainer, 2);
    const auto before = snapshot(model);  // includes the batch-norm running statistics

    const double first = trainer.validation_loss();
    const double second = trainer.validation_loss();
    CHECK(std::isfinite(first));
    CHECK(first == second);  // eval mode: dropout off, batch norm uses its running statistics
    CHECK(model->is_training());
    CHECK(bit_identical(snapshot(model), before));  // train mode would have moved the running stats

    model->eval();
    CHECK(trainer.validation_loss() == first);
    CHECK_FALSE(model->is_training());
}

TEST_CASE("a non-finite loss is returned without crashing and without updating parameters or optimizer state", "[libtorch]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    bool poison = false;
    trainer_type trainer(
        model, make_optimizer("adam", model), [data] { return data->next(); },
        [&poison](const torch::Tensor& output, const torch::Tensor& target) {
            auto loss = cross_entropy(output, target);
            return poison ? loss * std::numeric_limits<double>::infinity() : loss;
        },
        make_batches(1, 5));
    train(trainer, 2);
    const auto before = snapshot_parameters(model);
    const auto saved = trainer.checkpoint();

    poison = true;
    const double loss = trainer.train_step();
    CHECK_FALSE(std::isfinite(loss));
    CHECK(trainer.non_finite_steps() == 1);
    CHECK(trainer.steps() == 3);
    CHECK(bit_identical(snapshot_parameters(model), before));  // (the forward pass did move the batch-norm statistics)

    // the optimizer state was not touched either: the next finite steps match a restored run
    poison = false;
    const std::size_t position = data->position;
    train(trainer, 2);
    const auto continued = snapshot_parameters(model);
    trainer.restore(saved);
    data->position = position;
    train(trainer, 2);
    CHECK(bit_identical(snapshot_parameters(model), continued));
}

TEST_CASE("the adapter rejects unusable arguments with the field's name", "[libtorch]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto next = [data] { return data->next(); };
    CHECK_THROWS_AS(trainer_type(model, make_optimizer("adam", model), next, cross_entropy, {}),
                    autolrs::invalid_setting);
    CHECK_THROWS_AS(trainer_type(model, nullptr, next, cross_entropy, make_batches(1, 5)), autolrs::invalid_setting);
    try {
        trainer_type(model, make_optimizer("adam", model), next, cross_entropy, {});
    } catch (const autolrs::invalid_setting& e) {
        CHECK(e.field() == "validation_batches");
    }
}

TEST_CASE("validation data only when the loss signal needs it, said at construction", "[libtorch]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto next = [data] { return data->next(); };

    // The default signal never evaluates: no validation batches, and a run with the defaults works.
    autolrs::libtorch::trainer plain(model, make_optimizer("sgd_momentum", model), next, cross_entropy);
    static_assert(std::is_same_v<decltype(plain), trainer_type>);
    CHECK_FALSE(plain.has_validation_data());
    autolrs::controller<> ctl({.lr_min = 1e-3, .lr_max = 0.5, .total_steps = 120});
    (void)autolrs::run(plain, ctl);
    CHECK(ctl.steps_total() == 120);
    CHECK(ctl.evaluations() == 0);
    // Asked anyway: the message names the fix.
    try {
        (void)plain.validation_loss();
        FAIL("validation_loss() without validation batches should throw");
    } catch (const autolrs::invalid_input& e) {
        CHECK(std::string(e.what()).find("validation_batches") != std::string::npos);
    }

    // Given the signal, the constructor says at once when it needs batches that are missing.
    for (const autolrs::loss_signal signal : {autolrs::loss_signal::validation, autolrs::loss_signal::reference_switch}) {
        try {
            trainer_type(model, make_optimizer("adam", model), next, cross_entropy, signal, {});
            FAIL("a validation signal without validation batches should throw at construction");
        } catch (const autolrs::invalid_setting& e) {
            CHECK(e.field() == "validation_batches");
            CHECK(std::string(e.what()).find("loss_signal::training") != std::string::npos);
        }
    }
    const trainer_type training(model, make_optimizer("adam", model), next, cross_entropy, autolrs::loss_signal::training, {});
    CHECK_FALSE(training.has_validation_data());
    trainer_type with(model, make_optimizer("adam", model), next, cross_entropy, autolrs::loss_signal::validation,
                      make_batches(2, 23));
    CHECK(with.has_validation_data());
    CHECK(std::isfinite(with.validation_loss()));
}

TEST_CASE("a checkpoint of another model is refused", "[libtorch]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto trainer = make_trainer(model, make_optimizer("sgd_momentum", model), data);
    torch::manual_seed(1);
    auto other_model = torch::nn::Sequential(torch::nn::Linear(6, 3));
    auto other = make_trainer(other_model, make_optimizer("sgd_momentum", other_model), data);
    CHECK_THROWS_AS(trainer.restore(other.checkpoint()), autolrs::invalid_state);
}

TEST_CASE("an optimizer state the adapter cannot copy is refused with invalid_input", "[libtorch][errors]") {
    auto model = make_model();
    auto data = std::make_shared<replayable_batches>();
    auto optimizer = make_optimizer("sgd_momentum", model);
    auto trainer = make_trainer(model, optimizer, data);
    // An LBFGS state under an SGD parameter: the kind of state a custom optimizer would keep.
    const torch::Tensor first = model->parameters().front();  // a handle: the same TensorImpl
    optimizer->state()[c10::guts::to_string(first.unsafeGetTensorImpl())] =
        std::make_unique<torch::optim::LBFGSParamState>();
    try {
        (void)trainer.checkpoint();
        FAIL("an unsupported optimizer state was checkpointed");
    } catch (const autolrs::invalid_input& e) {
        CHECK(e.where() == "libtorch::checkpoint");
        CHECK(std::string(e.what()).find("supported optimizers: SGD, Adam, AdamW, RMSprop, Adagrad") !=
              std::string::npos);
    }
}
