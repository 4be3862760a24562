#pragma once

// tests/integration/connect_proxy.py, an HTTP CONNECT proxy that is not
// tether's code, run as a child process for the proxy and client tests.
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

#include "tether/core/endpoint.h"

namespace tether::testing {

using namespace std::chrono_literals;

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The proxy's stdout goes to a file, not a pipe, so it can never block on us.
class ConnectProxy {
public:
    explicit ConnectProxy(std::vector<std::string> args = {}) {
        char pattern[] = "/tmp/tether-proxy-XXXXXX";
        int fd = ::mkstemp(pattern);
        REQUIRE(fd >= 0);
        output_ = pattern;
        std::vector<std::string> argv_text = {"python3", TETHER_SOURCE_DIR "/tests/integration/connect_proxy.py"};
        argv_text.insert(argv_text.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& arg : argv_text) argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fd, 1);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        int rc = ::posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fd);
        REQUIRE_MESSAGE(rc == 0, "cannot start python3: ", std::strerror(rc));
        for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
            std::string text = output();
            std::size_t at = text.find("listening ");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoi(text.substr(at + 10)));
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
        FAIL("connect_proxy.py did not say it was listening: ", output());
    }
    ~ConnectProxy() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        std::filesystem::remove(output_);
    }
    ConnectProxy(const ConnectProxy&) = delete;
    ConnectProxy& operator=(const ConnectProxy&) = delete;

    HostPort address() const { return {"127.0.0.1", port_}; }
    std::string output() const { return read_file(output_); }

    // Waits until the proxy has printed `line`.
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
