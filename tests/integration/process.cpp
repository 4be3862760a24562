#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tether::testing {
namespace {

bool is_outside_influence(const std::string& name) {
    static const char* const names[] = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                                        "no_proxy",    "ALL_PROXY",   "all_proxy",  "NOTIFY_SOCKET", "WATCHDOG_USEC",
                                        "WATCHDOG_PID"};
    for (const char* outside : names) {
        if (name == outside) return true;
    }
    return false;
}

std::vector<std::string> child_environment(const Options& options, const std::filesystem::path& home) {
    std::map<std::string, std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view var(*entry);
        std::size_t equals = var.find('=');
        std::string name(var.substr(0, equals));
        if (equals == std::string_view::npos || name == "XDG_CONFIG_HOME") continue;
        if (name.rfind("TETHER_", 0) == 0 && name != "TETHER_BINARY") continue;
        // A proxy or systemd socket of the machine running the tests must
        // not reach the child; tests that want them pass them explicitly.
        if (is_outside_influence(name)) continue;
        env[name] = var.substr(equals + 1);
    }
    env["HOME"] = home.string();
    for (const auto& [name, value] : options.env) env[name] = value;
    std::vector<std::string> out;
    for (const auto& [name, value] : env) out.push_back(name + "=" + value);
    return out;
}

}  // namespace

std::string tether_binary() {
    const char* path = std::getenv("TETHER_BINARY");
    if (path == nullptr) throw std::runtime_error("TETHER_BINARY is not set: run the tests through meson test");
    return path;
}

void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("cannot write " + path.string());
    ::fchmod(fd, mode);  // the test wants exactly this mode, umask or not
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

Process::Process(const std::vector<std::string>& args, const Options& options) {
    std::filesystem::create_directory(dir_ / "home");
    std::filesystem::path cwd = options.cwd.empty() ? dir_.path : options.cwd;

    std::vector<std::string> argv_text = {options.program.empty() ? tether_binary() : options.program.string()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text = child_environment(options, dir_ / "home");
    std::vector<char*> envp;
    for (auto& var : env_text) envp.push_back(var.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string input = options.stdin_path.empty() ? "/dev/null" : options.stdin_path.string();
    posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (dir_ / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv_text[0] + ": " + std::strerror(rc));
}

Process::~Process() {
    if (!reaped_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

std::string Process::out() const { return read_text(dir_ / "stdout"); }
std::string Process::err() const { return read_text(dir_ / "stderr"); }

std::optional<nlohmann::json> Process::wait_for_log(const std::string& message, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        for (const std::string& line : lines(err())) {
            auto entry = nlohmann::json::parse(line, nullptr, false);
            if (entry.is_object() && entry.value("msg", "") == message) return entry;
        }
        int status = 0;
        if (!reaped_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped_ = true;
            return std::nullopt;  // it exited without saying so
        }
        std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
}

Outcome Process::collect(int status) const {
    Outcome outcome;
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    outcome.out = out();
    outcome.err = err();
    return outcome;
}

std::optional<Outcome> Process::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reaped_) {
        int status = 0;
        pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            reaped_ = true;
            return collect(status);
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;  // reaped earlier by wait_for_log: the status is gone
}

Outcome Process::stop(int signal, std::chrono::milliseconds grace) {
    if (reaped_) return Outcome{-1, 0, out(), err()};
    ::kill(pid_, signal);
    if (auto outcome = wait(grace)) return *outcome;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    Outcome outcome = collect(status);
    outcome.err += "\n[test harness: no exit within the grace period, killed]\n";
    return outcome;
}

Outcome run(const std::vector<std::string>& args, const Options& options) {
    Process process(args, options);
    if (auto outcome = process.wait(30s)) return *outcome;
    return process.stop(SIGKILL, 5s);
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace tether::testing
