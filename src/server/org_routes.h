#pragma once

#include "tether/server/api_routes.h"

namespace tether::server {

// /v1/orgs. Creating orgs is for admins of the first org (`server init
// --org`), the server's administrators; everyone else sees only their own.
void add_org_routes(Router& router, const ApiContext& context);

}  // namespace tether::server
