#pragma once

#include "tether/cli/command.h"

namespace tether::runner {

// Adds `tether runner` to the root command.
void add_command(CLI::App& root, cli::Action& action);

}  // namespace tether::runner
