#include "tether/server/cli.h"

#include "tether/cli/settings_options.h"
#include "tether/server/config.h"
#include "tether/server/server.h"

namespace tether::server {

void add_command(CLI::App& root, cli::Action& action) {
    CLI::App* command = root.add_subcommand(
        "server", "Run the control plane: identities, store, the HTTP API (and, to come, the tunnel listener)");
    cli::on_settings(*command, action, server_specs(), "TETHER_SERVER_CONFIG",
                     [](const config::Settings& settings) { return run(server_config(settings)); });
}

}  // namespace tether::server
