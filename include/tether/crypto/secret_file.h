#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::crypto {

// Writes a file that holds a secret, atomically and 0600 from its creation:
// the bytes go to a new temporary file beside `path` (O_EXCL, mode 0600),
// are fsync-ed, and the file is then linked (no `replace`: fails with
// already_exists if `path` exists, without a race) or renamed (`replace`)
// into place, and the directory fsync-ed. A reader never sees a partial file.
Result<Done> write_private_file(const std::filesystem::path& path, std::string_view bytes, bool replace);

// Reads a file that holds a secret, up to `max_bytes`.
Result<Secret> read_private_file(const std::filesystem::path& path, std::size_t max_bytes = 1 << 20);

// invalid_argument naming the mode and the fix when group or others have
// any access to `path`, as ssh does for private keys.
Result<Done> check_private_mode(const std::filesystem::path& path);

}  // namespace tether::crypto
