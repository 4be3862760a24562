#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tether::crypto {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view data);

// Lower-case hex of the bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Sha256& digest) { return to_hex(digest.data(), digest.size()); }

std::string sha256_hex(std::string_view data);

// HMAC-SHA-256 (RFC 2104) of `data` under `key`.
Sha256 hmac_sha256(std::string_view key, std::string_view data);

// Compares in time that depends only on the lengths, never on where the
// first difference lies (CRYPTO_memcmp). For secrets and their hashes.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace tether::crypto
