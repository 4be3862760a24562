#include "tether/server/cli.h"

#include "tether/cli/settings_options.h"
#include "tether/server/config.h"
#include "tether/server/init.h"
#include "tether/server/master_key.h"
#include "tether/server/server.h"

namespace tether::server {

void add_command(CLI::App& root, cli::Action& action) {
    CLI::App* command = root.add_subcommand(
        "server", "Run the control plane: the CA, the store, the HTTPS API and the tunnel listener runners dial");
    command->require_subcommand(0, 1);

    // `server init` shares the server's settings (--data-dir, --api-listen…),
    // which may also follow it on the command line.
    auto init_options = std::make_shared<InitOptions>();
    auto init_chosen = std::make_shared<bool>(false);
    CLI::App* init_command = command->add_subcommand(
        "init", "Create a new data dir: database, CA, server certificate, master key, first org and admin key");
    init_command->fallthrough();
    init_command->add_option("--hostname", init_options->hostname, "name runners and admins reach the server by")
        ->required();
    init_command->add_option("--trust-domain", init_options->trust_domain,
                             "trust domain of runner identities (default: the hostname)");
    init_command->add_option("--org", init_options->org, "name of the first org")->capture_default_str();
    init_command->callback([init_chosen] { *init_chosen = true; });

    auto rotate_chosen = std::make_shared<bool>(false);
    CLI::App* rotate_command = command->add_subcommand(
        "rotate-master-key",
        "With the server stopped: a new master key, every org key and inline credential rewrapped under it");
    rotate_command->fallthrough();
    rotate_command->callback([rotate_chosen] { *rotate_chosen = true; });

    cli::on_settings(*command, action, server_specs(), "TETHER_SERVER_CONFIG",
                     [init_options, init_chosen, rotate_chosen](const config::Settings& settings) {
                         ServerConfig config = server_config(settings);
                         if (*rotate_chosen) return rotate_master_key(config.data_dir);
                         if (!*init_chosen) return run(config);
                         InitOptions options = *init_options;
                         options.data_dir = config.data_dir;
                         options.api_port = config.advertised_api_port();
                         return init(options);
                     });
}

}  // namespace tether::server
