#include "tether/admin/config.h"

#include <cstdlib>

namespace tether::admin {

std::vector<config::Spec> admin_specs() {
    std::vector<config::Spec> specs = {
        {"server", config::Kind::url, "http://127.0.0.1:8443", "URL of the server's API"},
        {"output", config::Kind::choice, "table", "table for people, json for scripts", {"table", "json"}, false, 'o'},
        {"timeout", config::Kind::duration, "10s", "how long to wait for the server"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

AdminConfig admin_config(const config::Settings& settings) {
    return {parse_url(settings.text("server")).value(),
            settings.text("output") == "json" ? Output::json : Output::table, settings.duration("timeout")};
}

std::optional<std::filesystem::path> default_admin_config_path() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
        return std::filesystem::path(xdg) / "tether" / "admin.toml";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
        return std::filesystem::path(home) / ".config" / "tether" / "admin.toml";
    }
    return std::nullopt;
}

}  // namespace tether::admin
