#pragma once

// Secrets at rest: each org has its own key, made at its first secret or
// variable and kept sealed under the master key; a secret's versions are
// sealed under that org key with the org, name and version bound to the
// record, so a ciphertext moved to another row or org does not open.
// Rotating the master key rewraps the org keys and leaves every value's
// ciphertext as it is. Private to src/server.
#include <cstdint>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/store/database.h"

namespace tether::server {

// What an org's key is bound to: its org.
std::string org_key_identity(std::int64_t org_id);

// The org's key, opened with the master key; made and stored (sealed) when
// the org has none yet, so call it inside the transaction that uses it.
// failed_precondition when the stored key is sealed under another master key.
Result<Secret> org_key(const store::Database& database, const Secret& master_key, std::int64_t org_id,
                       std::int64_t now);

// A keyed fingerprint of a value (HMAC-SHA-256 under a key derived from the
// org key, its first 8 bytes as hex): equal values in an org have equal
// fingerprints, and without the key a fingerprint says nothing about the
// value, low-entropy ones included.
std::string value_fingerprint(const Secret& org_key, std::string_view value);

Result<std::string> seal_secret_version(const Secret& org_key, std::int64_t org_id, std::string_view name,
                                        std::int64_t version, std::string_view value);
// internal naming the record when it does not open (altered or moved).
Result<Secret> open_secret_version(const Secret& org_key, std::int64_t org_id, std::string_view name,
                                   std::int64_t version, std::string_view sealed);

}  // namespace tether::server
