#pragma once

// Runs a script of tests/oracles/ under a python3 that has botocore: the
// AWS SDK for Python serves as an independent reference for the AWS code.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace tether::testing {

// The first interpreter that has botocore: the image's python3, or
// Debian's (scripts/setup-deps installs python3-botocore).
inline std::string python_with_botocore() {
    for (const char* candidate : {"python3", "/usr/bin/python3"}) {
        std::string probe = std::string(candidate) + " -c 'import botocore' > /dev/null 2>&1";
        if (std::system(probe.c_str()) == 0) return candidate;
    }
    return {};
}

// The standard output of tests/oracles/<script> run with `arguments` (a
// shell command-line tail, e.g. "< input.jsonl"); fails the test if there
// is no such python or the script fails.
inline std::string run_oracle(const std::string& script, const std::string& arguments) {
    std::string python = python_with_botocore();
    REQUIRE_MESSAGE(!python.empty(),
                    "no python3 with botocore: install python3-botocore (scripts/setup-deps does) to run this test");
    std::string command = python + " " TETHER_SOURCE_DIR "/tests/oracles/" + script + " " + arguments;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buffer[65536];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, got);
    int status = ::pclose(pipe);
    REQUIRE_MESSAGE(status == 0, script << " failed");
    return output;
}

// A file's text, or "" if there is none (for messages about test inputs).
inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace tether::testing
