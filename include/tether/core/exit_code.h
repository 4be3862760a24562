#pragma once

// Process exit codes, from sysexits(3), so that scripts and systemd can tell
// a typo from a dead server from a revoked key.
namespace tether {

enum class ExitCode : int {
    ok = 0,
    usage = 64,        // EX_USAGE: wrong command line
    data = 65,         // EX_DATAERR: the input was refused as invalid
    unavailable = 69,  // EX_UNAVAILABLE: a service we need cannot be reached
    internal = 70,     // EX_SOFTWARE: a bug or an unexpected failure
    cannot_create = 73,  // EX_CANTCREAT: an output file cannot be created
    retry = 75,        // EX_TEMPFAIL: busy, timed out or interrupted; trying again may work
    refused = 77,      // EX_NOPERM: authentication or permission refused
    config = 78,       // EX_CONFIG: a configuration file or setting is wrong
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace tether
