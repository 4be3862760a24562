#pragma once

#include <optional>
#include <string>
#include <string_view>

// Standard base64 (RFC 4648 §4, with padding), as HTTP Basic credentials,
// Kubernetes Secrets and kubeconfig *-data fields use it.
namespace tether::crypto {

std::string base64_encode(std::string_view bytes);

// nullopt unless `text` is well-formed padded base64. Line breaks are
// skipped (wrapped PEM bodies), as Go's decoder skips them for kubeconfig
// *-data fields; any other character outside the alphabet is refused.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tether::crypto
