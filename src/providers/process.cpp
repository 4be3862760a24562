#include "tether/providers/process.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ;

namespace tether::providers {
namespace {

using Clock = std::chrono::steady_clock;

// A file descriptor closed when it goes away.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

Result<Pipe> make_pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return Error{ErrorKind::internal, std::string("cannot create a pipe: ") + std::strerror(errno)};
    }
    return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Writing to a pipe whose reader has gone raises SIGPIPE; block it on this
// thread while we write and swallow one that arrived, instead of touching
// the process's signal handling.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipe_set_);
        sigaddset(&pipe_set_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        already_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
    }
    ~SigpipeGuard() {
        if (!already_pending_) {
            timespec zero{};
            while (sigtimedwait(&pipe_set_, nullptr, &zero) == SIGPIPE) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t pipe_set_{};
    sigset_t old_{};
    bool already_pending_ = false;
};

std::string first_line(const std::string& text) {
    std::size_t end = text.find_first_of("\r\n");
    std::string line = text.substr(0, end);
    return line.size() > 200 ? line.substr(0, 200) + "…" : line;
}

Result<std::string> find_program(const ProcessRequest& request) {
    const std::string& name = request.argv.front();
    if (name.find('/') != std::string::npos) return name;
    for (std::size_t start = 0; start <= request.search_path.size();) {
        std::size_t end = request.search_path.find(':', start);
        if (end == std::string::npos) end = request.search_path.size();
        std::string dir = request.search_path.substr(start, end - start);
        start = end + 1;
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return Error{ErrorKind::not_found, "cannot run " + name + ": not found in " + request.search_path};
}

Error spawn_error(const std::string& program, int code) {
    ErrorKind kind = code == ENOENT                    ? ErrorKind::not_found
                     : code == EACCES || code == EPERM ? ErrorKind::permission_denied
                                                       : ErrorKind::unavailable;
    return {kind, "cannot run " + program + ": " + std::strerror(code)};
}

struct Child {
    pid_t pid = -1;
    Fd in;
    Fd out;
    Fd err;
};

Result<Child> spawn(const ProcessRequest& request, const std::string& path) {
    auto in = make_pipe();
    auto out = make_pipe();
    auto err = make_pipe();
    if (!in || !out || !err) return !in ? in.error() : !out ? out.error() : err.error();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.value().read.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out.value().write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err.value().write.get(), 2);
    // Descriptors the rest of the program opened without O_CLOEXEC stay ours.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (request.working_directory) posix_spawn_file_actions_addchdir_np(&actions, request.working_directory->c_str());

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t default_signals;
    sigfillset(&default_signals);
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setsigdefault(&attributes, &default_signals);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    for (const std::string& argument : request.argv) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    if (request.environment) {
        for (const std::string& variable : *request.environment) envp.push_back(const_cast<char*>(variable.c_str()));
        envp.push_back(nullptr);
    }

    Child child;
    int failed = ::posix_spawn(&child.pid, path.c_str(), &actions, &attributes, argv.data(),
                               request.environment ? envp.data() : environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (failed != 0) return spawn_error(request.argv.front(), failed);
    child.in = std::move(in.value().write);
    child.out = std::move(out.value().read);
    child.err = std::move(err.value().read);
    return child;
}

// Kills the child's process group and reaps the child.
void kill_and_reap(pid_t pid) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

struct Collected {
    std::string out;
    std::string err;

    Collected() = default;
    Collected(const Collected&) = delete;
    Collected& operator=(const Collected&) = delete;
    ~Collected() { wipe(out); }
};

// Feeds stdin and drains stdout and stderr until both close or something
// goes wrong; the child is killed and reaped on every error.
Result<Done> exchange(const ProcessRequest& request, Child& child, Collected& collected, Clock::time_point deadline) {
    const std::string& program = request.argv.front();
    std::string_view to_write = request.stdin_text.reveal();
    if (to_write.empty()) child.in.reset();
    if (child.in.get() >= 0) ::fcntl(child.in.get(), F_SETFL, O_NONBLOCK);
    SigpipeGuard no_sigpipe;
    std::array<char, 16384> buffer{};
    while (child.out.get() >= 0 || child.err.get() >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            kill_and_reap(child.pid);
            return Error{ErrorKind::deadline_exceeded, program + " did not finish within " +
                                                           std::to_string(request.timeout.count()) + " ms; killed it"};
        }
        std::array<pollfd, 3> fds = {pollfd{child.out.get(), POLLIN, 0}, pollfd{child.err.get(), POLLIN, 0},
                                     pollfd{child.in.get(), POLLOUT, 0}};
        int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
        if (ready < 0 && errno != EINTR) {
            kill_and_reap(child.pid);
            return Error{ErrorKind::internal, std::string("poll failed: ") + std::strerror(errno)};
        }
        if (fds[2].revents != 0) {
            ssize_t wrote = ::write(child.in.get(), to_write.data(), to_write.size());
            if (wrote > 0) to_write.remove_prefix(static_cast<std::size_t>(wrote));
            // A child that does not read its input has every right not to.
            if (to_write.empty() || (wrote < 0 && errno != EAGAIN && errno != EINTR)) child.in.reset();
        }
        for (int stream = 0; stream < 2; ++stream) {
            if (fds[stream].revents == 0) continue;
            Fd& fd = stream == 0 ? child.out : child.err;
            std::string& into = stream == 0 ? collected.out : collected.err;
            std::size_t limit = stream == 0 ? request.max_stdout_bytes : request.max_stderr_bytes;
            ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                fd.reset();
                continue;
            }
            into.append(buffer.data(), static_cast<std::size_t>(got));
            if (into.size() > limit) {
                kill_and_reap(child.pid);
                return Error{ErrorKind::unavailable, program + " wrote more than " + std::to_string(limit) +
                                                         " bytes to " + (stream == 0 ? "stdout" : "stderr") +
                                                         "; killed it"};
            }
        }
    }
    OPENSSL_cleanse(buffer.data(), buffer.size());
    return Done{};
}

// The exit status, once the child has gone; it may close its output and
// linger, so the deadline holds here too.
Result<int> wait_for_exit(const ProcessRequest& request, pid_t pid, Clock::time_point deadline) {
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return status;
        if (done < 0 && errno != EINTR) {
            return Error{ErrorKind::internal, "cannot wait for " + request.argv.front() + ": " + std::strerror(errno)};
        }
        if (Clock::now() >= deadline) {
            kill_and_reap(pid);
            return Error{ErrorKind::deadline_exceeded, request.argv.front() + " did not exit within " +
                                                           std::to_string(request.timeout.count()) + " ms; killed it"};
        }
        ::poll(nullptr, 0, 5);
    }
}

}  // namespace

Result<ProcessOutput> run_process(const ProcessRequest& request) {
    if (request.argv.empty() || request.argv.front().empty()) {
        return Error{ErrorKind::invalid_argument, "no program to run"};
    }
    auto path = find_program(request);
    if (!path) return path.error();
    auto deadline = Clock::now() + request.timeout;
    auto child = spawn(request, path.value());
    if (!child) return child.error();

    Collected collected;
    if (auto exchanged = exchange(request, child.value(), collected, deadline); !exchanged) return exchanged.error();
    auto status = wait_for_exit(request, child.value().pid, deadline);
    if (!status) return status.error();

    const std::string& program = request.argv.front();
    std::string stderr_line = first_line(collected.err);
    std::string said = stderr_line.empty() ? "" : ": " + stderr_line;
    if (WIFSIGNALED(status.value())) {
        return Error{ErrorKind::unavailable,
                     program + " was killed by signal " + std::to_string(WTERMSIG(status.value())) + said};
    }
    if (WEXITSTATUS(status.value()) != 0) {
        return Error{ErrorKind::unavailable,
                     program + " failed with exit code " + std::to_string(WEXITSTATUS(status.value())) + said};
    }
    ProcessOutput output;
    output.stdout_text = Secret(collected.out);
    output.stderr_text = std::move(collected.err);
    return output;
}

}  // namespace tether::providers
