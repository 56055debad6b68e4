#pragma once
// Interrupted runs: autolrs::run_resumable is autolrs::run with a state file. At every stage
// boundary (warmup, stage, cooldown start and the end) it writes the controller's state and
// the trainer's own state to one file, atomically (a temporary file in the same folder,
// fsync, rename, fsync of the folder): a crash, a SIGKILL or a power cut leaves either the
// old state or the new one, never a torn one. Started again with the same arguments after
// an interruption, it resumes from the last boundary and makes the same decisions as a run
// that was never interrupted (with a deterministic trainer: bit-identical).
//
//   struct codec {  // how the trainer's checkpoint goes into the file (any text or bytes)
//       void save(std::ostream& os, const my_trainer::checkpoint_type& c) const;
//       my_trainer::checkpoint_type load(std::istream& is) const;
//   };
//   autolrs::controller<> ctl(settings);
//   autolrs::run_resumable(trainer, ctl, codec{}, {.path = "run.state"}, observer);
//
// Why only at stage boundaries: there no checkpoint slot is needed any more (a new stage
// checkpoints its start before any restore), so the file holds one trainer state, not three,
// and saving stays out of the per-step path (a few saves per run).

#include "autolrs/controller.hpp"
#include "autolrs/errors.hpp"
#include "autolrs/event.hpp"
#include "autolrs/run.hpp"
#include "autolrs/trainer.hpp"
#include "autolrs/controller/state_text.hpp"

#include <cerrno>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <istream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#if __has_include(<unistd.h>) && __has_include(<fcntl.h>)
#include <fcntl.h>
#include <unistd.h>
#define AUTOLRS_POSIX_FILES 1
#else
#define AUTOLRS_POSIX_FILES 0
#endif

namespace autolrs {

/// Replaces `path` by `contents` atomically: writes a temporary file beside it, flushes it
/// to the disk (fsync), renames it over `path`, and flushes the folder. Readers see the old
/// contents or the new, never a mix. Throws std::system_error (the temporary is removed).
inline void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::filesystem::path temporary = path;
    temporary += ".tmp";  // one fixed name: a write killed midway leaves one stale file, overwritten next time
#if AUTOLRS_POSIX_FILES
    const auto fail = [&](const char* what) {
        const std::error_code error(errno, std::generic_category());
        ::unlink(temporary.c_str());
        throw std::system_error(error, std::string("autolrs: cannot write ") + path.string() + " (" + what + ")");
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("open");
    for (std::size_t done = 0; done < contents.size();) {
        const ::ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail("fsync");
    }
    if (::close(fd) != 0) fail("close");
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail("rename");
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {  // the rename itself must reach the disk; some file systems refuse: best effort
        ::fsync(dir);
        ::close(dir);
    }
#else
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
        out.flush();
        if (!out) throw std::system_error(std::make_error_code(std::errc::io_error), "autolrs: cannot write " + temporary.string());
    }
    std::filesystem::rename(temporary, path);  // replaces an existing file
    (void)folder;
#endif
}

/// The contents of `path`, or nullopt when it does not exist. A path that exists but cannot
/// be read (no permission, a directory, an I/O error) throws autolrs::invalid_state saying
/// why: it is never taken for absent, so run_resumable never starts over and overwrites a
/// state it could not read.
[[nodiscard]] inline std::optional<std::string> read_file_if_exists(const std::filesystem::path& path) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(path, error);
    if (status.type() == std::filesystem::file_type::not_found) return std::nullopt;
    const auto refuse = [&](const std::string& why) {
        return invalid_state("the state file " + path.string() + " exists but cannot be read (" + why +
                             "); not starting over, which would overwrite it: fix it, or remove it to start afresh");
    };
    if (error) throw refuse(error.message());
    if (status.type() == std::filesystem::file_type::directory) throw refuse("it is a directory");
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw refuse(errno != 0 ? std::generic_category().message(errno) : std::string("open failed"));
    std::string contents;
    try {
        contents.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception& e) {
        throw refuse(e.what());
    }
    if (in.bad()) throw refuse("read error");
    return contents;
}

/// Removes `<path>.tmp`, what a save killed midway leaves behind (best effort).
inline void remove_stale_temporary(const std::filesystem::path& path) noexcept {
    std::filesystem::path temporary = path;
    temporary += ".tmp";
    std::error_code ignored;
    if (std::filesystem::is_regular_file(temporary, ignored)) std::filesystem::remove(temporary, ignored);
}

/// How run_resumable writes a trainer's checkpoint into the state file and reads it back.
template <class C, class T>
concept checkpoint_codec = trainer<T> &&
    requires(const C& codec, const typename T::checkpoint_type& saved, std::ostream& os, std::istream& is) {
        codec.save(os, saved);
        { codec.load(is) } -> std::same_as<typename T::checkpoint_type>;
    };

/// Options of run_resumable.
struct resumable_options {
    std::filesystem::path path{};  ///< the state file (created, replaced atomically, kept at the end)
    /// Called once when a run resumes, with the number of events the interrupted run had
    /// reported before its last save (a host that logs events truncates its log to that).
    std::function<void(std::uint64_t events_before)> on_resume{};
};

namespace detail {

inline constexpr std::string_view run_state_format = "autolrs-run-state";
inline constexpr std::uint64_t run_state_version = 1;

/// The trainer as run() sees it: forwards every call, and writes a pending save just
/// before the next call (when the events of the last decision have all been reported).
template <class T>
class saving_trainer {
public:
    using checkpoint_type = typename T::checkpoint_type;

    saving_trainer(T& inner, std::function<void()> save) : inner_(inner), save_(std::move(save)) {}

    void request_save() noexcept { pending_ = true; }
    void flush() {
        if (pending_) {
            pending_ = false;
            save_();
        }
    }

    void set_learning_rate(double lr) {
        flush();
        inner_.set_learning_rate(lr);
    }
    decltype(auto) train_step() {
        flush();
        auto r = inner_.train_step();
        const step_result s = run_step_result(r);
        if (s.applied) last_loss_ = s.loss;
        return r;
    }
    /// The last applied step's loss (NaN before any, and after a restore).
    [[nodiscard]] double last_loss() const noexcept { return last_loss_; }
    void set_last_loss(double loss) noexcept { last_loss_ = loss; }
    decltype(auto) validation_loss() {
        flush();
        return inner_.validation_loss();
    }
    checkpoint_type checkpoint() {
        flush();
        return inner_.checkpoint();
    }
    void checkpoint(checkpoint_type& into)
        requires reusing_trainer<T>
    {
        flush();
        inner_.checkpoint(into);
    }
    void restore(const checkpoint_type& saved) {
        flush();
        inner_.restore(saved);
        last_loss_ = std::numeric_limits<double>::quiet_NaN();  // the restored model's loss is not known
    }

private:
    T& inner_;
    std::function<void()> save_;
    bool pending_ = false;
    double last_loss_ = std::numeric_limits<double>::quiet_NaN();
};

[[nodiscard]] inline bool is_boundary(event_kind k) noexcept {
    return k == event_kind::warmup_start || k == event_kind::stage_start || k == event_kind::search_skipped ||
           k == event_kind::cooldown_start || k == event_kind::done;
}

}  // namespace detail

/// autolrs::run with a state file (see the top of this header). When `options.path` exists,
/// the run resumes from it: `controller` (built with the same settings) and `trainer` are
/// put back to the saved state, and only the events after it reach `observer`. A stale
/// `<path>.tmp` (a save killed midway) is removed first. Throws autolrs::invalid_state when
/// the file is damaged, was saved under other settings, or exists but cannot be read (then
/// nothing is overwritten),
/// std::system_error when it cannot be written, and what run() throws (trainer_error with
/// the trainer's exception nested): after such an error, calling again resumes from the
/// last stage boundary.
template <class T, ask_tell_controller Controller, class Codec, class Observer>
run_result run_resumable(T& trainer, Controller& controller, const Codec& codec, const resumable_options& options,
                         Observer&& observer) {
    static_assert(explain_trainer<T>());
    static_assert(checkpoint_codec<Codec, T>,
                  "autolrs run_resumable: the codec needs `void save(std::ostream&, const checkpoint_type&) const` and "
                  "`checkpoint_type load(std::istream&) const`");
    std::uint64_t events_before = 0;
    double final_loss = std::numeric_limits<double>::quiet_NaN();
    remove_stale_temporary(options.path);
    if (const std::optional<std::string> saved = read_file_if_exists(options.path)) {
        std::istringstream in(*saved);
        detail::state_text_reader r(in);
        r.expect(detail::run_state_format);
        if (r.get_u64() != detail::run_state_version) throw invalid_state("unsupported run state version");
        r.expect("events");
        events_before = r.get_u64();
        r.expect("final_loss");
        final_loss = r.get_double();
        const auto section = [&](std::string_view key) {
            r.expect(key);
            const std::uint64_t size = r.get_u64();
            r.finish_line();
            if (size > saved->size()) throw invalid_state("'" + std::string(key) + "' is longer than the file");
            std::string text(static_cast<std::size_t>(size), '\0');
            if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
                throw invalid_state("the state file ends inside '" + std::string(key) + "'");
            }
            return text;
        };
        const std::string controller_text = section("controller");
        std::istringstream trainer_text(section("trainer"));
        r.expect("end");
        controller.load(controller_text);
        trainer.restore(codec.load(trainer_text));
        if (options.on_resume) options.on_resume(events_before);
    }

    std::uint64_t events_seen = events_before;
    detail::saving_trainer<T>* saving_ptr = nullptr;
    const auto save = [&] {
        std::ostringstream os;
        detail::state_text_writer w(os);
        w.line(detail::run_state_format, detail::run_state_version);
        w.line("events", events_seen);
        w.line("final_loss", saving_ptr->last_loss());
        const std::string controller_text = controller.save();
        std::ostringstream trainer_text;
        codec.save(trainer_text, trainer.checkpoint());
        const std::string trainer_state = std::move(trainer_text).str();
        w.line("controller", static_cast<std::uint64_t>(controller_text.size()));
        os << controller_text;
        w.line("trainer", static_cast<std::uint64_t>(trainer_state.size()));
        os << trainer_state;
        w.line("end");
        write_file_atomically(options.path, std::move(os).str());
    };
    detail::saving_trainer<T> saving(trainer, save);
    saving_ptr = &saving;
    saving.set_last_loss(final_loss);
    run_result result = run(saving, controller, [&](const event& e) {
        ++events_seen;
        if (detail::is_boundary(e.kind)) saving.request_save();
        observer(e);
    });
    result.final_loss = saving.last_loss();  // run()'s covers this process only
    saving.flush();  // the end: a run started again finds it done
    result.events += events_before;
    return result;
}

}  // namespace autolrs
