#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/settings.h"

namespace tether::admin {

enum class Output { table, json };

// What every admin command needs: where the server is and how to answer.
struct AdminConfig {
    Url server;
    Output output = Output::table;
    std::chrono::milliseconds timeout{10'000};
};

std::vector<config::Spec> admin_specs();
AdminConfig admin_config(const config::Settings& settings);

// $XDG_CONFIG_HOME/tether/admin.toml or ~/.config/tether/admin.toml.
std::optional<std::filesystem::path> default_admin_config_path();

}  // namespace tether::admin
