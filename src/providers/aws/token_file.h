#pragma once

// Private to src/providers/aws: tokens that a platform writes to a file and
// keeps fresh (the web identity token of IRSA, the ECS container
// authorization token).
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::providers::aws {

// The token in `path`, read whole at each use (the platform rotates it), at
// most 64 KiB, without the line break an `echo` leaves at its end. Errors
// start with `what`, the setting that named the file.
Result<Secret> read_token_file(const std::string& path, std::string_view what);

}  // namespace tether::providers::aws
