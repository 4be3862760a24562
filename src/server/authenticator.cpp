#include "tether/server/authenticator.h"

#include <variant>

#include "tether/auth/api_key.h"
#include "tether/core/log.h"
#include "loggers.h"

namespace tether::server {
namespace {

struct Identified {
    Principal principal;
    std::int64_t key_row = 0;
};

struct Refusal {
    std::string reason;  // for the server log; never the key
    std::string key_id;
    // The caller presented the whole key (its secret matched): telling it
    // why that key no longer works reveals nothing it does not hold.
    bool holds_key = false;
};

// The principal behind the request's key, or why there is none.
std::variant<Identified, Refusal> identify(const store::Database& database, const HttpRequest& request,
                                           std::int64_t now) {
    auto header = request.headers.find("authorization");
    if (header == request.headers.end()) return Refusal{"no Authorization header", ""};
    constexpr std::string_view scheme = "Bearer ";
    if (header->second.compare(0, scheme.size(), scheme) != 0) return Refusal{"not a Bearer token", ""};
    auto presented = auth::parse_api_key(std::string_view(header->second).substr(scheme.size()));
    if (!presented) return Refusal{"malformed API key", ""};
    const std::string& key_id = presented.value().key_id;

    auto key = store::find_api_key(database, key_id);
    if (!key) return Refusal{key.error().kind == ErrorKind::not_found ? "unknown key id" : key.error().message, key_id};
    if (!auth::key_secret_matches(presented.value().secret.reveal(), key.value().secret_sha256)) {
        return Refusal{"wrong secret for this key id", key_id};
    }
    if (key.value().revoked_at) return Refusal{"key revoked", key_id, true};
    if (key.value().expires_at && *key.value().expires_at <= now) return Refusal{"key expired", key_id, true};

    auto account = store::find_service_account_by_id(database, key.value().service_account_id);
    if (!account) return Refusal{"service account deleted", key_id, true};
    if (!account.value().active) return Refusal{"service account disabled", key_id, true};
    return Identified{Principal{std::move(account).value(), key_id}, key.value().id};
}

}  // namespace

Result<Principal> authenticate(const store::Database& database, const HttpRequest& request, std::int64_t now) {
    auto identified = identify(database, request, now);
    if (auto* refusal = std::get_if<Refusal>(&identified)) {
        auth_log.warn("request refused", {{"reason", refusal->reason},
                                          {"key_id", refusal->key_id},
                                          {"peer", request.peer},
                                          {"request_id", request.request_id}});
        if (refusal->holds_key) {
            return Error{ErrorKind::unauthenticated, "API key " + refusal->key_id + " no longer works: " + refusal->reason};
        }
        return Error{ErrorKind::unauthenticated, "missing or invalid API key"};
    }
    auto& found = std::get<Identified>(identified);
    // Best effort: a failed timestamp update must not refuse a valid key.
    (void)store::touch_api_key(database, found.key_row, now);
    return std::move(found.principal);
}

bool carries_valid_key(const store::Database& database, const HttpRequest& request, std::int64_t now) {
    return std::holds_alternative<Identified>(identify(database, request, now));
}

}  // namespace tether::server
