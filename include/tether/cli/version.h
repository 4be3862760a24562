#pragma once

#include <string>

namespace tether::cli {

// "tether 0.1.0 (commit abc1234)".
std::string version_line();

// The version line plus the build date, the compiler and the libraries
// compiled into this binary, which is what matters for a static binary's
// security advisories.
std::string version_report();

// The same as one JSON object: {"version","commit","build_date","compiler",
// "static","libraries":{NAME: VERSION},"runtime":{NAME: VERSION}}.
std::string version_json();

}  // namespace tether::cli
