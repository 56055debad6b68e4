#pragma once
// The loss guard: what the controller remembers of the training losses on the final
// trajectory (a recent mean, the top of their envelope), a snapshot of it taken at a stage's
// start and put back when the stage is discarded, and the divergence test.

#include "autolrs/controller/state_io.hpp"
#include "autolrs/event.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace autolrs::detail {

/// A non-finite loss diverges at once; one above `factor` times `reference` must persist for
/// `patience` measurements in a row (`over` counts them; the caller keeps it per phase).
[[nodiscard]] inline bool exploding(double loss, double reference, double factor, std::uint32_t patience,
                                    std::uint32_t& over) noexcept {
    if (!std::isfinite(loss)) return true;
    if (!std::isfinite(reference) || reference == 0.0) return false;
    const double threshold = reference + (factor - 1.0) * std::abs(reference);
    over = loss > threshold ? over + 1 : 0;
    return over >= patience;
}

class loss_guard {
public:
    static constexpr std::size_t recent_capacity = 16;

    loss_guard() = default;
    explicit loss_guard(std::uint64_t divergence_memory)
        : decay_(std::exp(-1.0 / static_cast<double>(divergence_memory))) {}

    /// A training loss on the final trajectory (non-finite ones are not remembered).
    void remember(double loss) noexcept {
        if (!std::isfinite(loss)) return;
        // The guard level: the top of the losses' envelope, forgetting a high loss over
        // divergence_memory steps. Not their mean: per-step losses (minibatch noise, slow
        // fluctuations near a noise floor) often sit several times above a recent mean,
        // while a divergence outgrows any bound.
        envelope_ = std::isfinite(envelope_) ? std::max(loss, envelope_ * decay_) : loss;
        now_.recent[now_.next] = loss;
        now_.next = (now_.next + 1) % recent_capacity;
        now_.count = std::min<std::uint64_t>(now_.count + 1, recent_capacity);
    }

    /// The mean of the last few remembered losses (event::none before any).
    [[nodiscard]] double recent_mean() const noexcept {
        if (now_.count == 0) return event::none;
        double sum = 0.0;
        for (std::uint64_t i = 0; i < now_.count; ++i) sum += now_.recent[i];
        return sum / static_cast<double>(now_.count);
    }
    [[nodiscard]] bool has_history() const noexcept { return now_.count > 0; }
    /// The top of the losses' envelope (event::none before any).
    [[nodiscard]] double envelope() const noexcept { return envelope_; }

    /// At a stage's (or the cooldown's) start.
    void snapshot() noexcept {
        saved_ = now_;
        saved_envelope_ = envelope_;
    }
    /// The stage was discarded: forget what it added.
    void rollback() noexcept {
        now_ = saved_;
        envelope_ = saved_envelope_;
    }

    template <class Self, class V>
    static void visit_state(Self& g, V& v) {
        v.value("recent_next", g.now_.next);
        v.value("recent_count", g.now_.count);
        v.array("recent", g.now_.recent);
        v.value("saved_recent_next", g.saved_.next);
        v.value("saved_recent_count", g.saved_.count);
        v.array("saved_recent", g.saved_.recent);
        v.value("envelope", g.envelope_);
        v.value("saved_envelope", g.saved_envelope_);
    }
    void check_loaded() const {
        require_state(now_.next < recent_capacity && now_.count <= recent_capacity && saved_.next < recent_capacity &&
                          saved_.count <= recent_capacity,
                      "recent losses");
        // Only finite losses are remembered; until the ring is full it fills from slot 0.
        for (const ring* r : {&now_, &saved_}) {
            require_state(r->count == recent_capacity || r->next == r->count, "recent losses");
            for (std::uint64_t i = 0; i < r->count; ++i) require_state(std::isfinite(r->recent[i]), "recent losses");
        }
    }

private:
    struct ring {
        std::array<double, recent_capacity> recent{};
        std::uint64_t next = 0;
        std::uint64_t count = 0;
    };
    ring now_;
    ring saved_;
    double envelope_ = event::none;
    double saved_envelope_ = event::none;
    double decay_ = 1.0;  // exp(-1 / divergence_memory), from the settings
};

}  // namespace autolrs::detail
