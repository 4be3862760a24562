// tether admin connection …
#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/input.h"
#include "tether/admin/output.h"
#include "tether/core/error.h"
#include "tether/crypto/secret_file.h"

namespace tether::admin {
namespace {

constexpr std::size_t longest_credentials_file = 1 << 20;

struct ConnectionArgs {
    std::string name;
    std::string provider;
    std::string auth_mode;
    std::vector<std::string> settings;  // key=value or key=@FILE
    std::vector<std::string> unset;     // keys
    std::string credentials_file;       // "-": standard input
    bool drop_credentials = false;
};

nlohmann::json settings_json(const std::vector<std::string>& pairs) {
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& pair : pairs) {
        std::size_t equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) {
            fail(ExitCode::usage, "--set takes key=value or key=@FILE, not '" + pair.substr(0, 80) + "'");
        }
        std::string key = pair.substr(0, equals);
        if (settings.contains(key)) fail(ExitCode::usage, "--set " + key + " is given twice");
        std::string value = pair.substr(equals + 1);
        if (value.starts_with('@')) value = std::string(read_input(value.substr(1), 64 * 1024, "--set " + key).reveal());
        settings[key] = value;
    }
    return settings;
}

// The credentials file, never an argument: argv is visible to every user
// of the machine.
Secret read_credentials(const std::string& path) {
    Secret text = read_input(path, longest_credentials_file, "--credentials-file");
    if (path != "-") {
        if (auto mode = crypto::check_private_mode(path); !mode) std::cerr << "warning: " << mode.error().message << "\n";
    }
    return text;
}

std::vector<std::pair<std::string, std::string>> connection_rows(const nlohmann::json& connection) {
    std::vector<std::pair<std::string, std::string>> rows = {
        {"name", connection.value("name", "")},
        {"provider", connection.value("provider", "")},
        {"auth mode", connection.value("auth_mode", "")},
        {"inline credentials", connection.value("inline_credentials", "")},
    };
    const nlohmann::json settings = connection.value("settings", nlohmann::json::object());
    for (const auto& [key, value] : settings.items()) {
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        // A CA bundle is long: its first line says enough here.
        if (std::size_t newline = text.find('\n'); newline != std::string::npos) text = text.substr(0, newline) + " …";
        rows.emplace_back("setting " + key, text);
    }
    rows.emplace_back("created by", connection.value("created_by", ""));
    rows.emplace_back("created at", cell_text("created_at", connection.value("created_at", nlohmann::json())));
    return rows;
}

}  // namespace

void add_connection_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };
    CLI::App* connections = admin.add_subcommand("connection", "Connections: where operations act and with which credentials");
    connections->require_subcommand(1);
    auto args = std::make_shared<ConnectionArgs>();

    CLI::App* create = connections->add_subcommand("create", "Define a connection (admin role)");
    create->add_option("name", args->name, "its name ([a-z0-9-])")->required();
    create->add_option("--provider", args->provider, "aws, kubernetes or exec")->required();
    create->add_option("--auth-mode", args->auth_mode, "inline, runner-delegated or cross-account")->required();
    create->add_option("--set", args->settings,
                       "a setting, key=value or key=@FILE (aws: region, role_arn, external_id, session_name, duration, "
                       "profile, endpoint_url; kubernetes: server, certificate_authority, namespace, context)");
    create->add_option("--credentials-file", args->credentials_file,
                       "inline only: the credentials (aws: JSON with access_key_id, secret_access_key, session_token; "
                       "kubernetes: a kubeconfig); '-' reads standard input");
    on(create, [args](const AdminConfig& config) {
        nlohmann::json body = {{"name", args->name},
                               {"provider", args->provider},
                               {"auth_mode", args->auth_mode},
                               {"settings", settings_json(args->settings)}};
        if (!args->credentials_file.empty()) {
            Secret credentials = read_credentials(args->credentials_file);
            body["credentials"] = std::string(credentials.reveal());
        }
        nlohmann::json answer = call_or_fail(config, "POST", api_path({"connections"}), &body);
        if (body.contains("credentials")) wipe(body["credentials"].get_ref<std::string&>());
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else {
            std::cout << format_pairs(connection_rows(answer));
        }
        return 0;
    });

    CLI::App* update = connections->add_subcommand(
        "update", "Change a connection's settings, auth mode or inline credentials (admin role)");
    update->add_option("name", args->name, "the connection")->required();
    update->add_option("--set", args->settings, "a setting to add or change, key=value or key=@FILE");
    update->add_option("--unset", args->unset, "a setting to remove");
    update->add_option("--auth-mode", args->auth_mode, "a new auth mode");
    auto* replace = update->add_option("--credentials-file", args->credentials_file,
                                       "new inline credentials; '-' reads standard input");
    update->add_flag("--drop-credentials", args->drop_credentials, "remove the inline credentials")->excludes(replace);
    on(update, [args](const AdminConfig& config) {
        nlohmann::json settings = settings_json(args->settings);
        for (const auto& key : args->unset) {
            if (settings.contains(key)) fail(ExitCode::usage, "setting " + key + " is both --set and --unset");
            settings[key] = nullptr;
        }
        nlohmann::json body = nlohmann::json::object();
        if (!settings.empty()) body["settings"] = settings;
        if (!args->auth_mode.empty()) body["auth_mode"] = args->auth_mode;
        if (args->drop_credentials) body["credentials"] = nullptr;
        if (!args->credentials_file.empty()) {
            Secret credentials = read_credentials(args->credentials_file);
            body["credentials"] = std::string(credentials.reveal());
        }
        if (body.empty()) fail(ExitCode::usage, "nothing to change: give --set, --unset, --auth-mode or credentials");
        nlohmann::json answer = call_or_fail(config, "PATCH", api_path({"connections", args->name}), &body);
        if (body.contains("credentials") && body["credentials"].is_string()) {
            wipe(body["credentials"].get_ref<std::string&>());
        }
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else {
            std::cout << format_pairs(connection_rows(answer));
        }
        return 0;
    });

    on(connections->add_subcommand("list", "List the org's connections"), [](const AdminConfig& config) {
        nlohmann::json answer = call_or_fail(config, "GET", api_path({"connections"}));
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
            return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& connection : answer["connections"]) {
            rows.push_back({connection.value("name", ""), connection.value("provider", ""),
                            connection.value("auth_mode", ""), connection.value("inline_credentials", ""),
                            cell_text("created_at", connection.value("created_at", nlohmann::json()))});
        }
        std::cout << format_table({"name", "provider", "auth mode", "inline credentials", "created"}, rows);
        return 0;
    });

    CLI::App* show = connections->add_subcommand("show", "Show a connection (never its credentials)");
    show->add_option("name", args->name, "the connection")->required();
    on(show, [args](const AdminConfig& config) {
        nlohmann::json answer = call_or_fail(config, "GET", api_path({"connections", args->name}));
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else {
            std::cout << format_pairs(connection_rows(answer));
        }
        return 0;
    });

    CLI::App* remove = connections->add_subcommand("delete", "Delete a connection and its inline credentials");
    remove->add_option("name", args->name, "the connection")->required();
    on(remove, [args](const AdminConfig& config) {
        call_or_fail(config, "DELETE", api_path({"connections", args->name}));
        std::cout << "deleted connection " << args->name << "\n";
        return 0;
    });
}

}  // namespace tether::admin
