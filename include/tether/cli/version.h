#pragma once

#include <string>

namespace tether::cli {

// "tether 0.1.0 (commit abc1234)".
std::string version_line();

// The version line plus the libraries compiled into this binary, which is
// what matters for a static binary's security advisories.
std::string version_report();

}  // namespace tether::cli
