#pragma once

// A test server written in Python (a CONNECT proxy, a fake cloud endpoint),
// not tether's code, run as a child process. It prints "listening PORT"
// once ready; its stdout goes to a file, not a pipe, so it can never block
// on us.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/files.h"
#include "tether/core/endpoint.h"

extern char** environ;

namespace tether::testing {

using namespace std::chrono_literals;

class ScriptServer {
public:
    ScriptServer(const std::string& script, const std::vector<std::string>& args,
                 const std::string& interpreter = "python3") {
        char pattern[] = "/tmp/tether-script-server-XXXXXX";
        int fd = ::mkstemp(pattern);
        REQUIRE(fd >= 0);
        output_ = pattern;
        std::vector<std::string> argv_text = {interpreter, script};
        argv_text.insert(argv_text.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& arg : argv_text) argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fd, 1);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        int rc = ::posix_spawnp(&pid_, interpreter.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fd);
        REQUIRE_MESSAGE(rc == 0, "cannot start ", interpreter, ": ", std::strerror(rc));
        for (auto deadline = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < deadline;) {
            std::string text = output();
            std::size_t at = text.find("listening ");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoi(text.substr(at + 10)));
                return;
            }
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) break;
            std::this_thread::sleep_for(20ms);
        }
        FAIL(script, " did not say it was listening: ", output());
    }
    ~ScriptServer() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        std::filesystem::remove(output_);
    }
    ScriptServer(const ScriptServer&) = delete;
    ScriptServer& operator=(const ScriptServer&) = delete;

    HostPort address() const { return {"127.0.0.1", port_}; }
    std::uint16_t port() const { return port_; }
    std::string output() const { return read_text(output_); }

    // Waits until the server has printed `line`.
    bool printed(const std::string& line) const {
        for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
            if (output().find(line + "\n") != std::string::npos) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

private:
    std::filesystem::path output_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace tether::testing
