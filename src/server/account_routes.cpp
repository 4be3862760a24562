#include "account_routes.h"

#include "api_support.h"
#include "tether/auth/api_key.h"
#include "tether/core/duration.h"
#include "tether/store/statement.h"

namespace tether::server {
namespace {

using api::Call;
using api::in_transaction;

nlohmann::json account_json(const store::ServiceAccount& account) {
    return {{"name", account.name},          {"org", account.org},
            {"kind", store::to_string(account.kind)}, {"role", auth::to_string(account.role)},
            {"active", account.active},      {"created_at", account.created_at}};
}

nlohmann::json optional_time(const std::optional<std::int64_t>& at) { return at ? nlohmann::json(*at) : nlohmann::json(); }

nlohmann::json key_json(const store::ApiKeyRecord& key, const std::string& account) {
    return {{"key_id", key.key_id},         {"service_account", account},
            {"created_at", key.created_at}, {"expires_at", optional_time(key.expires_at)},
            {"revoked_at", optional_time(key.revoked_at)}, {"last_used_at", optional_time(key.last_used_at)}};
}

Result<store::ServiceAccount> named_account(const store::Database& database, const Call& call) {
    const std::string& name = call.request.params.at("name");
    // A runner's account is listed as runner:<runner>; it can be disabled
    // (which ends the runner's tunnels) under that name.
    constexpr std::string_view runner_prefix = "runner:";
    std::string_view own_name = std::string_view(name).substr(name.rfind(runner_prefix, 0) == 0 ? runner_prefix.size() : 0);
    if (auto valid = api::check_name("service account", own_name); !valid) return valid.error();
    return store::find_service_account(database, call.org.id, name);
}

// Disabling or deleting the account making the call would lock the caller
// out halfway through; refuse it, as most identity systems do.
Result<Done> not_self(const Call& call, const store::ServiceAccount& target, std::string_view what) {
    if (target.id != call.principal.account.id) return Done{};
    return Error{ErrorKind::failed_precondition,
                 "you cannot " + std::string(what) + " the service account whose key you are using"};
}

void add_service_account_routes(Router& router, const store::Database& database, RunnerTunnels& tunnels) {
    router.add("GET", "/v1/service-accounts",
               api::guarded(database, auth::Role::viewer, [&database](const Call& call) -> Result<HttpResponse> {
                   auto accounts = store::list_service_accounts(database, call.org.id);
                   if (!accounts) return accounts.error();
                   nlohmann::json list = nlohmann::json::array();
                   for (const auto& account : accounts.value()) list.push_back(account_json(account));
                   return api::json_response(200, {{"service_accounts", list}});
               }));

    router.add("POST", "/v1/service-accounts",
               api::guarded(database, auth::Role::admin, [&database](const Call& call) -> Result<HttpResponse> {
                   auto body = api::json_body(call.request, {"name", "role", "kind"});
                   if (!body) return body.error();
                   auto name = api::string_field(body.value(), "name");
                   if (!name) return name.error();
                   if (auto valid = api::check_name("service account", name.value()); !valid) return valid.error();
                   auto role_name = api::string_field(body.value(), "role");
                   if (!role_name) return role_name.error();
                   auto role = auth::parse_role(role_name.value());
                   if (!role) return Error{ErrorKind::invalid_argument, "role must be viewer, operator or admin"};
                   std::string kind_name = body.value().value("kind", std::string("bot"));
                   auto kind = store::parse_account_kind(kind_name);
                   if (!kind || *kind == store::AccountKind::runner) {
                       return Error{ErrorKind::invalid_argument,
                                    "kind must be user or bot (runner accounts come with runner create)"};
                   }
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       auto account = store::create_service_account(database, call.org, name.value(), *kind, *role, call.now);
                       if (!account) return account.error();
                       auto audited = api::audit(database, call, "service_account.create",
                                                 "service-account:" + call.org.name + "/" + name.value(),
                                                 {{"role", role_name.value()}, {"kind", kind_name}});
                       if (!audited) return audited.error();
                       return api::json_response(201, account_json(account.value()));
                   });
               }));

    for (bool active : {false, true}) {
        std::string verb = active ? "enable" : "disable";
        router.add("POST", "/v1/service-accounts/{name}/" + verb,
                   api::guarded(database, auth::Role::admin, api::revoking(tunnels, [&database, active, verb](const Call& call) -> Result<HttpResponse> {
                       auto account = named_account(database, call);
                       if (!account) return account.error();
                       if (!active) {
                           if (auto allowed = not_self(call, account.value(), verb); !allowed) return allowed.error();
                       }
                       return in_transaction(database, [&]() -> Result<HttpResponse> {
                           auto changed = store::set_service_account_active(database, account.value().id, active);
                           if (!changed) return changed.error();
                           auto audited = api::audit(database, call, "service_account." + verb,
                                                     "service-account:" + call.org.name + "/" + account.value().name);
                           if (!audited) return audited.error();
                           account.value().active = active;
                           return api::json_response(200, account_json(account.value()));
                       });
                   })));
    }

    router.add("DELETE", "/v1/service-accounts/{name}",
               api::guarded(database, auth::Role::admin, api::revoking(tunnels, [&database](const Call& call) -> Result<HttpResponse> {
                   auto account = named_account(database, call);
                   if (!account) return account.error();
                   if (account.value().kind == store::AccountKind::runner) {
                       return Error{ErrorKind::failed_precondition,
                                    "this is a runner's account: delete the runner instead"};
                   }
                   if (auto allowed = not_self(call, account.value(), "delete"); !allowed) return allowed.error();
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       auto deleted = store::delete_service_account(database, account.value().id, call.now);
                       if (!deleted) return deleted.error();
                       auto audited = api::audit(database, call, "service_account.delete",
                                                 "service-account:" + call.org.name + "/" + account.value().name);
                       if (!audited) return audited.error();
                       return api::json_response(200, {{"deleted", account.value().name}});
                   });
               })));
}

// The key with `key_id` if it belongs to a live account of the caller's org.
Result<std::pair<store::ApiKeyRecord, store::ServiceAccount>> key_in_org(const store::Database& database,
                                                                          const Call& call, const std::string& key_id) {
    auto key = store::find_api_key(database, key_id);
    if (key) {
        auto account = store::find_service_account_by_id(database, key.value().service_account_id);
        if (account && account.value().org_id == call.org.id) return std::pair{key.value(), account.value()};
    }
    return Error{ErrorKind::not_found, "no API key '" + key_id + "'"};
}

void add_api_key_routes(Router& router, const store::Database& database, RunnerTunnels& tunnels) {
    router.add("POST", "/v1/api-keys",
               api::holding_secrets(api::guarded(database, auth::Role::admin, [&database](const Call& call) -> Result<HttpResponse> {
                   auto body = api::json_body(call.request, {"service_account", "expires_in"});
                   if (!body) return body.error();
                   auto name = api::string_field(body.value(), "service_account");
                   if (!name) return name.error();
                   auto account = store::find_service_account(database, call.org.id, name.value());
                   if (!account) return account.error();
                   std::optional<std::int64_t> expires_at;
                   if (body.value().contains("expires_in")) {
                       auto text = api::string_field(body.value(), "expires_in");
                       if (!text) return text.error();
                       auto lifetime = parse_duration(text.value());
                       if (!lifetime || lifetime->count() < 1000) {
                           return Error{ErrorKind::invalid_argument, "expires_in must be a duration of at least 1s, such as 90d"};
                       }
                       expires_at = call.now + lifetime->count() / 1000;
                   }
                   auth::NewApiKey key = auth::generate_api_key();
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       auto stored = store::insert_api_key(database, key.key_id, account.value().id, key.secret_hash,
                                                           call.now, expires_at);
                       if (!stored) return stored.error();
                       auto audited = api::audit(database, call, "api_key.create", "api-key:" + key.key_id,
                                                 {{"service_account", account.value().name}});
                       if (!audited) return audited.error();
                       nlohmann::json answer = key_json(stored.value(), account.value().name);
                       answer["api_key"] = std::string(key.token.reveal());  // the only time it is shown
                       HttpResponse response = api::json_response(201, answer);
                       answer["api_key"] = nullptr;
                       return response;
                   });
               })));

    router.add("GET", "/v1/api-keys",
               api::guarded(database, auth::Role::viewer, [&database](const Call& call) -> Result<HttpResponse> {
                   auto accounts = store::list_service_accounts(database, call.org.id);
                   if (!accounts) return accounts.error();
                   nlohmann::json list = nlohmann::json::array();
                   for (const auto& account : accounts.value()) {
                       auto keys = store::list_api_keys(database, account.id);
                       if (!keys) return keys.error();
                       for (const auto& key : keys.value()) list.push_back(key_json(key, account.name));
                   }
                   return api::json_response(200, {{"api_keys", list}});
               }));

    router.add("DELETE", "/v1/api-keys/{key_id}",
               api::guarded(database, auth::Role::admin, api::revoking(tunnels, [&database](const Call& call) -> Result<HttpResponse> {
                   auto found = key_in_org(database, call, call.request.params.at("key_id"));
                   if (!found) return found.error();
                   return in_transaction(database, [&]() -> Result<HttpResponse> {
                       auto revoked = store::revoke_api_key(database, found.value().first.key_id, call.now);
                       if (!revoked) return revoked.error();
                       auto audited = api::audit(database, call, "api_key.revoke", "api-key:" + found.value().first.key_id);
                       if (!audited) return audited.error();
                       return api::json_response(200, {{"revoked", found.value().first.key_id}});
                   });
               })));
}

}  // namespace

void add_account_routes(Router& router, const store::Database& database, RunnerTunnels& tunnels) {
    add_service_account_routes(router, database, tunnels);
    add_api_key_routes(router, database, tunnels);
}

}  // namespace tether::server
