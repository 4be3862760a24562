#pragma once

#include <functional>

#include "tether/server/router.h"
#include "tether/store/database.h"

namespace tether::server {

// GET /healthz: the process answers (liveness).
// GET /readyz: the store answers and the server is not stopping (readiness).
void add_health_routes(Router& router, const store::Database& database, std::function<bool()> accepting);

}  // namespace tether::server
