// Data-parallel training on Fashion-MNIST over MPI ranks, with AutoLRS choosing the
// schedule. Every rank runs its own controller; the losses they see are all-reduced,
// so every rank makes the same decisions with no server and no broadcast.
//
//   mpirun -np 3 ./autolrs_mpi_demo --steps 1500 --out mpi-out
//
// Each rank writes its decision log (decisions_rank<r>.csv) and its final parameters
// (parameters_rank<r>.bin) to --out: they are identical on every rank.
// --perturb-rank R gives rank R a different lr_max, to show that a drift is caught.

#include "data_parallel_mlp.hpp"

#include <autolrs/autolrs.hpp>
#include <autolrs/integrations/mpi.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct options {
    std::uint64_t steps = 1500;
    double lr_min = 1e-3;
    double lr_max = 1.0;
    std::uint64_t seed = 7;
    int hidden = 64;
    int perturb_rank = -1;
    std::string data = fashion_mnist::default_directory.string();
    std::string out = "autolrs-mpi-out";
};

int train(const options& opt, int rank, int ranks) {
    const auto train_set = fashion_mnist::load(fashion_mnist::split::train, opt.data);
    const auto test_set = fashion_mnist::load(fashion_mnist::split::test, opt.data);

    data_parallel::mlp_trainer local(train_set, {.hidden = opt.hidden, .seed = opt.seed}, MPI_COMM_WORLD);
    autolrs::mpi::averaging_trainer shared(local, MPI_COMM_WORLD);

    // A perturbed rank searches a narrower interval: its decisions drift from the others'.
    const double lr_max = rank == opt.perturb_rank ? opt.lr_max / 2 : opt.lr_max;
    autolrs::controller<> controller(
        {.lr_min = opt.lr_min, .lr_max = lr_max, .total_steps = opt.steps, .seed = opt.seed});

    std::filesystem::create_directories(opt.out);
    const auto out = std::filesystem::path(opt.out);
    std::ofstream log(out / ("decisions_rank" + std::to_string(rank) + ".csv"));
    autolrs::csv_event_writer write_event(log);
    const auto observer = [&](const autolrs::event& e) {
        write_event(e);
        if (rank == 0 && e.kind == autolrs::event_kind::stage_lr_chosen)
            std::printf("step %6llu  stage %2u  lr %.3g  (forecast loss %.4f)\n",
                        static_cast<unsigned long long>(e.step), e.stage, e.learning_rate, e.forecast);
    };

    const autolrs::run_result result = autolrs::run(shared, controller, observer);

    std::ofstream params(out / ("parameters_rank" + std::to_string(rank) + ".bin"), std::ios::binary);
    params.write(reinterpret_cast<const char*>(local.parameters().data()),
                 static_cast<std::streamsize>(local.parameters().size() * sizeof(float)));
    if (rank == 0) {
        std::printf("%d ranks: %llu steps (%llu training, %llu searching), test accuracy %.2f%%\n", ranks,
                    static_cast<unsigned long long>(result.steps_total),
                    static_cast<unsigned long long>(result.steps_trained),
                    static_cast<unsigned long long>(result.steps_searched), 100.0 * local.accuracy(test_set));
        std::printf("found schedule (trajectory step: lr):\n");
        const auto& rows = result.schedule_rows;
        for (std::size_t i = 0; i < rows.size();) {
            // A run of one-step rows is the final cooldown: print it as one ramp.
            std::size_t j = i;
            while (j + 1 < rows.size() && rows[j + 1].start_step == rows[j].start_step + 1) ++j;
            if (j - i >= 3) {
                std::printf("  %6llu..%llu: %.4g -> %.4g (cooldown)\n", static_cast<unsigned long long>(rows[i].start_step),
                            static_cast<unsigned long long>(rows[j].start_step), rows[i].lr, rows[j].lr);
                i = j + 1;
            } else {
                std::printf("  %6llu: %.4g\n", static_cast<unsigned long long>(rows[i].start_step), rows[i].lr);
                ++i;
            }
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    int ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);

    options opt;
    CLI::App app{"Data-parallel Fashion-MNIST training with AutoLRS over MPI"};
    app.add_option("--steps", opt.steps, "optimizer steps, search included")->capture_default_str();
    app.add_option("--lr-min", opt.lr_min, "smallest LR searched")->capture_default_str();
    app.add_option("--lr-max", opt.lr_max, "largest LR searched")->capture_default_str();
    app.add_option("--seed", opt.seed, "seed (the same on every rank)")->capture_default_str();
    app.add_option("--hidden", opt.hidden, "hidden units of the MLP")->capture_default_str();
    app.add_option("--perturb-rank", opt.perturb_rank, "give this rank a different lr_max (a drift to detect)");
    app.add_option("--data", opt.data, "folder of the Fashion-MNIST *-ubyte.gz files")->capture_default_str();
    app.add_option("--out", opt.out, "output folder")->capture_default_str();
    int code = 0;
    try {
        app.parse(argc, argv);
        code = train(opt, rank, ranks);
    } catch (const CLI::ParseError& e) {
        code = rank == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
    } catch (const autolrs::mpi::rank_divergence& e) {
        std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
        code = 3;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: error: %s\n", rank, e.what());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Finalize();
    return code;
}
