#include "org_routes.h"

#include "api_support.h"
#include "tether/auth/api_key.h"
#include "tether/store/server_settings.h"

namespace tether::server {
namespace {

using api::Call;

bool is_server_admin(const ApiContext& context, const Call& call) {
    return call.principal.account.role == auth::Role::admin && call.org.name == context.system_org;
}

nlohmann::json org_json(const store::Org& org) { return {{"name", org.name}, {"created_at", org.created_at}}; }

}  // namespace

void add_org_routes(Router& router, const ApiContext& context) {
    const store::Database& database = context.database;

    router.add("GET", "/v1/orgs",
               api::guarded(database, auth::Role::viewer, [&context](const Call& call) -> Result<HttpResponse> {
                   nlohmann::json list = nlohmann::json::array();
                   if (!is_server_admin(context, call)) {
                       list.push_back(org_json(call.org));
                       return api::json_response(200, {{"orgs", list}});
                   }
                   auto orgs = store::list_orgs(context.database);
                   if (!orgs) return orgs.error();
                   for (const auto& org : orgs.value()) list.push_back(org_json(org));
                   return api::json_response(200, {{"orgs", list}});
               }));

    // A new org comes with its first admin service account and key, shown
    // once, as `server init` does for the first org.
    router.add("POST", "/v1/orgs",
               api::holding_secrets(api::guarded(database, auth::Role::admin, [&context](const Call& call) -> Result<HttpResponse> {
                   if (!is_server_admin(context, call)) {
                       return Error{ErrorKind::permission_denied,
                                    "only admins of org '" + context.system_org + "' create orgs"};
                   }
                   const store::Database& database = context.database;
                   auto body = api::json_body(call.request, {"name"});
                   if (!body) return body.error();
                   auto name = api::string_field(body.value(), "name");
                   if (!name) return name.error();
                   if (auto valid = api::check_name("org", name.value()); !valid) return valid.error();
                   auth::NewApiKey key = auth::generate_api_key();
                   return api::in_transaction(database, [&]() -> Result<HttpResponse> {
                       auto created =
                           store::create_org_with_admin(database, name.value(), key.key_id, key.secret_hash, call.now);
                       if (!created) return created.error();
                       auto audited = api::audit(database, call, "org.create", "org:" + name.value(),
                                                 {{"admin_key_id", key.key_id}});
                       if (!audited) return audited.error();
                       nlohmann::json answer = org_json(created.value().org);
                       answer["admin_service_account"] = created.value().admin.name;
                       answer["api_key"] = std::string(key.token.reveal());  // the only time it is shown
                       return api::json_response(201, answer);
                   });
               })));
}

}  // namespace tether::server
