#pragma once

#include <optional>
#include <string>
#include <string_view>

// Standard base64 (RFC 4648 §4, with padding), as HTTP Basic credentials,
// Kubernetes Secrets and kubeconfig *-data fields use it.
namespace tether::crypto {

std::string base64_encode(std::string_view bytes);

// nullopt unless `text` is well-formed padded base64 (whitespace between
// groups, as in wrapped PEM bodies, is skipped).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tether::crypto
