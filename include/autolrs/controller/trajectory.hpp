#pragma once
// The trajectory: the step counts (every applied step is either on the final model's
// trajectory or thrown away by the search) and the found schedule, the LR of every
// trajectory step as rows (start_step, lr). A stage's part can be discarded when the stage
// diverges.

#include "autolrs/controller/state_io.hpp"
#include "autolrs/schedule/piecewise_constant.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace autolrs::detail {

class trajectory {
public:
    using row = schedule::piecewise_constant_row;

    [[nodiscard]] std::uint64_t steps_total() const noexcept { return total_; }
    [[nodiscard]] std::uint64_t steps_trained() const noexcept { return trained_; }
    [[nodiscard]] std::uint64_t steps_searched() const noexcept { return searched_; }
    [[nodiscard]] std::uint64_t steps_skipped() const noexcept { return skipped_; }
    [[nodiscard]] std::span<const row> rows() const noexcept { return rows_; }

    void count_skipped() noexcept { ++skipped_; }
    /// An applied step whose result the search may throw away (a candidate, its probe).
    void count_searched() noexcept {
        ++total_;
        ++searched_;
    }
    /// An applied step of a stage (its LR was recorded when the stage was decided).
    void count_trained() noexcept {
        ++total_;
        ++trained_;
    }
    /// An applied step of the warmup or the cooldown, whose LR changes every step.
    void count_trajectory_step(double lr) {
        ++total_;
        record(trained_, lr);
        ++trained_;
    }

    /// The schedule's row for `start` on (start steps strictly increase, LRs change).
    void record(std::uint64_t start, double lr) {
        if (!rows_.empty() && rows_.back().start_step == start) rows_.pop_back();
        if (rows_.empty() || rows_.back().lr != lr) rows_.push_back({start, lr});
    }
    /// A stage's LR from the next trajectory step on.
    void record_stage_lr(double lr) { record(trained_, lr); }

    /// The kept winner's steps join the trajectory: `candidate_steps` at `lr`, then
    /// `probe_steps` at `probe_lr`, and the stage goes on at `lr`.
    void keep_winner(std::uint64_t candidate_steps, std::uint64_t probe_steps, double lr, double probe_lr) {
        keep_winner(candidate_steps, probe_steps, lr, [probe_lr](std::uint64_t) { return probe_lr; });
    }
    /// As above, the probe's step j at `probe_lr_at(j)`.
    template <class ProbeLr>
    void keep_winner(std::uint64_t candidate_steps, std::uint64_t probe_steps, double lr, ProbeLr probe_lr_at) {
        const std::uint64_t kept = candidate_steps + probe_steps;
        if (probe_steps > 0) {
            for (std::uint64_t j = 0; j < probe_steps; ++j) record(trained_ + candidate_steps + j, probe_lr_at(j));
            record(trained_ + kept, lr);
        }
        searched_ -= kept;
        trained_ += kept;
    }

    /// Marks where the current stage (or cooldown) starts. A last row that covers no step (a
    /// stage that trained none) is dropped first: the stage's own rows then start strictly after
    /// every row before it, so none of those is changed by record() and discard_stage() can put
    /// them back exactly.
    void begin_stage() noexcept {
        if (!rows_.empty() && rows_.back().start_step == trained_) rows_.pop_back();
        stage_begin_trained_ = trained_;
        stage_rows_ = rows_.size();
    }
    /// Undo the stage's trajectory: its steps become thrown-away (searched) steps.
    void discard_stage() {
        searched_ += trained_ - stage_begin_trained_;
        trained_ = stage_begin_trained_;
        rows_.resize(static_cast<std::size_t>(stage_rows_));
    }

    /// Room for `rows` more rows, so that a step never allocates. At most max_reserved_rows
    /// at a time: a warmup or cooldown of more steps (one row each) grows the table as it
    /// goes rather than allocating for the whole budget at once. The capacity at least doubles
    /// (by at most max_reserved_rows): every stage's decaying anneal probe adds rows, and
    /// growing by exactly what is asked copied the whole table at every stage.
    static constexpr std::size_t max_reserved_rows = std::size_t{1} << 20;
    void reserve(std::size_t rows) {
        const std::size_t needed = rows_.size() + std::min(rows, max_reserved_rows);
        if (needed <= rows_.capacity()) return;
        const std::size_t doubled = rows_.capacity() + std::min(rows_.capacity(), max_reserved_rows);
        rows_.reserve(std::max(needed, doubled));
    }
    [[nodiscard]] std::size_t spare_rows() const noexcept { return rows_.capacity() - rows_.size(); }

    template <class Self, class V>
    static void visit_state(Self& t, V& v) {
        v.value("steps_total", t.total_);
        v.value("steps_trained", t.trained_);
        v.value("steps_searched", t.searched_);
        v.value("steps_skipped", t.skipped_);
        v.value("stage_begin_trained", t.stage_begin_trained_);
        v.value("stage_schedule_size", t.stage_rows_);
        v.list("schedule", t.rows_, [](auto&& io, auto& r) {
            io(r.start_step);
            io(r.lr);
        });
    }
    void check_loaded(std::uint64_t total_steps, double lr_max) const {
        require_state(trained_ + searched_ == total_ && stage_begin_trained_ <= trained_ &&
                          (total_steps == 0 || total_ <= total_steps),
                      "step counts");
        require_state(stage_rows_ <= rows_.size(), "stage_schedule_size");
        // What found_schedule() builds from: the first row at step 0, start steps strictly
        // increasing (else it would throw later, not here).
        require_state(rows_.empty() || rows_.front().start_step == 0, "the schedule's first row must start at step 0");
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            const row& r = rows_[i];
            require_state(std::isfinite(r.lr) && r.lr > 0.0 && r.lr <= lr_max && r.start_step <= trained_ &&
                              (i == 0 || rows_[i - 1].start_step < r.start_step),
                          "the schedule (rows must start at strictly increasing steps, LRs in (0, lr_max])");
        }
    }

private:
    std::uint64_t total_ = 0;
    std::uint64_t trained_ = 0;
    std::uint64_t searched_ = 0;
    std::uint64_t skipped_ = 0;
    std::uint64_t stage_begin_trained_ = 0;
    std::uint64_t stage_rows_ = 0;
    std::vector<row> rows_;
};

}  // namespace autolrs::detail
