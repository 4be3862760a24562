#pragma once

#include <filesystem>
#include <vector>

#include "tether/core/settings.h"

namespace tether::runner {

struct RunnerConfig {
    std::filesystem::path credentials;  // the credentials file from `tether admin runner generate-credentials`
};

std::vector<config::Spec> runner_specs();

// Throws Fatal (config) when no credentials file is named.
RunnerConfig runner_config(const config::Settings& settings);

}  // namespace tether::runner
