#pragma once
// Data-parallel AutoLRS over MPI, with no server process.
//
// Every rank runs its own controller with the same settings and seed. The one thing
// that must agree is what the controllers see: `averaging_trainer` all-reduces each
// step's loss (and validation loss) so every rank reports the global mean, and the
// same inputs give the same decisions on every rank (autolrs is deterministic).
//
// Agreement is also checked, not assumed: the wrapper folds every call it receives
// (set_learning_rate with its value, train, validate, checkpoint, restore) into a
// running fingerprint, and carries it in the same MPI_Allreduce as the loss. A rank
// whose decisions drifted is found before its trainer's own collectives (the
// gradient all-reduce) can mismatch and hang, and every rank throws `rank_divergence`.
//
// Not in the core single header: include it explicitly and link MPI.

#include "autolrs/errors.hpp"
#include "autolrs/trainer.hpp"

#include <mpi.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace autolrs::mpi {

/// Thrown on every rank when the ranks' decision streams differ.
class rank_divergence : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown when an MPI call fails (the communicator's error handler must return errors
/// for this to be reached; MPI's default aborts the job instead).
class mpi_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

inline void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    std::array<char, MPI_MAX_ERROR_STRING> text{};
    int length = 0;
    MPI_Error_string(code, text.data(), &length);
    throw mpi_error(std::string("autolrs::mpi: ") + call + " failed: " + std::string(text.data(), static_cast<std::size_t>(length)));
}

// One all-reduce carries the loss (summed), the applied flag (min) and the
// fingerprint's two 32-bit halves and their negations (max), so that
// max(h) == -max(-h) tells whether every rank holds the same fingerprint.
inline constexpr int reduce_width = 6;

inline void reduce_step(void* in, void* inout, int* len, MPI_Datatype*) {
    const auto* a = static_cast<const double*>(in);
    auto* b = static_cast<double*>(inout);
    for (int base = 0; base + reduce_width <= *len; base += reduce_width) {
        b[base + 0] += a[base + 0];
        b[base + 1] = std::min(b[base + 1], a[base + 1]);
        for (int i = 2; i < reduce_width; ++i) b[base + i] = std::max(b[base + i], a[base + i]);
    }
}

inline std::uint64_t mix(std::uint64_t h, std::uint64_t value) noexcept {
    // splitmix64 finaliser over (h, value): cheap, and every bit of value matters.
    std::uint64_t z = h ^ (value + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace detail

struct averaging_settings {
    /// Check the ranks' fingerprints every this many steps (train or validation).
    /// 1 (the default) catches a drift before any mismatched collective can run; 0 throws
    /// autolrs::invalid_setting("check_every").
    std::uint64_t check_every = 1;
};

/// Wraps a rank-local trainer; satisfies autolrs::trainer itself.
template <trainer Inner>
class averaging_trainer {
public:
    using checkpoint_type = typename Inner::checkpoint_type;

    averaging_trainer(Inner& inner, MPI_Comm comm, averaging_settings settings = {})
        : inner_(&inner), comm_(comm), settings_(settings) {
        autolrs::detail::require_setting(settings_.check_every >= 1, "check_every", "must be at least 1");
        detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        detail::check(MPI_Comm_size(comm_, &ranks_), "MPI_Comm_size");
        detail::check(MPI_Op_create(&detail::reduce_step, /*commute=*/1, &op_), "MPI_Op_create");
    }
    averaging_trainer(const averaging_trainer&) = delete;
    averaging_trainer& operator=(const averaging_trainer&) = delete;
    ~averaging_trainer() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Op_free(&op_);
    }

    void set_learning_rate(double lr) {
        fold(1, std::bit_cast<std::uint64_t>(lr));
        inner_->set_learning_rate(lr);
    }

    step_result train_step() {
        fold(2, 0);
        agree_before_collectives();
        const auto local = as_step_result(inner_->train_step());
        const auto [loss, applied] = average(local.loss, local.applied);
        return {loss, applied};
    }

    double validation_loss() {
        fold(3, 0);
        agree_before_collectives();
        return average(inner_->validation_loss(), true).first;
    }

    checkpoint_type checkpoint() {
        fold(4, 0);
        return inner_->checkpoint();
    }
    void checkpoint(checkpoint_type& into)
        requires reusing_trainer<Inner>
    {
        fold(4, 0);
        inner_->checkpoint(into);
    }
    void restore(const checkpoint_type& saved) {
        fold(5, 0);
        inner_->restore(saved);
    }

    /// The running fingerprint of every call this rank received.
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fingerprint_; }
    [[nodiscard]] int rank() const noexcept { return rank_; }
    [[nodiscard]] int ranks() const noexcept { return ranks_; }
    [[nodiscard]] Inner& inner() noexcept { return *inner_; }

private:
    static step_result as_step_result(const step_result& r) { return r; }
    static step_result as_step_result(double loss) { return {loss, true}; }

    void fold(std::uint64_t call, std::uint64_t value) noexcept {
        fingerprint_ = detail::mix(detail::mix(fingerprint_, call), value);
    }

    // Runs before the inner trainer's own collectives: a rank about to train while
    // another validates meets it here, in the same all-reduce, and both throw.
    void agree_before_collectives() {
        ++calls_;
        if (calls_ % settings_.check_every != 0) return;
        std::array<double, detail::reduce_width> buffer = fingerprint_buffer(0.0, true);
        reduce(buffer);
        if (buffer[2] != -buffer[4] || buffer[3] != -buffer[5]) report_divergence();
    }

    std::pair<double, bool> average(double loss, bool applied) {
        // A non-finite loss on any rank makes the mean non-finite on all: every
        // controller then sees the same divergence.
        auto buffer = fingerprint_buffer(loss, applied);
        reduce(buffer);
        return {buffer[0] / static_cast<double>(ranks_), buffer[1] > 0.5};
    }

    std::array<double, detail::reduce_width> fingerprint_buffer(double loss, bool applied) const {
        const auto hi = static_cast<double>(fingerprint_ >> 32);
        const auto lo = static_cast<double>(fingerprint_ & 0xffffffffull);
        return {loss, applied ? 1.0 : 0.0, hi, lo, -hi, -lo};
    }

    void reduce(std::array<double, detail::reduce_width>& buffer) {
        detail::check(MPI_Allreduce(MPI_IN_PLACE, buffer.data(), detail::reduce_width, MPI_DOUBLE, op_, comm_),
                      "MPI_Allreduce");
    }

    [[noreturn]] void report_divergence() {
        std::vector<std::uint64_t> all(static_cast<std::size_t>(ranks_));
        detail::check(MPI_Allgather(&fingerprint_, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, comm_),
                      "MPI_Allgather");
        std::string differing;
        for (int r = 0; r < ranks_; ++r) {
            if (all[static_cast<std::size_t>(r)] != all[0]) differing += (differing.empty() ? "" : ", ") + std::to_string(r);
        }
        throw rank_divergence("autolrs::mpi: the ranks' schedule decisions diverged before step " +
                              std::to_string(calls_) + ": rank(s) " + differing +
                              " differ from rank 0 (same settings and seed on every rank? every loss all-reduced?)");
    }

    Inner* inner_;
    MPI_Comm comm_;
    averaging_settings settings_;
    MPI_Op op_ = MPI_OP_NULL;
    int rank_ = 0;
    int ranks_ = 1;
    std::uint64_t calls_ = 0;
    std::uint64_t fingerprint_ = 0x6a09e667f3bcc909ull;
};

}  // namespace autolrs::mpi
