#pragma once

// Runs a helper program and collects what it prints: AWS credential_process
// and the "exec" credential provider both get their secrets this way. No
// shell is involved; the child runs in its own process group so that a
// timeout kills whatever it started too.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::providers {

struct ProcessRequest {
    // argv[0] is the program: a path if it holds a '/', else a name looked
    // up in `search_path` (a PATH-style list).
    std::vector<std::string> argv;
    std::string search_path = "/usr/local/bin:/usr/bin:/bin";
    // The child's whole environment, "NAME=value" each; nullopt: ours.
    std::optional<std::vector<std::string>> environment;
    std::optional<std::filesystem::path> working_directory;
    Secret stdin_text;  // written to the child's stdin, which is then closed
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    std::size_t max_stdout_bytes = 1024 * 1024;
    std::size_t max_stderr_bytes = 64 * 1024;
};

struct ProcessOutput {
    Secret stdout_text;  // credentials, as a rule
    std::string stderr_text;
};

// The output of a child that exited with 0. Errors, each naming the
// program (argv[0], never the arguments: they may hold a secret):
// not_found (no such program), permission_denied (not executable),
// deadline_exceeded (still running after `timeout`: its process group is
// killed), unavailable (exit code or signal, with the first line of
// stderr; stdout or stderr over its limit), invalid_argument (empty argv).
Result<ProcessOutput> run_process(const ProcessRequest& request);

}  // namespace tether::providers
