#include "secret_material.h"

#include <openssl/crypto.h>

#include "tether/crypto/envelope.h"
#include "tether/crypto/hash.h"
#include "tether/store/secrets.h"

namespace tether::server {
namespace {

std::string secret_identity(std::int64_t org_id, std::string_view name, std::int64_t version) {
    return "tether secret\norg " + std::to_string(org_id) + "\n" + std::string(name) + "\nversion " +
           std::to_string(version);
}

}  // namespace

std::string org_key_identity(std::int64_t org_id) { return "tether org key\norg " + std::to_string(org_id); }

Result<Secret> org_key(const store::Database& database, const Secret& master_key, std::int64_t org_id,
                       std::int64_t now) {
    auto stored = store::find_org_key(database, org_id);
    if (!stored) return stored.error();
    if (stored.value()) {
        auto opened = crypto::open(master_key, org_key_identity(org_id), *stored.value());
        if (!opened) {
            return Error{opened.error().kind == ErrorKind::permission_denied ? ErrorKind::failed_precondition
                                                                               : ErrorKind::internal,
                         "cannot open the org's key: " + opened.error().message};
        }
        return opened;
    }
    Secret key = crypto::new_key();
    auto sealed = crypto::seal(master_key, org_key_identity(org_id), key.reveal());
    if (!sealed) return sealed.error();
    if (auto kept = store::insert_org_key(database, org_id, sealed.value(), now); !kept) return kept.error();
    return key;
}

std::string value_fingerprint(const Secret& org_key, std::string_view value) {
    crypto::Sha256 fingerprint_key = crypto::hmac_sha256(org_key.reveal(), "tether value fingerprint v1");
    Secret key(std::string_view(reinterpret_cast<const char*>(fingerprint_key.data()), fingerprint_key.size()));
    OPENSSL_cleanse(fingerprint_key.data(), fingerprint_key.size());
    crypto::Sha256 mac = crypto::hmac_sha256(key.reveal(), value);
    return crypto::to_hex(mac.data(), 8);
}

Result<std::string> seal_secret_version(const Secret& org_key, std::int64_t org_id, std::string_view name,
                                        std::int64_t version, std::string_view value) {
    return crypto::seal(org_key, secret_identity(org_id, name, version), value);
}

Result<Secret> open_secret_version(const Secret& org_key, std::int64_t org_id, std::string_view name,
                                   std::int64_t version, std::string_view sealed) {
    auto opened = crypto::open(org_key, secret_identity(org_id, name, version), sealed);
    if (!opened) {
        return Error{ErrorKind::internal, "secret " + std::string(name) + " version " + std::to_string(version) +
                                              " does not open under its org's key (" + opened.error().message +
                                              "): it was altered, or copied from another record"};
    }
    return opened;
}

}  // namespace tether::server
