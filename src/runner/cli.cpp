#include "tether/runner/cli.h"

#include "tether/cli/settings_options.h"
#include "tether/runner/config.h"
#include "tether/runner/runner.h"

namespace tether::runner {

void add_command(CLI::App& root, cli::Action& action) {
    CLI::App* command = root.add_subcommand(
        "runner", "Run the agent inside the customer's infrastructure; it dials out to the server and opens no port");
    cli::on_settings(*command, action, runner_specs(), "TETHER_RUNNER_CONFIG",
                     [](const config::Settings& settings) { return run(runner_config(settings)); });
}

}  // namespace tether::runner
