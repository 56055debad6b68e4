// Records real per-step training-loss curves on Fashion-MNIST for the forecasting
// benchmark (bench/bench_forecast_accuracy.cpp). A plain Eigen MLP (784-128-10, ReLU,
// softmax cross-entropy) keeps this fast, seeded and free of LibTorch.
//
// For each optimizer (SGD with momentum 0.9, Adam) and each starting checkpoint (fresh
// weights; partly trained: model AND optimizer state after a pretraining run), it trains
// from that checkpoint at each LR of a log-spaced grid over two decades, on the same batch
// sequence for every LR, and writes one text file per (optimizer, checkpoint):
//   # comment lines
//   lr <lr_1> ... <lr_m>
//   <loss at step 1 for lr_1> ... <for lr_m>          (one line per step)
// A diverged run's losses are written as "nan" from the first non-finite step on.
#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using vector = Eigen::VectorXf;

std::vector<unsigned char> read_gzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::vector<unsigned char> out;
    unsigned char buf[1 << 16];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    return out;
}

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

struct dataset {
    matrix images;                 // n x 784, standardised
    std::vector<int> labels;
};

dataset load_fashion_mnist(const std::string& dir) {
    auto img = read_gzip(dir + "/train-images-idx3-ubyte.gz");
    auto lab = read_gzip(dir + "/train-labels-idx1-ubyte.gz");
    if (img.size() < 16 || be32(img.data()) != 2051 || lab.size() < 8 || be32(lab.data()) != 2049)
        throw std::runtime_error("not idx files");
    const auto n = be32(img.data() + 4), rows = be32(img.data() + 8), cols = be32(img.data() + 12);
    if (rows * cols != 784 || be32(lab.data() + 4) != n || img.size() < 16 + std::size_t{n} * 784)
        throw std::runtime_error("unexpected idx shape");
    dataset d{matrix(n, 784), std::vector<int>(n)};
    for (std::uint32_t i = 0; i < n; ++i) {
        for (int j = 0; j < 784; ++j) d.images(i, j) = (img[16 + std::size_t{i} * 784 + j] / 255.0f - 0.2860f) / 0.3530f;
        d.labels[i] = lab[8 + i];
    }
    return d;
}

constexpr int n_in = 784, n_hidden = 128, n_out = 10;
constexpr int n_params = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out;

/// Model and optimizer state: what a checkpoint holds.
struct state {
    vector params = vector::Zero(n_params);
    vector m = vector::Zero(n_params);    // momentum buffer (SGD) or first moment (Adam)
    vector v = vector::Zero(n_params);    // second moment (Adam)
    std::int64_t adam_step = 0;
};

state fresh_state(std::uint64_t seed) {
    state s;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    // He initialisation for the weights, zero biases.
    for (int i = 0; i < n_in * n_hidden; ++i) s.params[i] = normal(rng) * std::sqrt(2.0f / n_in);
    const int w2 = n_in * n_hidden + n_hidden;
    for (int i = 0; i < n_hidden * n_out; ++i) s.params[w2 + i] = normal(rng) * std::sqrt(2.0f / n_hidden);
    return s;
}

class trainer {
public:
    trainer(const dataset& data, int batch, std::uint64_t order_seed)
        : data_(data), batch_(batch), rng_(order_seed), order_(data.labels.size()),
          x_(batch, n_in), z1_(batch, n_hidden), z2_(batch, n_out), grad_(n_params) {
        std::iota(order_.begin(), order_.end(), 0);
        cursor_ = order_.size();
    }

    /// One optimizer step; returns the minibatch loss before the update.
    double step(state& s, bool adam, float lr) {
        next_batch();
        const float* p = s.params.data();
        Eigen::Map<const matrix> w1(p, n_in, n_hidden);
        Eigen::Map<const Eigen::RowVectorXf> b1(p + n_in * n_hidden, n_hidden);
        Eigen::Map<const matrix> w2(p + n_in * n_hidden + n_hidden, n_hidden, n_out);
        Eigen::Map<const Eigen::RowVectorXf> b2(p + n_in * n_hidden + n_hidden + n_hidden * n_out, n_out);
        z1_.noalias() = x_ * w1;
        z1_.rowwise() += b1;
        matrix a1 = z1_.cwiseMax(0.0f);
        z2_.noalias() = a1 * w2;
        z2_.rowwise() += b2;
        double loss = 0.0;
        for (int i = 0; i < batch_; ++i) {  // softmax cross-entropy; z2_ becomes dL/dz2
            const float mx = z2_.row(i).maxCoeff();
            z2_.row(i) = (z2_.row(i).array() - mx).exp();
            const float sum = z2_.row(i).sum();
            loss += std::log(sum) - std::log(z2_(i, y_[i]));
            z2_.row(i) /= sum;
            z2_(i, y_[i]) -= 1.0f;
        }
        z2_ /= static_cast<float>(batch_);
        float* g = grad_.data();
        Eigen::Map<matrix> gw1(g, n_in, n_hidden);
        Eigen::Map<Eigen::RowVectorXf> gb1(g + n_in * n_hidden, n_hidden);
        Eigen::Map<matrix> gw2(g + n_in * n_hidden + n_hidden, n_hidden, n_out);
        Eigen::Map<Eigen::RowVectorXf> gb2(g + n_in * n_hidden + n_hidden + n_hidden * n_out, n_out);
        gw2.noalias() = a1.transpose() * z2_;
        gb2 = z2_.colwise().sum();
        matrix da1 = z2_ * w2.transpose();
        da1 = (z1_.array() > 0.0f).select(da1, 0.0f);
        gw1.noalias() = x_.transpose() * da1;
        gb1 = da1.colwise().sum();
        if (adam) {
            constexpr float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
            ++s.adam_step;
            s.m = beta1 * s.m + (1 - beta1) * grad_;
            s.v = beta2 * s.v + (1 - beta2) * grad_.cwiseProduct(grad_);
            const float c1 = 1 - std::pow(beta1, static_cast<float>(s.adam_step));
            const float c2 = 1 - std::pow(beta2, static_cast<float>(s.adam_step));
            s.params.array() -= lr * (s.m.array() / c1) / ((s.v.array() / c2).sqrt() + eps);
        } else {
            constexpr float momentum = 0.9f;  // PyTorch's SGD: buf = mu*buf + g; p -= lr*buf
            s.m = momentum * s.m + grad_;
            s.params -= lr * s.m;
        }
        return loss / batch_;
    }

private:
    void next_batch() {
        y_.resize(batch_);
        for (int i = 0; i < batch_; ++i) {
            if (cursor_ == order_.size()) {
                std::shuffle(order_.begin(), order_.end(), rng_);
                cursor_ = 0;
            }
            const int k = order_[cursor_++];
            x_.row(i) = data_.images.row(k);
            y_[i] = data_.labels[k];
        }
    }

    const dataset& data_;
    int batch_;
    std::mt19937_64 rng_;
    std::vector<int> order_;
    std::size_t cursor_;
    matrix x_, z1_, z2_;
    std::vector<int> y_;
    vector grad_;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Record Fashion-MNIST loss curves for the autolrs forecasting benchmark"};
    std::string data_dir = "/usr/share/datasets/fashion-mnist", out_dir = "bench/data";
    int steps = 2100, batch = 64, n_lrs = 8;
    std::vector<int> pretrain_steps{1000, 5000};
    std::string tag = "fmnist_mlp";
    std::uint64_t seed = 1;
    app.add_option("--data-dir", data_dir, "folder with train-*-ubyte.gz");
    app.add_option("--out-dir", out_dir, "where the curve files go");
    app.add_option("--steps", steps, "steps recorded per curve");
    app.add_option("--batch", batch, "minibatch size");
    app.add_option("--lrs", n_lrs, "LRs per group, log-spaced over two decades");
    app.add_option("--pretrain-steps", pretrain_steps, "steps of each partly trained checkpoint (one group each)");
    app.add_option("--tag", tag, "file name prefix");
    app.add_option("--seed", seed, "seed for weights and batch order");
    CLI11_PARSE(app, argc, argv);

    const dataset data = load_fashion_mnist(data_dir);
    std::filesystem::create_directories(out_dir);

    struct optimizer { const char* name; bool adam; double lr_lo, lr_hi, lr_pretrain; };
    const optimizer optimizers[] = {{"sgd", false, 0.001, 0.1, 0.02}, {"adam", true, 1e-4, 1e-2, 1e-3}};
    for (const auto& opt : optimizers) {
        // Checkpoints: fresh weights, then the state after each pretraining length
        // (one continuous pretraining run at a middling LR, model AND optimizer state).
        std::vector<std::pair<std::string, state>> checkpoints{{"fresh", fresh_state(seed)}};
        {
            state s = checkpoints.front().second;
            trainer t(data, batch, seed + 100);
            int done = 0;
            for (int target : pretrain_steps) {
                for (; done < target; ++done) t.step(s, opt.adam, static_cast<float>(opt.lr_pretrain));
                checkpoints.emplace_back("trained" + std::to_string(target), s);
            }
        }
        for (const auto& [ck_name, start] : checkpoints) {
            std::vector<double> lrs(n_lrs);
            for (int j = 0; j < n_lrs; ++j)
                lrs[j] = opt.lr_lo * std::pow(opt.lr_hi / opt.lr_lo, n_lrs > 1 ? double(j) / (n_lrs - 1) : 0.0);
            std::vector<std::vector<double>> curves(n_lrs, std::vector<double>(steps));
            for (int j = 0; j < n_lrs; ++j) {
                state s = start;
                trainer t(data, batch, seed + 200);  // the same batch sequence for every LR
                bool diverged = false;
                for (int i = 0; i < steps; ++i) {
                    const double loss = diverged ? NAN : t.step(s, opt.adam, static_cast<float>(lrs[j]));
                    diverged = diverged || !std::isfinite(loss);
                    curves[j][i] = diverged ? NAN : loss;
                }
                std::fprintf(stderr, "%s %s lr=%.4g: last loss %.4f\n", opt.name, ck_name.c_str(), lrs[j], curves[j].back());
            }
            const std::string path = out_dir + "/" + tag + "_" + opt.name + "_" + ck_name.c_str() + ".txt";
            FILE* f = std::fopen(path.c_str(), "w");
            if (!f) throw std::runtime_error("cannot write " + path);
            std::fprintf(f, "# Fashion-MNIST, MLP 784-%d-10 ReLU, softmax cross-entropy, batch %d, seed %llu\n",
                         n_hidden, batch, static_cast<unsigned long long>(seed));
            std::fprintf(f, "# optimizer %s%s; checkpoint %s", opt.name, opt.adam ? " (beta 0.9, 0.999)" : " (momentum 0.9)", ck_name.c_str());
            if (ck_name != "fresh") std::fprintf(f, " (pretrained at lr %g)", opt.lr_pretrain);
            std::fprintf(f, "\n# per-step minibatch training loss, one line per step, one column per LR\nlr");
            for (double lr : lrs) std::fprintf(f, " %.4g", lr);
            std::fprintf(f, "\n");
            for (int i = 0; i < steps; ++i) {
                for (int j = 0; j < n_lrs; ++j) std::fprintf(f, j ? " %.5g" : "%.5g", curves[j][i]);
                std::fprintf(f, "\n");
            }
            std::fclose(f);
        }
    }
    return 0;
}
