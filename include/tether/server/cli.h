#pragma once

#include "tether/cli/command.h"

namespace tether::server {

// Adds `tether server` to the root command.
void add_command(CLI::App& root, cli::Action& action);

}  // namespace tether::server
