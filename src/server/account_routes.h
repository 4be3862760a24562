#pragma once

#include "tether/server/router.h"
#include "tether/server/runner_tunnels.h"
#include "tether/store/database.h"

namespace tether::server {

// /v1/service-accounts and /v1/api-keys.
void add_account_routes(Router& router, const store::Database& database, RunnerTunnels& tunnels);

}  // namespace tether::server
