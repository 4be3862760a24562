#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace tether::cli {

// What a parsed command line asks for: set by the chosen subcommand's parse
// callback, run by main() after parsing, returns the exit code. Failures
// throw Fatal.
using Action = std::function<int()>;

}  // namespace tether::cli
