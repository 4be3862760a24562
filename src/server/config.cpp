#include "tether/server/config.h"

namespace tether::server {

std::vector<config::Spec> server_specs() {
    using config::Kind;
    std::vector<config::Spec> specs = {
        {"data_dir", Kind::path, "/var/lib/tether", "the data dir made by tether server init"},
        {"api.listen", Kind::address, "127.0.0.1:8443", "host:port of the HTTPS API (port 0: any free port)"},
        {"public_api_url", Kind::url, "", "API URL written into credentials files (default: https://HOSTNAME:API-PORT)"},
        {"public_tunnel_address", Kind::address, "",
         "tunnel host:port written into credentials files (default: HOSTNAME:7443)"},
        {"runner_certificate_lifetime", Kind::duration, "365d", "validity of runner certificates"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

ServerConfig server_config(const config::Settings& settings) {
    ServerConfig config;
    config.data_dir = settings.text("data_dir");
    config.api_listen = parse_host_port(settings.text("api.listen")).value();
    if (settings.has("public_api_url")) config.public_api_url = settings.text("public_api_url");
    if (settings.has("public_tunnel_address")) config.public_tunnel_address = settings.text("public_tunnel_address");
    config.runner_certificate_lifetime =
        std::chrono::duration_cast<std::chrono::seconds>(settings.duration("runner_certificate_lifetime"));
    return config;
}

}  // namespace tether::server
