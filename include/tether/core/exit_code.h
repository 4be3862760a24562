#pragma once

// Process exit codes, from sysexits(3), so that scripts and systemd can tell
// a typo from a dead server from a revoked key.
namespace tether {

enum class ExitCode : int {
    ok = 0,
    usage = 64,        // EX_USAGE: wrong command line
    unavailable = 69,  // EX_UNAVAILABLE: a service we need cannot be reached
    internal = 70,     // EX_SOFTWARE: a bug or an unexpected failure
    refused = 77,      // EX_NOPERM: authentication or permission refused
    config = 78,       // EX_CONFIG: a configuration file or setting is wrong
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace tether
