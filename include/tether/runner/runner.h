#pragma once

#include "tether/runner/config.h"

namespace tether::runner {

// Runs the runner; returns the exit code. Start-up failures throw Fatal.
int run(const RunnerConfig& config);

}  // namespace tether::runner
