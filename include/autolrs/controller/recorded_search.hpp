#pragma once
// The recorded search: a stage's lr_search with every call on it logged, so that a loaded
// state rebuilds the search mid-stage by replaying the calls (and checks that the replayed
// search answers exactly as the saved one did).

#include "autolrs/controller/state_io.hpp"
#include "autolrs/search/concept.hpp"
#include "autolrs/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace autolrs::detail {

[[nodiscard]] inline bool finite_observation(const observation& o) noexcept {
    return std::isfinite(o.x) && std::isfinite(o.y) && std::isfinite(o.noise_variance) && o.noise_variance >= 0.0;
}

template <lr_search Search>
class recorded_search {
public:
    explicit recorded_search(Search prototype) : prototype_(std::move(prototype)), search_(prototype_) {}

    /// The current stage's search.
    [[nodiscard]] const Search& search() const noexcept { return search_; }

    /// A new stage: a pristine search reset to `seed`, no candidate above `top_x`.
    void begin_stage(std::uint64_t seed, double top_x) {
        top_x_ = top_x;
        search_ = prototype_;
        calls_.clear();
        warm_.clear();
        search_.reset(seed);
        calls_.push_back({op::reset, 0.0, 0.0, 0.0, seed});
    }
    /// Starts the search from the previous stage's candidates: `improvements` (their
    /// forecasts less that stage's start) shifted to this stage's `start`, those at or below
    /// top_x() and finite, each with `extra_noise_variance` more noise (none when it is not
    /// finite). The points are kept: the replay needs them.
    void warm_start(std::span<const observation> improvements, double start, double extra_noise_variance) {
        warm_.clear();
        for (const observation& o : improvements) {
            // Finite only: losses near the largest double overflow the search's sums and squares
            // (also the noise the search adds up: found by fuzz_controller).
            if (o.x <= top_x_ && std::isfinite(o.y + start) && std::isfinite(o.noise_variance) &&
                std::isfinite(o.noise_variance + extra_noise_variance)) {
                warm_.push_back({o.x, o.y + start, o.noise_variance});
            }
        }
        if (!std::isfinite(extra_noise_variance)) warm_.clear();
        if (warm_.empty()) return;
        search_.warm_start(std::span<const observation>(warm_), extra_noise_variance);
        calls_.push_back({op::warm_start, extra_noise_variance, 0.0, 0.0, 0});
    }
    [[nodiscard]] bool warm_started() const noexcept { return !warm_.empty(); }
    /// No candidate above this x = log LR in this stage (the LR ceiling, or below a divergence).
    [[nodiscard]] double top_x() const noexcept { return top_x_; }
    /// Tells the search that x and above are infeasible (a divergence): top_x() drops to x.
    void rule_out_above(double x) {
        tell_infeasible(x);
        top_x_ = std::min(top_x_, x);
    }

    double ask() {
        const double x = static_cast<double>(search_.ask());
        calls_.push_back({op::ask, x, 0.0, 0.0, 0});
        return x;
    }
    void tell(double x, double y, double noise_variance) {
        search_.tell(x, y, noise_variance);
        calls_.push_back({op::tell, x, y, noise_variance, 0});
    }
    void tell_infeasible(double x) {
        search_.tell_infeasible(x);
        calls_.push_back({op::tell_infeasible, x, 0.0, 0.0, 0});
    }
    /// The search's expected gain from another ask (logged: replay checks it).
    double expected_gain() {
        const double gain = static_cast<double>(std::as_const(search_).expected_gain());
        calls_.push_back({op::gain, gain, 0.0, 0.0, 0});
        return gain;
    }

    /// Room for a stage's calls with `candidates` candidates, so that a step never allocates.
    void reserve(std::size_t candidates) {
        warm_.reserve(2 * candidates);
        calls_.reserve(8 * candidates + 8);
    }

    /// Rebuilds the search from the logged calls; throws invalid_state when it answers differently.
    void replay() {
        search_ = prototype_;
        for (const call& c : calls_) {
            switch (c.kind) {
                case op::reset: search_.reset(c.seed); break;
                case op::warm_start: search_.warm_start(std::span<const observation>(warm_), c.a); break;
                case op::ask:
                    if (!(static_cast<double>(search_.ask()) == c.a)) {
                        throw invalid_state("replaying the stage's search gave a different LR: the search "
                                            "is not deterministic, or differs from the saved one");
                    }
                    break;
                case op::tell: search_.tell(c.a, c.b, c.c); break;
                case op::tell_infeasible: search_.tell_infeasible(c.a); break;
                case op::gain:
                    if (!(static_cast<double>(std::as_const(search_).expected_gain()) == c.a)) {
                        throw invalid_state("replaying the stage's search gave a different expected "
                                            "gain: the search differs from the saved one");
                    }
                    break;
            }
        }
    }

    template <class Self, class V>
    static void visit_state(Self& s, V& v) {
        v.value("search_top_x", s.top_x_);
        v.list("search_warm", s.warm_, [](auto&& io, auto& o) {
            io(o.x);
            io(o.y);
            io(o.noise_variance);
        });
        v.list("search_calls", s.calls_, [](auto&& io, auto& c) {
            io(c.kind);
            io(c.a);
            io(c.b);
            io(c.c);
            io(c.seed);
        });
    }
    void check_loaded() const {
        require_state(!std::isnan(top_x_), "search_top_x");
        require_state(std::all_of(warm_.begin(), warm_.end(), finite_observation), "warm-start observations");
        for (const call& c : calls_) require_state(c.kind <= op::gain, "an unknown search call");
    }

private:
    enum class op : std::uint8_t { reset, warm_start, ask, tell, tell_infeasible, gain };
    struct call {
        op kind = op::reset;
        double a = 0.0;
        double b = 0.0;
        double c = 0.0;
        std::uint64_t seed = 0;
    };

    Search prototype_;
    Search search_;
    double top_x_ = 0.0;
    std::vector<observation> warm_;  // what this stage's search was warm-started with
    std::vector<call> calls_;        // this stage's calls, replayed at load
};

}  // namespace autolrs::detail
