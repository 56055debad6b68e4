// How well do the forecasters rank learning rates? On recorded Fashion-MNIST curves
// (bench/data, made by bench/tools/record_loss_curves), for tau' in {50, 100, 200} and
// tau = 10 tau', each forecaster sees a curve's first tau' losses and predicts the loss at
// tau; the truth is the mean of the real losses at steps tau - tau/20 .. tau + tau/20 (a
// robust value: one step's minibatch loss is too noisy). Per (file, tau'), the LRs are ranked
// by forecast and by truth. A curve that is non-finite inside the window counts as
// diverged (forecast +inf, as a controller marks it infeasible); a non-finite truth is +inf.
//
//   bench_forecast_accuracy [--data DIR] [--explore]
#include <autolrs/autolrs.hpp>
#include <autolrs/forecast/power_law.hpp>
#include <autolrs/forecast/reference.hpp>
#include <autolrs/forecast/tail_mean.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#ifndef AUTOLRS_BENCH_DATA_DIR
#define AUTOLRS_BENCH_DATA_DIR "bench/data"
#endif

namespace {

struct curve_set {
    std::string name;
    std::vector<double> lrs;
    std::vector<std::vector<double>> curves;  // curves[lr][step - 1]
};

curve_set read_curves(const std::filesystem::path& path) {
    std::ifstream in(path);
    curve_set set{path.stem().string(), {}, {}};
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        if (set.lrs.empty()) {
            std::string word;
            fields >> word;
            for (double lr; fields >> lr;) set.lrs.push_back(lr);
            set.curves.resize(set.lrs.size());
            continue;
        }
        for (auto& c : set.curves) {
            std::string v;
            fields >> v;
            c.push_back(std::strtod(v.c_str(), nullptr));
        }
    }
    return set;
}

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<std::size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
        for (std::size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * double(i + j);
        i = j + 1;
    }
    return r;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
    const auto rx = ranks(x), ry = ranks(y);
    const double n = double(x.size()), m = (n - 1) / 2;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (rx[i] - m) * (ry[i] - m);
        sxx += (rx[i] - m) * (rx[i] - m);
        syy += (ry[i] - m) * (ry[i] - m);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

using forecast_fn = std::function<autolrs::forecast(std::span<const double>, double)>;

struct row {
    std::string name;
    forecast_fn fn;
    bool has_stddev = true;
};

struct summary {
    std::vector<double> rho, rel_err;
    int cases = 0, hits = 0, near = 0, covered68 = 0, covered95 = 0, intervals = 0, fallbacks = 0, forecasts = 0;
    double regret = 0;  // mean over cases of true(best by forecast) / true(best) - 1
};

void evaluate(const row& r, const std::vector<curve_set>& sets, summary& s) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    for (int tau_prime : {50, 100, 200}) {
        const int tau = 10 * tau_prime, half = tau / 20;
        for (const auto& set : sets) {
            std::vector<double> pred, truth;
            for (const auto& c : set.curves) {
                const std::span<const double> window(c.data(), std::size_t(tau_prime));
                const bool diverged = std::any_of(window.begin(), window.end(), [](double v) { return !std::isfinite(v); });
                double t = 0;
                for (int step = tau - half; step <= tau + half; ++step) t += c[std::size_t(step - 1)];
                t /= double(2 * half + 1);
                if (!std::isfinite(t)) t = inf;
                double p = inf;
                if (!diverged) {
                    const autolrs::forecast f = r.fn(window, double(tau));
                    p = f.value;
                    ++s.forecasts;
                    s.fallbacks += autolrs::is_fitted(f.status) ? 0 : 1;
                    if (std::isfinite(t)) {
                        s.rel_err.push_back(std::abs(p - t) / std::abs(t));
                        if (r.has_stddev) {
                            ++s.intervals;
                            s.covered68 += std::abs(p - t) <= f.stddev ? 1 : 0;
                            s.covered95 += std::abs(p - t) <= 1.96 * f.stddev ? 1 : 0;
                        }
                    }
                }
                pred.push_back(p);
                truth.push_back(t);
            }
            ++s.cases;
            s.rho.push_back(spearman(pred, truth));
            if (std::getenv("AUTOLRS_BENCH_CASES")) std::printf("  %-32s tau'=%3d rho=%.3f\n", set.name.c_str(), tau_prime, s.rho.back());
            const auto bp = std::size_t(std::min_element(pred.begin(), pred.end()) - pred.begin());
            const auto bt = std::size_t(std::min_element(truth.begin(), truth.end()) - truth.begin());
            s.hits += bp == bt ? 1 : 0;
            s.near += (bp > bt ? bp - bt : bt - bp) <= 1 ? 1 : 0;
            s.regret += std::isfinite(truth[bp]) ? truth[bp] / truth[bt] - 1.0 : 1.0;
        }
    }
}

/// `rows.back()` is the yardstick (the tail mean): each row also counts the cases (curve file x
/// tau') where it ranks the LRs worse than the yardstick does.
void print_table(const char* title, const std::vector<row>& rows, const std::vector<curve_set>& sets) {
    std::printf("\n%s (%zu curve files x tau' in {50,100,200})\n", title, sets.size());
    std::printf("| forecaster | Spearman median | Spearman worst | cases ranked worse than the tail mean | best LR hit | within 1 LR | regret %% | median rel. err. | 68%% cover | 95%% cover | fallbacks |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    summary yardstick;
    evaluate(rows.back(), sets, yardstick);
    for (const auto& r : rows) {
        summary s;
        evaluate(r, sets, s);
        int worse = 0;
        for (std::size_t i = 0; i < s.rho.size(); ++i) worse += s.rho[i] < yardstick.rho[i] - 1e-12 ? 1 : 0;
        const double worst = *std::min_element(s.rho.begin(), s.rho.end());
        char cover68[32] = "n/a", cover95[32] = "n/a";
        if (r.has_stddev && s.intervals) {
            std::snprintf(cover68, sizeof cover68, "%.0f%%", 100.0 * s.covered68 / s.intervals);
            std::snprintf(cover95, sizeof cover95, "%.0f%%", 100.0 * s.covered95 / s.intervals);
        }
        std::printf("| %s | %.3f | %.3f | %d/%d | %d/%d | %d/%d | %.2f | %.1f%% | %s | %s | %d/%d |\n", r.name.c_str(),
                    median(s.rho), worst, worse, s.cases, s.hits, s.cases, s.near, s.cases, 100.0 * s.regret / s.cases,
                    100.0 * median(s.rel_err), cover68, cover95, s.fallbacks, s.forecasts);
    }
}

template <class F>
row make_row(std::string name, F f, bool has_stddev = true) {
    return {std::move(name), [f](std::span<const double> w, double h) { return f.predict(w, h); }, has_stddev};
}

/// A stage objective as the controller calls it on a candidate's window (the whole window is
/// the candidate's own; these recordings have no anneal probe), with the default forecaster.
template <class Objective>
row make_judge_row(std::string name, Objective o) {
    return {std::move(name),
            [o](std::span<const double> w, double h) {
                const autolrs::candidate_window window{.losses = w, .candidate_points = w.size(), .probe_steps = 0, .horizon = h};
                return o.judge(autolrs::exponential_forecaster{}, window);
            },
            true};
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = AUTOLRS_BENCH_DATA_DIR;
    bool explore = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--data" && i + 1 < argc) dir = argv[++i];
        else if (a == "--explore") explore = true;
        else {
            std::fprintf(stderr, "usage: %s [--data DIR] [--explore]\n", argv[0]);
            return 2;
        }
    }
    std::vector<curve_set> main_set, holdout_set, all;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        curve_set s = read_curves(f);
        (s.name.find("_b16_") != std::string::npos ? holdout_set : main_set).push_back(s);
        all.push_back(std::move(s));
    }
    if (all.empty()) {
        std::fprintf(stderr, "no curve files in %s\n", dir.c_str());
        return 1;
    }
    std::vector<row> rows{
        make_row("exponential (default)", autolrs::exponential_forecaster{}),
        make_row("power law", autolrs::power_law_forecaster{}),
        make_row("reference procedure", autolrs::reference_exponential_forecaster{}, false),
        make_row("significant drop (exponential, 2 sigmas)", autolrs::significant_drop_forecaster<>{}),
        // What the controllers judge candidates by: controller<>'s objective (on a window
        // without a probe, a mean of its last fifth) and horizon_stages_controller's.
        make_judge_row("annealed_loss_objective (controller<>'s judge; no probe here)", autolrs::annealed_loss_objective{}),
        make_judge_row("horizon_forecast_objective (horizon_stages')", autolrs::horizon_forecast_objective{}),
    };
    if (explore) {
        for (double f : {0.1, 0.25, 0.5, 1.0})
            rows.push_back(make_row("exp model_sd_fraction " + std::to_string(f),
                                    autolrs::exponential_forecaster{{.model_sd_fraction = f}}));
        rows.push_back(make_row("exp no shrink", autolrs::exponential_forecaster{{.shrink = false}}));
        rows.push_back(make_row("exp no tail_anchor", autolrs::exponential_forecaster{{.tail_anchor = false}}));
        rows.push_back(make_row("exp no tail_anchor, no shrink",
                                autolrs::exponential_forecaster{{.shrink = false, .tail_anchor = false}}));
        rows.push_back(make_row("power law tail_anchor", autolrs::power_law_forecaster{{.tail_anchor = true}}));

        for (double rate : {0.25, 1.0, 2.0})
            rows.push_back(make_row("exp min_rate " + std::to_string(rate),
                                    autolrs::exponential_forecaster{{.min_rate = rate}}));
        for (double drop : {0.5, 2.0, 100.0})
            rows.push_back(make_row("exp max_drop_ratio " + std::to_string(drop),
                                    autolrs::exponential_forecaster{{.max_drop_ratio = drop}}));
        for (double k : {0.5, 1.0, 3.0})
            rows.push_back(make_row("significant drop, sigmas " + std::to_string(k),
                                    autolrs::significant_drop_forecaster<>{{.sigmas = k}}));
        for (int passes : {0, 5})
            rows.push_back(make_row("exp robust_passes " + std::to_string(passes),
                                    autolrs::exponential_forecaster{{.robust_passes = passes}}));
        for (double ff : {1.0, 4.0, 10.0})
            rows.push_back(make_row("exp flat_f " + std::to_string(ff), autolrs::exponential_forecaster{{.flat_f = ff}}));
    }
    rows.push_back(make_row("tail mean (last 20%)", autolrs::tail_mean_forecaster{}));  // the yardstick, last
    print_table("Batch 64 curves (main set)", rows, main_set);
    print_table("Batch 16 curves (hold-out: noisier, with diverging LRs)", rows, holdout_set);
    print_table("All curves", rows, all);
    return 0;
}
