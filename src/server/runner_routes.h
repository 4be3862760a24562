#pragma once

#include "tether/server/api_routes.h"

namespace tether::server {

// /v1/runners: create, list, show, delete, and credentials files.
void add_runner_routes(Router& router, const ApiContext& context);

}  // namespace tether::server
