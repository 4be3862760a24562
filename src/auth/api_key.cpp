#include "tether/auth/api_key.h"

#include <cctype>

#include "tether/crypto/random.h"

namespace tether::auth {
namespace {

bool all_base62(std::string_view text) {
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) return false;
    }
    return true;
}

}  // namespace

NewApiKey generate_api_key() {
    NewApiKey key;
    key.key_id = crypto::random_base62(key_id_length);
    std::string secret = crypto::random_base62(key_secret_length);
    key.secret_hash = hash_key_secret(secret);
    std::string token = std::string(api_key_prefix) + key.key_id + "_" + secret;
    key.token = Secret(token);
    wipe(secret);
    wipe(token);
    return key;
}

Result<PresentedKey> parse_api_key(std::string_view token) {
    auto malformed = [] { return Error{ErrorKind::unauthenticated, "malformed API key"}; };
    if (token.substr(0, api_key_prefix.size()) != api_key_prefix) return malformed();
    std::string_view rest = token.substr(api_key_prefix.size());
    if (rest.size() != key_id_length + 1 + key_secret_length || rest[key_id_length] != '_') return malformed();
    std::string_view key_id = rest.substr(0, key_id_length);
    std::string_view secret = rest.substr(key_id_length + 1);
    if (!all_base62(key_id) || !all_base62(secret)) return malformed();
    return PresentedKey{std::string(key_id), Secret(secret)};
}

crypto::Sha256 hash_key_secret(std::string_view secret) { return crypto::sha256(secret); }

bool key_secret_matches(std::string_view secret, std::string_view stored_hash) {
    crypto::Sha256 presented = hash_key_secret(secret);
    return crypto::constant_time_equal(
        std::string_view(reinterpret_cast<const char*>(presented.data()), presented.size()), stored_hash);
}

}  // namespace tether::auth
