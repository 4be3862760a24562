#pragma once

#include "tether/cli/command.h"

namespace tether::admin {

// Adds `tether admin` and its commands to the root command.
void add_command(CLI::App& root, cli::Action& action);

}  // namespace tether::admin
