#pragma once

#include "tether/server/router.h"
#include "tether/store/database.h"

namespace tether::server {

// The /v1 routes, each behind authenticate().
void add_api_routes(Router& router, const store::Database& database);

}  // namespace tether::server
