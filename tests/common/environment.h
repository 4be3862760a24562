#pragma once

// A process environment made of a map, for code that takes a
// config::Environment instead of reading getenv.
#include <map>
#include <string>

#include "tether/core/settings.h"

namespace tether::testing {

inline config::Environment environment_of(std::map<std::string, std::string> variables) {
    return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
        auto found = variables.find(name);
        if (found == variables.end()) return std::nullopt;
        return found->second;
    };
}

}  // namespace tether::testing
