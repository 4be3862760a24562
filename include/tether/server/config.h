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
    HostPort tunnel_listen;
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    std::size_t max_in_flight = 256;
    std::size_t max_result_bytes = 256 * 1024 * 1024;
    std::chrono::milliseconds liveness_timeout{30'000};
    // What credentials files tell runners; empty: from the init host name
    // and the listen ports.
    std::string public_api_url;
    std::string public_tunnel_address;
    std::chrono::seconds runner_certificate_lifetime{365 * 24 * 3600};

    // The ports others are told about: the listen ports, or the defaults
    // when those are 0 (a test's free port is no one's to advertise).
    std::uint16_t advertised_api_port() const { return api_listen.port != 0 ? api_listen.port : 8443; }
    std::uint16_t advertised_tunnel_port() const { return tunnel_listen.port != 0 ? tunnel_listen.port : 7443; }
};

// Every setting `tether server` reads, with defaults and help.
std::vector<config::Spec> server_specs();

// The typed configuration from validated settings.
ServerConfig server_config(const config::Settings& settings);

}  // namespace tether::server
