// autolrs_cuda_mnist: an MLP trained on the GPU (kernels + cuBLAS, state in device memory),
// its learning-rate schedule found on the fly by autolrs.
//
//   autolrs_cuda_mnist                 train under autolrs::run, print progress and test accuracy
//   autolrs_cuda_mnist --smoke         a short training with exactness checks (CTest)
//   autolrs_cuda_mnist --bench         steps/s, checkpoint/restore bandwidth, controller share
//
// Exit codes: 0 success, 1 failure (a check failed, a CUDA error), 2 no usable GPU.

#include <autolrs/autolrs.hpp>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "data.hpp"
#include "mlp_trainer.hpp"

static_assert(autolrs::explain_trainer<cuda_example::mlp_trainer>());
static_assert(autolrs::reusing_trainer<cuda_example::mlp_trainer>);

namespace {

using cuda_example::example_data;
using cuda_example::mlp_settings;
using cuda_example::mlp_trainer;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string data_directory = fashion_mnist::default_directory.string();
    bool synthetic = false;
    std::size_t validation_count = 5000;
    std::vector<int> hidden = {256};
    int batch_size = 128;
    double momentum = 0.9;
    double weight_decay = 0.0;
    double lr_min = 1e-3;
    double lr_max = 1.0;
    std::uint64_t total_steps = 6000;
    std::uint64_t seed = 0;
    int device = 0;
    bool verbose = false;
    bool smoke = false;
    bool bench = false;
    std::vector<int> bench_hidden = {8192, 8192};
    int bench_repetitions = 50;
    std::uint64_t bench_controller_steps = 2000;  // the large model's run
};

mlp_settings settings_from(const options& o) {
    mlp_settings s;
    s.hidden_layers = o.hidden;
    s.batch_size = o.batch_size;
    s.momentum = o.momentum;
    s.weight_decay = o.weight_decay;
    s.seed = o.seed;
    s.device = o.device;
    return s;
}

autolrs::controller_settings controller_settings_from(const options& o) {
    return {.lr_min = o.lr_min, .lr_max = o.lr_max, .seed = o.seed};
}

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Forwards every trainer call and adds up the wall time spent inside them: what is left of
/// a run's wall time is the controller's (and the loop's) share.
template <class Inner>
class timed_trainer {
public:
    using checkpoint_type = typename Inner::checkpoint_type;

    explicit timed_trainer(Inner& inner) : inner_(inner) {}

    void set_learning_rate(double lr) {
        const scope timing(inside_);
        inner_.set_learning_rate(lr);
    }
    auto train_step() {
        const scope timing(inside_);
        return inner_.train_step();
    }
    double validation_loss() {
        const scope timing(inside_);
        return inner_.validation_loss();
    }
    checkpoint_type checkpoint() {
        const scope timing(inside_);
        return inner_.checkpoint();
    }
    void checkpoint(checkpoint_type& into) {
        const scope timing(inside_);
        inner_.checkpoint(into);
    }
    void restore(const checkpoint_type& saved) {
        const scope timing(inside_);
        inner_.restore(saved);
    }

    [[nodiscard]] double seconds_inside() const { return inside_.count(); }

private:
    struct scope {
        explicit scope(std::chrono::duration<double>& total) : total_(total) {}
        ~scope() { total_ += clock_type::now() - start_; }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        std::chrono::duration<double>& total_;
        clock_type::time_point start_ = clock_type::now();
    };
    Inner& inner_;
    std::chrono::duration<double> inside_{};
};

static_assert(autolrs::reusing_trainer<timed_trainer<mlp_trainer>>);

/// Prints the decisions a user wants to follow (every candidate too with --verbose).
struct progress_printer {
    bool verbose = false;

    void operator()(const autolrs::event& e) const {
        using autolrs::event_kind;
        const auto step = static_cast<unsigned long long>(e.step);
        switch (e.kind) {
            case event_kind::stage_start:
                std::printf("step %7llu  stage %u: %llu steps, up to %u candidates\n", step, e.stage,
                            static_cast<unsigned long long>(e.length), e.candidates);
                break;
            case event_kind::candidate_end:
                if (verbose)
                    std::printf("step %7llu    candidate %u: lr %.3g, forecast %.4f +- %.4f\n", step, e.candidate,
                                e.learning_rate, e.forecast, e.stddev);
                break;
            case event_kind::candidate_diverged:
                if (verbose) std::printf("step %7llu    candidate %u: lr %.3g diverged\n", step, e.candidate, e.learning_rate);
                break;
            case event_kind::stage_lr_chosen:
                std::printf("step %7llu  stage %u: lr %.4g (forecast loss %.4f)\n", step, e.stage, e.learning_rate,
                            e.forecast);
                break;
            case event_kind::candidate_start:
            case event_kind::search_stopped_early:
                break;
            default:
                std::printf("step %7llu  %.*s: lr %.4g  %.*s\n", step, static_cast<int>(to_string(e.kind).size()),
                            to_string(e.kind).data(), e.learning_rate, static_cast<int>(e.message.size()),
                            e.message.data());
                break;
        }
    }
};

struct event_counter {
    std::uint64_t* count;
    void operator()(const autolrs::event&) const noexcept { ++*count; }
};

// --- smoke test: what a GPU run must get exactly right ----------------------------------

int failures = 0;
void check(bool ok, const char* what) {
    std::printf("  [%s] %s\n", ok ? " ok " : "FAIL", what);
    if (!ok) ++failures;
}

std::vector<double> train_losses(mlp_trainer& trainer, int steps) {
    std::vector<double> losses;
    for (int i = 0; i < steps; ++i) losses.push_back(trainer.train_step());
    return losses;
}

int run_smoke(const example_data& data, const options& o) {
    mlp_settings s = settings_from(o);
    s.hidden_layers = {64};
    s.batch_size = 64;
    mlp_trainer trainer(data.train(), data.validation(), s);
    std::printf("smoke test on %s (%s), model 784-64-10 (%zu parameters)\n", trainer.gpu().name.c_str(),
                data.description.c_str(), trainer.parameter_count());
    trainer.set_learning_rate(0.05);

    const double initial = trainer.validation_loss();
    check(std::isfinite(initial), "initial validation loss is finite");
    check(trainer.validation_loss() == initial, "validation_loss() leaves the training state alone");

    auto saved = trainer.checkpoint();
    const auto first = train_losses(trainer, 20);
    trainer.restore(saved);
    check(trainer.steps_taken() == 0, "restore brings back the data position");
    const auto again = train_losses(trainer, 20);
    check(first == again, "training from a restored checkpoint repeats the losses bit for bit");

    trainer.restore(saved);
    check(train_losses(trainer, 20) == first, "a checkpoint stays valid for further restores");

    const auto bytes_before = saved.bytes();
    trainer.checkpoint(saved);  // reuse the buffer: state after 20 steps
    check(saved.bytes() == bytes_before && saved.steps_taken() == 20, "checkpoint(into) overwrites in place");
    const auto next = train_losses(trainer, 10);
    trainer.restore(saved);
    check(train_losses(trainer, 10) == next, "restore from a reused checkpoint is exact");

    train_losses(trainer, 400);
    const double trained = trainer.validation_loss();
    std::printf("  validation loss %.4f -> %.4f after %llu steps\n", initial, trained,
                static_cast<unsigned long long>(trainer.steps_taken()));
    check(trained < 0.8 * initial, "training lowers the validation loss");

    trainer.checkpoint(saved);
    trainer.set_learning_rate(1e6);
    double diverged = 0.0;
    for (int i = 0; i < 5; ++i) diverged = trainer.train_step();
    check(!std::isfinite(diverged) || diverged > 10.0 * trained, "an absurd learning rate diverges");
    trainer.restore(saved);
    trainer.set_learning_rate(0.05);
    check(trainer.validation_loss() == trained, "restore recovers a diverged model exactly");

    const auto test = trainer.evaluate(data.test_samples());
    std::printf("  test accuracy %.2f%%\n", 100.0 * test.accuracy);
    check(test.accuracy > 0.5, "test accuracy above 50%");

    // The whole loop: autolrs::run over the GPU trainer, twice from the same seed.
    constexpr std::uint64_t budget = 1000;
    auto run_once = [&](double& before, double& after) {
        mlp_trainer fresh(data.train(), data.validation(), s);
        before = fresh.validation_loss();
        const auto result = autolrs::run(fresh, controller_settings_from(o), budget);
        after = fresh.validation_loss();
        return result;
    };
    double before = 0.0;
    double after = 0.0;
    const auto first_run = run_once(before, after);
    std::printf("  autolrs::run: %llu steps (%llu searched), %u stages, validation loss %.4f -> %.4f\n",
                static_cast<unsigned long long>(first_run.steps_total),
                static_cast<unsigned long long>(first_run.steps_searched), first_run.stages, before, after);
    check(first_run.completed && first_run.steps_total == budget, "autolrs::run spends exactly the budget");
    check(after < 0.8 * before, "autolrs::run trains the model");
    double second_after = 0.0;
    const auto second_run = run_once(before, second_after);
    check(second_run.schedule_rows == first_run.schedule_rows && second_after == after,
          "autolrs::run on the GPU is reproducible (same schedule, same final loss)");

    if (failures > 0) {
        std::printf("cuda smoke test FAILED (%d checks)\n", failures);
        return 1;
    }
    std::printf("cuda smoke test passed\n");
    return 0;
}

// --- benchmark ---------------------------------------------------------------------------

double steps_per_second(mlp_trainer& trainer, int steps) {
    trainer.synchronize();
    const auto start = clock_type::now();
    for (int i = 0; i < steps; ++i) trainer.train_step();
    trainer.synchronize();
    return steps / seconds_since(start);
}

template <class Operation>
double seconds_each(mlp_trainer& trainer, int repetitions, Operation&& operation) {
    trainer.synchronize();
    const auto start = clock_type::now();
    for (int i = 0; i < repetitions; ++i) operation();
    trainer.synchronize();
    return seconds_since(start) / repetitions;
}

std::string layer_string(const std::vector<int>& hidden) {
    std::string s = "784";
    for (const int width : hidden) s += "-" + std::to_string(width);
    return s + "-10";
}

int run_bench(const example_data& data, const options& o) {
    const int reps = o.bench_repetitions;
    {
        mlp_trainer small(data.train(), data.validation(), settings_from(o));
        const auto& gpu = small.gpu();
        std::printf("GPU %d: %s, compute capability %d.%d, %.1f GiB\n", gpu.index, gpu.name.c_str(), gpu.compute_major,
                    gpu.compute_minor, static_cast<double>(gpu.memory_bytes) / (1u << 30));
        std::printf("data: %s\n\n", data.description.c_str());
        small.set_learning_rate(0.05);
        steps_per_second(small, 50);  // warm-up: cuBLAS heuristics, clocks
        const double rate = steps_per_second(small, 2000);
        std::printf("model %s, batch %d (%zu parameters, %.2f MB)\n", layer_string(o.hidden).c_str(), o.batch_size,
                    small.parameter_count(), small.parameter_bytes() / 1e6);
        std::printf("  train_step: %.0f steps/s (%.1f us/step, loss copied back every step)\n", rate, 1e6 / rate);
    }

    mlp_settings wide_settings = settings_from(o);
    wide_settings.hidden_layers = o.bench_hidden;
    mlp_trainer wide(data.train(), data.validation(), wide_settings);
    const double parameter_mb = wide.parameter_bytes() / 1e6;
    const double state_mb = wide.checkpoint_bytes() / 1e6;
    std::printf("\nmodel %s, batch %d (%zu parameters, %.1f MB; checkpoint = parameters + momentum = %.1f MB)\n",
                layer_string(o.bench_hidden).c_str(), o.batch_size, wide.parameter_count(), parameter_mb, state_mb);
    wide.set_learning_rate(0.01);
    steps_per_second(wide, 5);
    const double wide_rate = steps_per_second(wide, 100);
    std::printf("  train_step: %.1f steps/s (%.2f ms/step)\n", wide_rate, 1e3 / wide_rate);

    const auto allocation_start = clock_type::now();
    auto saved = wide.checkpoint();
    wide.synchronize();
    const double first_checkpoint = seconds_since(allocation_start);
    const double checkpoint_seconds = seconds_each(wide, reps, [&] { wide.checkpoint(saved); });
    const double restore_seconds = seconds_each(wide, reps, [&] { wide.restore(saved); });
    const auto reference = cuda_example::measure_device_copy(wide.checkpoint_bytes(), reps);

    const double bytes = static_cast<double>(wide.checkpoint_bytes());
    auto report = [&](const char* what, double seconds) {
        const double bandwidth = bytes / seconds;
        std::printf("  %-22s %8.3f ms  %7.1f GB/s  %5.1f%% of device copy bandwidth\n", what, 1e3 * seconds,
                    bandwidth / 1e9, 100.0 * bandwidth / reference.bytes_per_second);
        return bandwidth / reference.bytes_per_second;
    };
    std::printf("  checkpoint/restore of %.1f MB, mean of %d (bytes counted once; HBM traffic is twice):\n", state_mb,
                reps);
    std::printf("  %-22s %8.3f ms  %7.1f GB/s\n", "cudaMemcpyAsync D2D", 1e3 * reference.seconds_per_copy,
                reference.bytes_per_second / 1e9);
    report("checkpoint(into)", checkpoint_seconds);
    const double restore_share = report("restore", restore_seconds);
    std::printf("  %-22s %8.3f ms  (first checkpoint(), including cudaMalloc)\n", "checkpoint()", 1e3 * first_checkpoint);
    std::printf("  restore target (>= 50%% of copy bandwidth): %s\n", restore_share >= 0.5 ? "met" : "NOT met");

    // The controller's share: everything in autolrs::run's wall time that is not inside a
    // trainer call (decisions, BO fits, forecasts, the loop, event delivery).
    std::printf("\ncontroller share of wall time under autolrs::run (target < 1%%):\n");
    auto controller_share = [&](mlp_trainer& trainer, const std::string& model, std::uint64_t steps) {
        timed_trainer timed(trainer);
        std::uint64_t events = 0;
        const auto start = clock_type::now();
        const auto result = autolrs::run(timed, controller_settings_from(o), steps, event_counter{&events});
        const double wall = seconds_since(start);
        const double outside = wall - timed.seconds_inside();
        std::printf("  %-26s %6llu steps (%llu searched), %llu events, %.2f s: %.1f steps/s, controller %.3f s = %.2f%%\n",
                    model.c_str(), static_cast<unsigned long long>(result.steps_total),
                    static_cast<unsigned long long>(result.steps_searched), static_cast<unsigned long long>(events),
                    wall, static_cast<double>(result.steps_total) / wall, outside, 100.0 * outside / wall);
    };
    controller_share(wide, layer_string(o.bench_hidden), o.bench_controller_steps);
    {
        mlp_trainer small(data.train(), data.validation(), settings_from(o));
        controller_share(small, layer_string(o.hidden), o.total_steps);
    }
    return 0;
}

// The found schedule, one row per constant piece; the cooldown (and a warmup) change the LR
// every step, so a run of one-step rows prints as one ramp "first-last: lr -> lr".
void print_schedule(const std::vector<autolrs::schedule::piecewise_constant_row>& rows, std::uint64_t steps_trained) {
    const auto end_of = [&](std::size_t i) { return i + 1 < rows.size() ? rows[i + 1].start_step : steps_trained; };
    const auto one_step = [&](std::size_t i) { return end_of(i) - rows[i].start_step == 1; };
    std::printf("found schedule (trajectory steps: lr):");
    for (std::size_t i = 0; i < rows.size();) {
        std::size_t last = i;
        while (one_step(last) && last + 1 < rows.size() && one_step(last + 1)) ++last;
        if (last - i >= 2) {
            std::printf(" %llu-%llu: %.4g -> %.4g (every step);", static_cast<unsigned long long>(rows[i].start_step),
                        static_cast<unsigned long long>(end_of(last) - 1), rows[i].lr, rows[last].lr);
        } else {
            for (std::size_t j = i; j <= last; ++j)
                std::printf(" %llu-%llu: %.4g;", static_cast<unsigned long long>(rows[j].start_step),
                            static_cast<unsigned long long>(end_of(j) - 1), rows[j].lr);
        }
        i = last + 1;
    }
}

int run_training(const example_data& data, const options& o) {
    mlp_trainer trainer(data.train(), data.validation(), settings_from(o));
    std::printf("training %s on %s (%s)\n", layer_string(o.hidden).c_str(), trainer.gpu().name.c_str(),
                data.description.c_str());
    std::printf("autolrs: lr in [%g, %g], %llu steps in all (search included)\n", o.lr_min, o.lr_max,
                static_cast<unsigned long long>(o.total_steps));
    const auto start = clock_type::now();
    const autolrs::run_result result =
        autolrs::run(trainer, controller_settings_from(o), o.total_steps, progress_printer{o.verbose});
    const double seconds = seconds_since(start);

    std::printf("\n%llu steps in %.1f s: %llu trained the model, %llu searched (%.0f%% of the budget); "
                "%u stages, %u divergences%s\n",
                static_cast<unsigned long long>(result.steps_total), seconds,
                static_cast<unsigned long long>(result.steps_trained),
                static_cast<unsigned long long>(result.steps_searched), 100.0 * result.budget_share_searched(), result.stages,
                result.divergences, result.completed ? "" : " (stopped early)");
    print_schedule(result.schedule_rows, result.steps_trained);
    const auto validation = trainer.evaluate_validation();
    const auto test = trainer.evaluate(data.test_samples());
    std::printf("\nvalidation loss %.4f, accuracy %.2f%%\ntest loss %.4f, accuracy %.2f%%\n", validation.loss,
                100.0 * validation.accuracy, test.loss, 100.0 * test.accuracy);
    return result.completed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    CLI::App app{"MLP on Fashion-MNIST trained on the GPU, learning-rate schedule by autolrs"};
    app.add_option("--data", o.data_directory, "folder with the Fashion-MNIST *-ubyte.gz files");
    app.add_flag("--synthetic", o.synthetic, "use synthetic images instead of Fashion-MNIST");
    app.add_option("--validation", o.validation_count, "training images held out for validation")
        ->check(CLI::Range(1, 30000));
    app.add_option("--hidden", o.hidden, "hidden layer widths (none: softmax regression)")->expected(0, -1);
    app.add_option("--batch", o.batch_size, "batch size")->check(CLI::PositiveNumber);
    app.add_option("--momentum", o.momentum, "SGD momentum");
    app.add_option("--weight-decay", o.weight_decay, "L2 weight decay");
    app.add_option("--lr-min", o.lr_min, "lowest learning rate autolrs may choose")->check(CLI::PositiveNumber);
    app.add_option("--lr-max", o.lr_max, "highest learning rate autolrs may choose")->check(CLI::PositiveNumber);
    app.add_option("--steps", o.total_steps, "optimizer steps in all, the search's included");
    app.add_option("--seed", o.seed, "seed for weights, batches and autolrs");
    app.add_option("--device", o.device, "CUDA device index")->check(CLI::NonNegativeNumber);
    app.add_flag("--verbose", o.verbose, "print every candidate of every stage");
    app.add_flag("--smoke", o.smoke, "short training with exactness checks; exit 0 when they pass");
    app.add_flag("--bench", o.bench, "benchmark: steps/s, checkpoint/restore bandwidth, controller share");
    app.add_option("--bench-hidden", o.bench_hidden, "hidden widths of the benchmark's large model");
    app.add_option("--bench-repetitions", o.bench_repetitions, "copies timed per figure")->check(CLI::PositiveNumber);
    app.add_option("--bench-controller-steps", o.bench_controller_steps,
                   "steps of the large model's autolrs::run in the benchmark");
    CLI11_PARSE(app, argc, argv);

    try {
        // First, before reading any data: without a GPU there is nothing to do.
        cuda_example::require_gpu(o.device);

        example_data data;
        if (o.synthetic) {
            data = cuda_example::make_synthetic(o.validation_count, o.seed);
        } else {
            try {
                data = cuda_example::load_fashion_mnist(o.data_directory, o.validation_count);
            } catch (const std::runtime_error& e) {
                if (!o.smoke && !o.bench) throw;
                // A bare GPU host may lack the dataset; the checks and timings do not need it.
                std::printf("note: %s\nnote: using synthetic data instead\n", e.what());
                data = cuda_example::make_synthetic(o.validation_count, o.seed);
            }
        }
        if (o.smoke) return run_smoke(data, o);
        if (o.bench) return run_bench(data, o);
        return run_training(data, o);
    } catch (const cuda_example::no_gpu_error& e) {
        std::fprintf(stderr, "autolrs_cuda_mnist: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "autolrs_cuda_mnist: error: %s\n", e.what());
        return 1;
    }
}
