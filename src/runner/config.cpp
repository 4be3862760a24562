#include "tether/runner/config.h"

#include "tether/core/error.h"

namespace tether::runner {

std::vector<config::Spec> runner_specs() {
    std::vector<config::Spec> specs = {
        {"credentials", config::Kind::path, "", "credentials file of this runner (JSON, mode 0600)"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

RunnerConfig runner_config(const config::Settings& settings) {
    if (!settings.has("credentials")) {
        fail(ExitCode::config,
             "no credentials file: pass --credentials FILE, set TETHER_CREDENTIALS or put credentials = \"FILE\" in "
             "the runner config");
    }
    return {settings.text("credentials")};
}

}  // namespace tether::runner
