#include "tether/server/config.h"

namespace tether::server {

std::vector<config::Spec> server_specs() {
    std::vector<config::Spec> specs = {
        {"data_dir", config::Kind::path, "/var/lib/tether", "directory of the server's database and keys"},
        {"api.listen", config::Kind::address, "127.0.0.1:8443", "host:port of the HTTP API (port 0: any free port)"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

ServerConfig server_config(const config::Settings& settings) {
    return {settings.text("data_dir"), parse_host_port(settings.text("api.listen")).value()};
}

}  // namespace tether::server
