#pragma once

// A profile made from config-file text, for tests of what reads profiles.
#include <doctest/doctest.h>

#include <string>

#include "tether/providers/aws/config_file.h"
#include "tether/providers/aws/shared_config.h"

namespace tether::testing {

// The [default] profile of `config`, read as a file named "config" (so
// messages say "config:<line>").
inline providers::aws::Profile default_profile_of(const std::string& config) {
    auto file = providers::aws::parse_ini(config, "config");
    REQUIRE_MESSAGE(file, (file ? "" : file.error().message));
    auto profile = providers::aws::merge_shared_config(file.value(), {}).profile("default");
    REQUIRE(profile);
    return std::move(profile).value();
}

}  // namespace tether::testing
