#pragma once

// Shared by the pki tests: a scratch directory and the openssl command-line
// tool, which serves as an independent oracle for what the module produces.

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include "common/files.h"

namespace pki_test {

using tether::testing::TempDir;

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

// Runs a shell command; arguments are file paths from TempDir, never user text.
inline CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[512];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline bool have_openssl_tool() { return run("openssl version").exit_code == 0; }

}  // namespace pki_test
