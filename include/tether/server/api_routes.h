#pragma once

#include <chrono>
#include <string>

#include "tether/core/secret.h"
#include "tether/pki/authority.h"
#include "tether/server/router.h"
#include "tether/server/runner_tunnels.h"
#include "tether/store/database.h"

namespace tether::server {

// What the /v1 routes work with, loaded once at start.
struct ApiContext {
    const store::Database& database;
    RunnerTunnels& tunnels;  // told about new operations and revoked access
    const pki::CertificateAuthority& ca;  // signs runner certificates
    std::string trust_domain;
    std::string system_org;       // its admins administer the server

    std::string api_endpoint;     // written into credentials files
    std::string tunnel_endpoint;  // likewise
    std::chrono::seconds runner_certificate_lifetime;
    const Secret& master_key;  // seals inline connection credentials
};

// The /v1 routes, each behind authentication and a role.
void add_api_routes(Router& router, const ApiContext& context);

}  // namespace tether::server
