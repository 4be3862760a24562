#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/secret.h"
#include "tether/core/settings.h"
#include "tether/pki/certificate.h"

namespace tether::admin {

enum class Output { table, json };

// What every admin command needs: where the server is, how to trust it,
// who we are, and how to answer.
struct AdminConfig {
    Url server;
    Output output = Output::table;
    std::chrono::milliseconds timeout{10'000};
    std::optional<pki::Certificate> ca;  // required for https
    std::string org;                     // the org commands act in; empty: the key's own
    std::optional<Secret> api_key;
};

std::vector<config::Spec> admin_specs();
// Reads the CA and the API key files it names; throws Fatal (config) when
// one cannot be read.
AdminConfig admin_config(const config::Settings& settings);

// $XDG_CONFIG_HOME/tether/admin.toml or ~/.config/tether/admin.toml.
std::optional<std::filesystem::path> default_admin_config_path();

}  // namespace tether::admin
