#pragma once

#include "tether/server/api_routes.h"

namespace tether::server {

// /v1/operations: submit, read, list and cancel operations run by runners.
void add_operation_routes(Router& router, const ApiContext& context);

}  // namespace tether::server
