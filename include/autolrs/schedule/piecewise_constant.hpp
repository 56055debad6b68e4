#pragma once
// A table of (start_step, lr) rows: replays a schedule found by a search, with no search.

#include "autolrs/schedule/shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace autolrs::schedule {

/// From `start_step` on (until the next row's start_step) the LR is `lr`.
struct piecewise_constant_row {
    std::uint64_t start_step;
    double lr;
    friend bool operator==(const piecewise_constant_row&, const piecewise_constant_row&) = default;
};

struct piecewise_constant_settings {
    /// Non-empty; the first row starts at step 0; start steps strictly increasing;
    /// every lr finite and > 0.
    std::vector<piecewise_constant_row> rows;
};

/// lr(step) = the lr of the last row whose start_step <= step (the last row holds forever).
/// The table is copied once; a call is a binary search, with no allocation.
class piecewise_constant {
public:
    explicit piecewise_constant(piecewise_constant_settings settings) : settings_(std::move(settings)) {
        const auto& rows = settings_.rows;
        detail::require_setting(!rows.empty(), "rows", "must hold at least one row");
        detail::require_setting(rows.front().start_step == 0, "rows[0].start_step",
                                "must be 0 (the table must say what the LR is from the first step)");
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::string row = "rows[" + std::to_string(i) + "]";
            detail::require_positive_lr(rows[i].lr, row + ".lr");
            if (i > 0) {
                detail::require_setting(rows[i - 1].start_step < rows[i].start_step, row + ".start_step",
                                        "start steps must be strictly increasing");
            }
        }
    }

    [[nodiscard]] double operator()(std::uint64_t step) const noexcept {
        const auto& rows = settings_.rows;
        const auto after = std::upper_bound(rows.begin(), rows.end(), step,
                                            [](std::uint64_t s, const piecewise_constant_row& r) { return s < r.start_step; });
        return std::prev(after)->lr;  // rows[0].start_step == 0, so after != begin
    }
    [[nodiscard]] const piecewise_constant_settings& settings() const noexcept { return settings_; }
    [[nodiscard]] std::span<const piecewise_constant_row> rows() const noexcept { return settings_.rows; }

private:
    piecewise_constant_settings settings_;
};

}  // namespace autolrs::schedule
