#pragma once

#include "tether/server/config.h"

namespace tether::server {

// Runs the server until SIGTERM or SIGINT; returns the process exit code.
// Start-up failures throw Fatal.
int run(const ServerConfig& config);

}  // namespace tether::server
