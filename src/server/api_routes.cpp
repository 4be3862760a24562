#include "tether/server/api_routes.h"

#include "account_routes.h"
#include "api_support.h"
#include "audit_routes.h"
#include "connection_routes.h"
#include "operation_routes.h"
#include "org_routes.h"
#include "runner_routes.h"
#include "secret_routes.h"

namespace tether::server {

void add_api_routes(Router& router, const ApiContext& context) {
    const store::Database& database = context.database;
    router.add("GET", "/v1/whoami", api::guarded(database, auth::Role::viewer, [](const api::Call& call) -> Result<HttpResponse> {
                   const store::ServiceAccount& account = call.principal.account;
                   return api::json_response(200, {{"service_account", account.name},
                                                   {"org", account.org},
                                                   {"kind", store::to_string(account.kind)},
                                                   {"role", auth::to_string(account.role)},
                                                   {"key_id", call.principal.key_id}});
               }));
    add_account_routes(router, database, context.tunnels);
    add_audit_routes(router, database);
    add_runner_routes(router, context);
    add_org_routes(router, context);
    add_operation_routes(router, context);
    add_connection_routes(router, context);
    add_secret_routes(router, context);
}

}  // namespace tether::server
