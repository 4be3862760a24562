// tether admin runner …
#include <CLI/CLI.hpp>
#include <iostream>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/output.h"
#include "tether/core/error.h"
#include "tether/crypto/base64.h"
#include "tether/crypto/secret_file.h"

namespace tether::admin {
namespace {

struct RunnerArgs {
    std::string name;
    std::string output_dir;
    std::string output_format = "json";
    bool force = false;
};

// A Kubernetes Secret holding the file under the key credentials.json.
std::string kubernetes_secret(const std::string& runner, std::string_view credentials) {
    std::string encoded = crypto::base64_encode(credentials);
    std::string manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tether-runner-" + runner +
                           "\n  labels:\n    app.kubernetes.io/name: tether-runner\ntype: Opaque\ndata:\n"
                           "  credentials.json: " + encoded + "\n";
    wipe(encoded);
    return manifest;
}

struct ConnectionState {
    std::string state;
    std::string version;
    std::string address;
};

// "connected since …" (with the pool size when several replicas are up) or
// "offline", from the runner's live tunnels.
ConnectionState connection_state(const nlohmann::json& runner) {
    const nlohmann::json tunnels = runner.value("tunnels", nlohmann::json::array());
    if (tunnels.empty()) return {"offline", "-", "-"};
    const nlohmann::json& first = tunnels.front();
    std::string state = "connected since " + cell_text("connected_at_ms", first.value("connected_at_ms", nlohmann::json()));
    if (tunnels.size() > 1) state += " (" + std::to_string(tunnels.size()) + " tunnels)";
    return {state, first.value("version", "-"), first.value("address", "-")};
}

std::filesystem::path output_path(const RunnerArgs& args) {
    bool k8s = args.output_format == "k8s-secret";
    return std::filesystem::path(args.output_dir) / (k8s ? "credentials-secret.yaml" : "credentials.json");
}

int write_credentials(const AdminConfig& config, const RunnerArgs& args, bool regenerate) {
    // Refuse before the server mints anything (writing checks again, atomically).
    if (!args.output_dir.empty() && !args.force && std::filesystem::exists(output_path(args))) {
        fail(ExitCode::usage, output_path(args).string() + " already exists; pass --force to replace it");
    }
    nlohmann::json body = {{"revoke_others", regenerate}};
    nlohmann::json file = call_or_fail(config, "POST", "/v1/runners/" + args.name + "/credentials", &body);
    std::string text = file.dump(2) + "\n";
    for (const char* field : {"private_key", "api_key"}) {
        if (file.contains(field) && file[field].is_string()) wipe(file[field].get_ref<std::string&>());
    }
    bool k8s = args.output_format == "k8s-secret";
    std::string output = k8s ? kubernetes_secret(args.name, text) : text;
    wipe(text);
    if (args.output_dir.empty()) {
        std::cout << output;
        wipe(output);
        return 0;
    }
    std::filesystem::path path = output_path(args);
    auto written = crypto::write_private_file(path, output, args.force);
    wipe(output);
    if (!written) {
        if (written.error().kind == ErrorKind::already_exists) {
            fail(ExitCode::usage, path.string() + " already exists; pass --force to replace it");
        }
        fail(ExitCode::unavailable, written.error().message);
    }
    std::cerr << (regenerate ? "Regenerated" : "Generated") << " credentials for runner " << args.name << ": "
              << path.string() << " (mode 0600)" << (regenerate ? "; every earlier credential is revoked" : "") << "\n";
    return 0;
}

}  // namespace

void add_runner_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };
    CLI::App* runners = admin.add_subcommand("runner", "Runners and their credentials files");
    runners->require_subcommand(1);
    auto args = std::make_shared<RunnerArgs>();

    CLI::App* create = runners->add_subcommand("create", "Register a runner (and its service account)");
    create->add_option("name", args->name, "its name ([a-z0-9-])")->required();
    on(create, [args](const AdminConfig& config) {
        nlohmann::json body = {{"name", args->name}};
        nlohmann::json runner = call_or_fail(config, "POST", "/v1/runners", &body);
        if (config.output == Output::json) {
            std::cout << runner.dump(2) << "\n";
        } else {
            std::cout << format_pairs({{"name", runner.value("name", "")}, {"runner_id", runner.value("runner_id", "")}});
        }
        return 0;
    });

    on(runners->add_subcommand("list", "List the org's runners with their connection state"),
       [](const AdminConfig& config) {
           nlohmann::json answer = call_or_fail(config, "GET", "/v1/runners");
           if (config.output == Output::json) {
               std::cout << answer.dump(2) << "\n";
               return 0;
           }
           std::vector<std::vector<std::string>> rows;
           for (const auto& runner : answer["runners"]) {
               auto [state, version, address] = connection_state(runner);
               rows.push_back({runner.value("name", ""), state, version, address,
                               cell_text("last_seen_at", runner.value("last_seen_at", nlohmann::json()))});
           }
           std::cout << format_table({"name", "state", "version", "address", "last seen"}, rows);
           return 0;
       });

    CLI::App* show = runners->add_subcommand("show", "Show a runner, its certificates and keys");
    show->add_option("name", args->name, "the runner")->required();
    on(show, [args](const AdminConfig& config) {
        nlohmann::json runner = call_or_fail(config, "GET", "/v1/runners/" + args->name);
        if (config.output == Output::json) {
            std::cout << runner.dump(2) << "\n";
            return 0;
        }
        auto [state, version, address] = connection_state(runner);
        std::cout << format_pairs({{"name", runner.value("name", "")},
                                   {"runner_id", runner.value("runner_id", "")},
                                   {"org", runner.value("org", "")},
                                   {"state", state},
                                   {"version", version},
                                   {"address", address},
                                   {"last seen", cell_text("last_seen_at", runner.value("last_seen_at", nlohmann::json()))}});
        std::vector<std::vector<std::string>> rows;
        for (const auto& c : runner["certificates"]) {
            rows.push_back({c.value("serial", ""), c.value("fingerprint_sha256", "").substr(0, 16),
                            cell_text("created_at", c["created_at"]), cell_text("expires_at", c["not_after"]),
                            cell_text("revoked_at", c["revoked_at"])});
        }
        std::cout << "\ncertificates:\n" << format_table({"serial", "fingerprint", "created", "expires", "revoked"}, rows);
        return 0;
    });

    CLI::App* remove = runners->add_subcommand("delete", "Delete a runner; its certificates and keys are revoked");
    remove->add_option("name", args->name, "the runner")->required();
    on(remove, [args](const AdminConfig& config) {
        call_or_fail(config, "DELETE", "/v1/runners/" + args->name);
        std::cout << "deleted runner " << args->name << "\n";
        return 0;
    });

    for (bool regenerate : {false, true}) {
        CLI::App* generate = runners->add_subcommand(
            regenerate ? "regenerate-credentials" : "generate-credentials",
            regenerate ? "New credentials file; every earlier certificate and key of the runner is revoked"
                       : "New credentials file; earlier ones stay valid");
        generate->add_option("name", args->name, "the runner")->required();
        generate->add_option("--output-dir", args->output_dir, "write DIR/credentials.json (0600) instead of stdout");
        generate->add_option("--output-format", args->output_format, "json or k8s-secret")
            ->check(CLI::IsMember({"json", "k8s-secret"}))
            ->capture_default_str();
        generate->add_flag("--force", args->force, "replace an existing file");
        on(generate, [args, regenerate](const AdminConfig& config) { return write_credentials(config, *args, regenerate); });
    }
}

}  // namespace tether::admin
