#pragma once

// Envelope encryption for secrets at rest (inline connection credentials,
// org keys and, under those, secrets): each record is sealed with a fresh
// 256-bit data key under AES-256-GCM, and that data key is sealed under the
// master key (or an org's key), also AES-256-GCM. Both seals bind the record's identity as
// associated data (for a connection: its org and name), so a sealed value
// copied into another record does not open there. A record carries the
// master key's id, so the wrong master key is told apart from tampering.
//
// Layout, version 1 (binary; hex or base64 is the caller's business):
//   "te1" | master key id (8) | key nonce (12) | sealed data key (32) |
//   key tag (16) | data nonce (12) | ciphertext | data tag (16)
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::crypto {

inline constexpr std::size_t master_key_bytes = 32;

// The master key from its file form: 64 hex characters (server init writes
// them). invalid_argument when it is anything else.
Result<Secret> parse_master_key(std::string_view hex);

// The first 8 bytes of SHA-256 of the master key, as hex: names a key in
// logs and errors without revealing it.
std::string master_key_id(const Secret& master_key);

Result<std::string> seal(const Secret& master_key, std::string_view associated_data, std::string_view plaintext);

// permission_denied when the record was sealed under another master key;
// invalid_argument when it is not a sealed record, has been altered, or
// belongs to another record (associated data).
Result<Secret> open(const Secret& master_key, std::string_view associated_data, std::string_view sealed);

// The same record with its data key sealed under `new_key` instead of
// `old_key`: the data nonce, ciphertext and tag are kept as they are, so
// rotating a master key never decrypts or re-encrypts a value. Errors as
// open().
Result<std::string> rewrap(const Secret& old_key, const Secret& new_key, std::string_view associated_data,
                           std::string_view sealed);

// A key is any 32 random bytes, sealed like a value under the key above it:
// a master key seals an org's key, which seals that org's secrets (the
// master key in these functions need not be the server's).
Secret new_key();

}  // namespace tether::crypto
