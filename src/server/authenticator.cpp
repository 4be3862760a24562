#include "tether/server/authenticator.h"

#include "tether/auth/api_key.h"
#include "tether/core/log.h"
#include "loggers.h"

namespace tether::server {
namespace {

Error refuse(const HttpRequest& request, std::string_view reason, std::string_view key_id = "") {
    auth_log.warn("request refused",
                {{"reason", reason}, {"key_id", key_id}, {"peer", request.peer}, {"request_id", request.request_id}});
    return {ErrorKind::unauthenticated, "missing or invalid API key"};
}

}  // namespace

Result<Principal> authenticate(const store::Database& database, const HttpRequest& request, std::int64_t now) {
    auto header = request.headers.find("authorization");
    if (header == request.headers.end()) return refuse(request, "no Authorization header");
    constexpr std::string_view scheme = "Bearer ";
    if (header->second.compare(0, scheme.size(), scheme) != 0) return refuse(request, "not a Bearer token");
    auto presented = auth::parse_api_key(std::string_view(header->second).substr(scheme.size()));
    if (!presented) return refuse(request, "malformed API key");
    const std::string& key_id = presented.value().key_id;

    auto key = store::find_api_key(database, key_id);
    if (!key) return refuse(request, key.error().kind == ErrorKind::not_found ? "unknown key id" : key.error().message, key_id);
    if (!auth::key_secret_matches(presented.value().secret.reveal(), key.value().secret_sha256)) {
        return refuse(request, "wrong secret for this key id", key_id);
    }
    if (key.value().revoked_at) return refuse(request, "key revoked", key_id);
    if (key.value().expires_at && *key.value().expires_at <= now) return refuse(request, "key expired", key_id);

    auto account = store::find_service_account_by_id(database, key.value().service_account_id);
    if (!account) return refuse(request, "service account deleted", key_id);
    if (!account.value().active) return refuse(request, "service account disabled", key_id);

    // Best effort: a failed timestamp update must not refuse a valid key.
    (void)store::touch_api_key(database, key.value().id, now);
    return Principal{std::move(account).value(), key_id};
}

}  // namespace tether::server
