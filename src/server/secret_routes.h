#pragma once

#include "tether/server/api_routes.h"

namespace tether::server {

// /v1/secrets and /v1/variables: an org's named, versioned values. People
// and bots set, list and retire them; a secret's value is never in any
// answer to them.
void add_secret_routes(Router& router, const ApiContext& context);

// POST /v1/resolve: a runner reads the values its operation references, as
// its own service account, within its org and while that operation runs
// on it.
void add_resolve_route(Router& router, const ApiContext& context);

}  // namespace tether::server
