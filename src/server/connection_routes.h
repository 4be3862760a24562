#pragma once

#include "tether/server/api_routes.h"

namespace tether::server {

// /v1/connections: create, list, show, delete. Admin role only: a
// connection decides where an org's operations act and with what.
void add_connection_routes(Router& router, const ApiContext& context);

}  // namespace tether::server
