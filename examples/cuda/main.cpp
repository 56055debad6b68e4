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
    bool smoke = false;
    bool bench = false;
    std::vector<int> bench_hidden = {8192, 8192};
    int bench_repetitions = 50;
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

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

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
    return 0;
}

int run_training(const example_data& data, const options& o) {
    mlp_trainer trainer(data.train(), data.validation(), settings_from(o));
    std::printf("training %s on %s (%s)\n", layer_string(o.hidden).c_str(), trainer.gpu().name.c_str(),
                data.description.c_str());
    // autolrs::run lands with the controller; until then, a constant LR.
    trainer.set_learning_rate(std::sqrt(o.lr_min * o.lr_max));
    for (std::uint64_t step = 1; step <= o.total_steps; ++step) {
        const double loss = trainer.train_step();
        if (step % 500 == 0) std::printf("step %6llu  loss %.4f\n", static_cast<unsigned long long>(step), loss);
    }
    const auto test = trainer.evaluate(data.test_samples());
    std::printf("test loss %.4f, accuracy %.2f%%\n", test.loss, 100.0 * test.accuracy);
    return 0;
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
    app.add_option("--steps", o.total_steps, "optimizer steps of training (search steps not counted)");
    app.add_option("--seed", o.seed, "seed for weights, batches and autolrs");
    app.add_option("--device", o.device, "CUDA device index")->check(CLI::NonNegativeNumber);
    app.add_flag("--smoke", o.smoke, "short training with exactness checks; exit 0 when they pass");
    app.add_flag("--bench", o.bench, "benchmark: steps/s, checkpoint/restore bandwidth, controller share");
    app.add_option("--bench-hidden", o.bench_hidden, "hidden widths of the benchmark's large model");
    app.add_option("--bench-repetitions", o.bench_repetitions, "copies timed per figure")->check(CLI::PositiveNumber);
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
