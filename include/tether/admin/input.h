#pragma once

#include <cstddef>
#include <string>

#include "tether/core/secret.h"

namespace tether::admin {

// The content of FILE, or of standard input for "-", at most `max_bytes`.
// Anything else ends the command with a usage error naming `what` (e.g.
// "--params") and the cause. A Secret because it may hold credentials; the
// read buffers are wiped.
Secret read_input(const std::string& source, std::size_t max_bytes, const std::string& what);

}  // namespace tether::admin
