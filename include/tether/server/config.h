#pragma once

#include <filesystem>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/settings.h"

namespace tether::server {

struct ServerConfig {
    std::filesystem::path data_dir;  // database and, later, CA and master key
    HostPort api_listen;
};

// Every setting `tether server` reads, with defaults and help.
std::vector<config::Spec> server_specs();

// The typed configuration from validated settings.
ServerConfig server_config(const config::Settings& settings);

}  // namespace tether::server
