#pragma once

#include "tether/server/router.h"
#include "tether/store/database.h"

namespace tether::server {

// GET /v1/audit (the caller's org's rows) and GET /v1/audit/verify (the
// whole chain). Admin role.
void add_audit_routes(Router& router, const store::Database& database);

}  // namespace tether::server
