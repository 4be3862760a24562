#pragma once

// Private to src/runner: the component its log lines name, defined once.
#include "tether/core/log.h"

namespace tether::runner {

inline const log::Logger runner_log("runner");

}  // namespace tether::runner
