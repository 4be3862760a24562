#pragma once

// Standard base64 (RFC 4648 section 4, padded), as Go's encoding/base64
// reads the *-data fields of a kubeconfig and an ExecCredential's cluster.
#include <optional>
#include <string>
#include <string_view>

namespace tether::providers::kubernetes {

std::string base64_encode(std::string_view bytes);

// nullopt on a character outside the alphabet or bad padding. Line breaks
// are skipped, as Go's decoder skips them.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tether::providers::kubernetes
