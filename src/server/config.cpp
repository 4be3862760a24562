#include "tether/server/config.h"

#include "tether/core/error.h"

namespace tether::server {

std::vector<config::Spec> server_specs() {
    using config::Kind;
    std::vector<config::Spec> specs = {
        {"data_dir", Kind::path, "/var/lib/tether", "the data dir made by tether server init"},
        {"api.listen", Kind::address, "127.0.0.1:8443", "host:port of the HTTPS API (port 0: any free port)"},
        {"tunnel.listen", Kind::address, "0.0.0.0:7443",
         "host:port where runners' tunnels arrive (mutual TLS; port 0: any free port)"},
        {"tunnel.max_message_size", Kind::integer, "16777216", "largest tunnel message in bytes, either direction"},
        {"tunnel.max_result_size", Kind::integer, "268435456",
         "largest result in bytes a runner may stream back in chunks"},
        {"tunnel.liveness_timeout", Kind::duration, "30s",
         "a runner silent this long is gone (a WebSocket ping goes out halfway)"},
        {"tunnel.max_in_flight", Kind::integer, "256",
         "operations in flight per tunnel at most; past it a new one fails with busy"},
        {"public_api_url", Kind::url, "", "API URL written into credentials files (default: https://HOSTNAME:API-PORT)"},
        {"public_tunnel_address", Kind::address, "",
         "tunnel host:port written into credentials files (default: HOSTNAME and the port of tunnel.listen, 7443 when that is 0)"},
        {"runner_certificate_lifetime", Kind::duration, "365d", "validity of runner certificates"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

namespace {

std::size_t positive(const config::Settings& settings, std::string_view key) {
    std::int64_t value = settings.integer(key);
    if (value < 1) fail(ExitCode::config, std::string(key) + " must be at least 1");
    return static_cast<std::size_t>(value);
}

}  // namespace

ServerConfig server_config(const config::Settings& settings) {
    ServerConfig config;
    config.data_dir = settings.text("data_dir");
    config.api_listen = parse_host_port(settings.text("api.listen")).value();
    config.tunnel_listen = parse_host_port(settings.text("tunnel.listen")).value();
    // Senders batch small messages into frames of up to 64 KiB.
    config.max_message_bytes = positive(settings, "tunnel.max_message_size");
    if (config.max_message_bytes < 65536) fail(ExitCode::config, "tunnel.max_message_size must be at least 65536");
    config.max_in_flight = positive(settings, "tunnel.max_in_flight");
    config.max_result_bytes = positive(settings, "tunnel.max_result_size");
    config.liveness_timeout = settings.duration("tunnel.liveness_timeout");
    if (config.liveness_timeout.count() < 1000) fail(ExitCode::config, "tunnel.liveness_timeout must be at least 1s");
    if (settings.has("public_api_url")) config.public_api_url = settings.text("public_api_url");
    if (settings.has("public_tunnel_address")) config.public_tunnel_address = settings.text("public_tunnel_address");
    config.runner_certificate_lifetime =
        std::chrono::duration_cast<std::chrono::seconds>(settings.duration("runner_certificate_lifetime"));
    if (config.runner_certificate_lifetime < std::chrono::minutes(1)) {
        fail(ExitCode::config, "runner_certificate_lifetime must be at least 1m: runners renew their credentials by hand");
    }
    return config;
}

}  // namespace tether::server
