#pragma once

// Starts the real tether binary as a separate process, the way a user
// would, and collects what it prints. Output goes to files, not pipes, so a
// chatty child can never block on a full pipe.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/files.h"

namespace tether::testing {

using namespace std::chrono_literals;

// The binary under test: $TETHER_BINARY, set by meson.
std::string tether_binary();


// Writes `text` to `path` with `mode`.
void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode = 0644);

struct Options {
    // Added to the environment; the child never inherits TETHER_* variables
    // from the test's own environment, and HOME is a private directory.
    std::vector<std::pair<std::string, std::string>> env;
    std::filesystem::path cwd;  // default: a private directory
    std::filesystem::path stdin_path;  // what the child reads on stdin; default: /dev/null
    // Another program to start instead (a peer a test plays against), by
    // absolute path; `args` are then its arguments.
    std::filesystem::path program;
};

struct Outcome {
    int exit_code = -1;  // -1 if killed by a signal
    int signal = 0;
    std::string out;
    std::string err;
};

class Process {
public:
    Process(const std::vector<std::string>& args, const Options& options = {});
    ~Process();  // SIGKILLs a child still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    std::string out() const;
    std::string err() const;

    // Waits until stderr holds a JSON log line whose msg is `message`.
    std::optional<nlohmann::json> wait_for_log(const std::string& message, std::chrono::milliseconds timeout = 20s);

    // Waits for the child to exit by itself.
    std::optional<Outcome> wait(std::chrono::milliseconds timeout = 30s);

    // Sends `signal`, waits up to `grace`, then SIGKILLs.
    Outcome stop(int signal, std::chrono::milliseconds grace = 20s);

private:
    Outcome collect(int status) const;

    TempDir dir_;
    pid_t pid_ = -1;
    bool reaped_ = false;
};

// Runs tether with `args` to completion (30 s at most).
Outcome run(const std::vector<std::string>& args, const Options& options = {});

// The lines of a text, without their newlines.
std::vector<std::string> lines(const std::string& text);

}  // namespace tether::testing
