#include "tether/admin/cli.h"

#include "tether/admin/account_commands.h"
#include "tether/admin/commands.h"
#include "tether/admin/config.h"
#include "tether/cli/settings_options.h"
#include "tether/core/error.h"

namespace tether::admin {
namespace {

using Command = AdminCommand;

void add(CLI::App& admin, const std::shared_ptr<Command>& chosen, const std::string& name,
         const std::string& help, Command command) {
    admin.add_subcommand(name, help)->callback([chosen, command = std::move(command)] { *chosen = command; });
}

}  // namespace

void add_command(CLI::App& root, cli::Action& action) {
    CLI::App* admin = root.add_subcommand("admin", "Manage the server from a terminal, over its API");
    // Global admin options may follow the command too: `admin status -o json`.
    admin->fallthrough();
    admin->require_subcommand(0, 1);

    auto chosen = std::make_shared<Command>();
    cli::on_settings(
        *admin, action, admin_specs(), "TETHER_ADMIN_CONFIG",
        [chosen](const config::Settings& settings) {
            if (!*chosen) fail(ExitCode::usage, "tether admin needs a command; see 'tether admin --help'");
            return (*chosen)(admin_config(settings));
        },
        default_admin_config_path());

    add(*admin, chosen, "status", "Show whether the server is up and ready", show_status);
    add(*admin, chosen, "whoami", "Show the service account, org and role of the API key in use", whoami);
    add_account_commands(*admin, chosen);
    add_runner_commands(*admin, chosen);
    add_connection_commands(*admin, chosen);
    add_value_commands(*admin, chosen);
    add_aws_commands(*admin, chosen);
    add_kubectl_commands(*admin, chosen);
    add_operation_commands(*admin, chosen);
}

}  // namespace tether::admin
