// tether admin runner …
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/output.h"
#include "tether/auth/api_key.h"
#include "tether/core/error.h"
#include "tether/crypto/base64.h"
#include "tether/crypto/secret_file.h"
#include "tether/pki/certificate.h"

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

// Refuses, before the server mints anything, a destination that cannot
// take the file: missing, not a directory, not writable, or holding the
// file already without --force. Writing checks again, atomically.
void check_destination(const RunnerArgs& args) {
    const std::filesystem::path dir = args.output_dir;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        fail(ExitCode::cannot_create, "--output-dir " + dir.string() +
                                          (std::filesystem::exists(dir, ec) ? " is not a directory" : " does not exist"));
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        fail(ExitCode::cannot_create, "cannot write into --output-dir " + dir.string() + ": " + std::strerror(errno));
    }
    if (!args.force && std::filesystem::exists(output_path(args), ec)) {
        fail(ExitCode::usage, output_path(args).string() + " already exists; pass --force to replace it");
    }
}

// The credentials just minted were not written: revoke them, so that no
// live key exists that nobody holds, and say what happened either way.
[[noreturn]] void revoke_unwritten(const AdminConfig& config, const RunnerArgs& args, const nlohmann::json& file,
                                   const Error& write_error) {
    std::string key_id;
    if (auto key = auth::parse_api_key(file.value("api_key", "")); key) key_id = key.value().key_id;
    auto certificate = pki::Certificate::from_pem(file.value("certificate", ""));
    std::string what = "cannot write the credentials file: " + write_error.message;
    if (key_id.empty() || !certificate) {
        fail(ExitCode::cannot_create, what + "; the server's answer did not name them, so they could not be revoked: " +
                                          "run `tether admin runner regenerate-credentials " + args.name + "`");
    }
    nlohmann::json body = {{"key_id", key_id}, {"certificate_fingerprint", certificate.value().fingerprint_sha256()}};
    auto revoked = call_api(config, "POST",
                            api_path({"runners", args.name, "credentials", "revoke"}).query("org", config.org), &body);
    if (!revoked) {
        fail(ExitCode::cannot_create, what + "; revoking what the server minted (API key " + key_id +
                                          ") failed too: " + revoked.error().message +
                                          "; run `tether admin runner regenerate-credentials " + args.name + "`");
    }
    fail(ExitCode::cannot_create, what + "; the credentials minted for it (API key " + key_id + ") are revoked");
}

int write_credentials(const AdminConfig& config, const RunnerArgs& args, bool regenerate) {
    if (!args.output_dir.empty()) check_destination(args);
    nlohmann::json body = {{"revoke_others", regenerate}};
    nlohmann::json file = call_or_fail(config, "POST", api_path({"runners", args.name, "credentials"}), &body);
    auto wipe_field = [&file](const char* field) {
        if (file.contains(field) && file[field].is_string()) wipe(file[field].get_ref<std::string&>());
    };
    std::string text = file.dump(2) + "\n";
    // The API key stays until the file is written: it names what to revoke if it is not.
    wipe_field("private_key");
    bool k8s = args.output_format == "k8s-secret";
    std::string output = k8s ? kubernetes_secret(args.name, text) : text;
    wipe(text);
    if (args.output_dir.empty()) {
        std::cout << output;
        wipe(output);
        wipe_field("api_key");
        return 0;
    }
    std::filesystem::path path = output_path(args);
    auto written = crypto::write_private_file(path, output, args.force);
    wipe(output);
    if (!written) revoke_unwritten(config, args, file, written.error());
    wipe_field("api_key");
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
        nlohmann::json runner = call_or_fail(config, "POST", api_path({"runners"}), &body);
        if (config.output == Output::json) {
            std::cout << runner.dump(2) << "\n";
        } else {
            std::cout << format_pairs({{"name", runner.value("name", "")}, {"runner_id", runner.value("runner_id", "")}});
        }
        return 0;
    });

    on(runners->add_subcommand("list", "List the org's runners with their connection state"),
       [](const AdminConfig& config) {
           nlohmann::json answer = call_or_fail(config, "GET", api_path({"runners"}));
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
        nlohmann::json runner = call_or_fail(config, "GET", api_path({"runners", args->name}));
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
        call_or_fail(config, "DELETE", api_path({"runners", args->name}));
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
