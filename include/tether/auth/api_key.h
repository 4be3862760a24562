#pragma once

#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/crypto/hash.h"

// API keys: tth_<key id>_<secret>. The key id is public (it names the key
// in lists, logs and the store); the secret is 40 base62 characters (about
// 238 bits) and only its SHA-256 is ever stored. A fast hash is right here:
// the secret is random, not a password, so there is nothing to brute-force.
namespace tether::auth {

inline constexpr std::string_view api_key_prefix = "tth_";
inline constexpr std::size_t key_id_length = 12;
inline constexpr std::size_t key_secret_length = 40;

struct NewApiKey {
    std::string key_id;
    Secret token;  // the whole tth_… string, to hand out once
    crypto::Sha256 secret_hash;
};

NewApiKey generate_api_key();

struct PresentedKey {
    std::string key_id;
    Secret secret;
};

// Splits a presented token. Errors are unauthenticated and never repeat the
// token (only that it is malformed).
Result<PresentedKey> parse_api_key(std::string_view token);

crypto::Sha256 hash_key_secret(std::string_view secret);

// Constant-time comparison of a presented secret with a stored hash.
bool key_secret_matches(std::string_view secret, std::string_view stored_hash);

}  // namespace tether::auth
