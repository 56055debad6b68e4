#pragma once
// The candidate table: every LR a stage tried, with what it was judged by, and the choices
// made from it (the best, the largest nearly as good, the stage's loss scale). Queries are
// pure; the table changes only by add() and clear().

#include "autolrs/controller/state_io.hpp"
#include "autolrs/event.hpp"
#include "autolrs/forecast/concept.hpp"
#include "autolrs/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace autolrs::detail {

inline constexpr std::uint32_t no_candidate = 0xffffffffU;

/// One candidate: where it was (x = log LR), what it was judged by, and whether that counts
/// (a diverged candidate, or one with no usable loss, is infeasible).
struct candidate_record {
    double x = 0.0;
    double learning_rate = 0.0;
    double forecast = 0.0;
    double stddev = 0.0;
    forecast_status status = forecast_status::fitted;
    bool feasible = false;
};

/// Racing is checked once per candidate, when its window holds `fraction` of the `full`
/// points a whole candidate gives (and more than two, less than all).
[[nodiscard]] inline bool race_due(double fraction, std::size_t window, std::uint64_t full) noexcept {
    if (fraction <= 0.0) return false;
    const auto at = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(full)));
    return at > 2 && at < full && window == at;
}

/// `f`, even `stddevs` below, is above `best`: finishing the candidate cannot change the choice.
[[nodiscard]] inline bool clearly_worse(const forecast& f, double best, double stddevs) noexcept {
    if (f.status == forecast_status::invalid_input || !std::isfinite(f.value) || !std::isfinite(f.stddev)) return false;
    return f.value - stddevs * f.stddev > best;
}

class candidate_table {
public:
    [[nodiscard]] std::span<const candidate_record> rows() const noexcept { return rows_; }
    [[nodiscard]] std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(rows_.size()); }
    [[nodiscard]] const candidate_record& operator[](std::uint32_t i) const noexcept { return rows_[i]; }

    /// Returns the new candidate's index.
    std::uint32_t add(const candidate_record& c) {
        rows_.push_back(c);
        return size() - 1;
    }
    void clear() noexcept { rows_.clear(); }
    void reserve(std::size_t n) { rows_.reserve(n); }

    [[nodiscard]] std::uint32_t feasible_count() const noexcept {
        return static_cast<std::uint32_t>(
            std::count_if(rows_.begin(), rows_.end(), [](const candidate_record& c) { return c.feasible; }));
    }

    /// The feasible candidate with the lowest forecast at or below `limit`, or no_candidate.
    [[nodiscard]] std::uint32_t best(double limit) const noexcept {
        std::uint32_t best = no_candidate;
        for (std::uint32_t i = 0; i < size(); ++i) {
            const candidate_record& c = rows_[i];
            if (!c.feasible || c.learning_rate > limit) continue;
            if (best == no_candidate || c.forecast < rows_[best].forecast) best = i;
        }
        return best;
    }

    /// The stage's loss scale: the improvement its best forecast promises over `start` (the
    /// stage's starting loss), or (when none) the spread of its forecasts.
    [[nodiscard]] double loss_scale(double start) const noexcept {
        double lo = std::numeric_limits<double>::infinity();
        double hi = -lo;
        for (const candidate_record& c : rows_) {
            if (!c.feasible) continue;
            lo = std::min(lo, c.forecast);
            hi = std::max(hi, c.forecast);
        }
        if (!std::isfinite(lo)) return 0.0;
        const double improvement = std::isfinite(start) ? start - lo : 0.0;
        return improvement > 0.0 ? improvement : hi - lo;
    }

    /// The largest LR at or below `limit` whose forecast is within `tolerance` of `best`'s.
    [[nodiscard]] std::uint32_t largest_within(std::uint32_t best, double tolerance, double limit) const noexcept {
        if (best == no_candidate) return best;
        const double bound = rows_[best].forecast + tolerance;
        std::uint32_t chosen = best;
        for (std::uint32_t i = 0; i < size(); ++i) {
            const candidate_record& c = rows_[i];
            if (c.feasible && c.learning_rate <= limit && c.forecast <= bound &&
                c.learning_rate > rows_[chosen].learning_rate) {
                chosen = i;
            }
        }
        return chosen;
    }

    /// Among the feasible candidates at or below `limit` other than `excluded` whose forecast
    /// is within one stddev of the difference (sqrt(sd^2 + sd_best^2)) of `best`'s, the one
    /// nearest `x` in log LR (`best` on a tie of distances): a choice the evidence cannot tell
    /// from the lowest, and the least move from x.
    [[nodiscard]] std::uint32_t nearest_tie(std::uint32_t best, double x, double limit,
                                            std::uint32_t excluded) const noexcept {
        if (best == no_candidate) return best;
        const candidate_record& b = rows_[best];
        std::uint32_t chosen = best;
        for (std::uint32_t i = 0; i < size(); ++i) {
            const candidate_record& c = rows_[i];
            if (i == excluded || !c.feasible || c.learning_rate > limit) continue;
            const double spread = std::sqrt(c.stddev * c.stddev + b.stddev * b.stddev);
            if (c.forecast - b.forecast <= spread && std::abs(c.x - x) < std::abs(rows_[chosen].x - x)) chosen = i;
        }
        return chosen;
    }

    /// The feasible candidate at or below `limit` with the lowest `mean(x)` (a search model's
    /// posterior mean), or `fallback` when none is finite.
    template <class Mean>
    [[nodiscard]] std::uint32_t lowest_by(Mean&& mean, double limit, std::uint32_t fallback) const {
        std::uint32_t best = fallback;
        double best_mean = std::numeric_limits<double>::infinity();
        for (std::uint32_t i = 0; i < size(); ++i) {
            const candidate_record& c = rows_[i];
            if (!c.feasible || c.learning_rate > limit) continue;
            const double m = static_cast<double>(mean(c.x));
            if (std::isfinite(m) && m < best_mean) {
                best_mean = m;
                best = i;
            }
        }
        return best;
    }

    /// Where between `best` and its nearest feasible neighbours in x (at or below `limit`), one
    /// on each side, the parabola through the three lies lowest: its vertex. The middle point is
    /// the lowest, so the vertex lies within half the way to each neighbour; `best`'s x when it
    /// has no neighbour on a side (no extrapolation) or the three are collinear.
    [[nodiscard]] double parabola_vertex(std::uint32_t best, double limit) const noexcept {
        if (best == no_candidate) return 0.0;
        const candidate_record& b = rows_[best];
        const candidate_record* left = nullptr;
        const candidate_record* right = nullptr;
        for (const candidate_record& c : rows_) {
            if (!c.feasible || c.learning_rate > limit) continue;
            if (c.x < b.x && (left == nullptr || c.x > left->x)) left = &c;
            if (c.x > b.x && (right == nullptr || c.x < right->x)) right = &c;
        }
        if (left == nullptr || right == nullptr) return b.x;
        // Newton's divided differences: the vertex of the interpolating parabola.
        const double d_left = (b.forecast - left->forecast) / (b.x - left->x);
        const double d_right = (right->forecast - b.forecast) / (right->x - b.x);
        const double curvature = (d_right - d_left) / (right->x - left->x);
        if (!(curvature > 0.0) || !std::isfinite(curvature)) return b.x;
        const double vertex = 0.5 * (left->x + b.x) - d_left / (2.0 * curvature);
        // best is the lowest of the three, so this holds but for rounding
        return std::clamp(vertex, 0.5 * (left->x + b.x), 0.5 * (b.x + right->x));
    }

    /// The feasible candidates as observations of improvement over `start`, to warm-start
    /// the next stage's search (none when `start` is unknown).
    void improvements_over(double start, std::vector<observation>& out) const {
        out.clear();
        if (!std::isfinite(start)) return;
        for (const candidate_record& c : rows_) {
            // Finite only: a forecast and a start far apart in the doubles' range overflow the
            // difference, which a saved state could not load again (found by fuzz_controller).
            const observation o{c.x, c.forecast - start, c.stddev * c.stddev};
            if (c.feasible && std::isfinite(o.y) && std::isfinite(o.noise_variance)) out.push_back(o);
        }
    }

    template <class Self, class V>
    static void visit_state(Self& t, V& v) {
        v.list("candidates", t.rows_, [](auto&& io, auto& r) {
            io(r.x);
            io(r.learning_rate);
            io(r.forecast);
            io(r.stddev);
            io(r.status);
            io(r.feasible);
        });
    }
    void check_loaded(std::size_t most, double lr_min, double lr_max) const {
        require_state(rows_.size() <= most, "too many candidates");
        for (const candidate_record& c : rows_) {
            require_state(std::isfinite(c.x) && std::isfinite(c.learning_rate) && c.learning_rate >= lr_min &&
                              c.learning_rate <= lr_max && c.status <= forecast_status::invalid_input &&
                              (!c.feasible || (std::isfinite(c.forecast) && std::isfinite(c.stddev * c.stddev))),
                          "a candidate");
        }
    }

private:
    std::vector<candidate_record> rows_;
};

/// Whether the incumbent (row 0: the previous stage's LR) stays the stage's LR against `best`:
/// it does unless `best` is judged lower by more than `margin` stddevs of the difference
/// (sqrt(sd_best^2 + sd_incumbent^2)). An infeasible incumbent, or one above `limit`, never holds.
[[nodiscard]] inline bool incumbent_holds(const candidate_table& table, std::uint32_t best, double margin,
                                          double limit) noexcept {
    if (table.size() == 0 || best == no_candidate || best == 0) return false;
    const candidate_record& incumbent = table[0];
    const candidate_record& rival = table[best];
    if (!incumbent.feasible || incumbent.learning_rate > limit || !rival.feasible) return false;
    const double spread = std::sqrt(incumbent.stddev * incumbent.stddev + rival.stddev * rival.stddev);
    return !(incumbent.forecast - rival.forecast > margin * spread);
}

}  // namespace autolrs::detail
