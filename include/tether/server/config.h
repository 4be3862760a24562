#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/settings.h"

namespace tether::server {

struct ServerConfig {
    std::filesystem::path data_dir;  // initialised by `tether server init`
    HostPort api_listen;
    // What credentials files tell runners; empty: from the init host name
    // and the listen ports.
    std::string public_api_url;
    std::string public_tunnel_address;
    std::chrono::seconds runner_certificate_lifetime{365 * 24 * 3600};
};

// Every setting `tether server` reads, with defaults and help.
std::vector<config::Spec> server_specs();

// The typed configuration from validated settings.
ServerConfig server_config(const config::Settings& settings);

}  // namespace tether::server
