#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tether/core/settings.h"
#include "tether/providers/provider.h"
#include "tether/runner/policy.h"

namespace tether::runner {

struct AuditConfig {
    std::filesystem::path path;  // audit.path, or audit.jsonl beside the credentials file
    std::uint64_t max_bytes = 0;
    std::size_t keep_files = 0;
};

// The credentials file's content, for platforms that hand secrets to a
// container only as environment variables (ECS, Cloud Run, Container Apps).
inline constexpr const char* credentials_variable = "TETHER_CREDENTIALS_JSON";

struct RunnerConfig {
    // The credentials file from `tether admin runner generate-credentials`;
    // empty when TETHER_CREDENTIALS_JSON holds its content instead.
    std::filesystem::path credentials;
    Policy policy;
    AuditConfig audit;
    std::string tunnel_endpoint;  // empty: the credentials file's
    std::string api_endpoint;     // empty: the credentials file's
    std::size_t max_in_flight = 64;
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    std::chrono::milliseconds liveness_timeout{30'000};
    std::chrono::milliseconds drain_timeout{30'000};
    std::chrono::milliseconds connect_timeout{15'000};
    std::chrono::milliseconds reconnect_initial{500};
    std::chrono::milliseconds reconnect_max{60'000};
    std::optional<std::chrono::milliseconds> value_cache_ttl;  // none: every operation fetches afresh
    std::chrono::milliseconds value_timeout{10'000};            // one request to the API for values
    providers::BuiltinOptions providers;  // the exec provider's program

    bool credentials_in_environment() const { return credentials.empty(); }
};

std::vector<config::Spec> runner_specs();

// Throws Fatal (config) when no credentials file is named (or both a file
// and TETHER_CREDENTIALS_JSON are), or a policy endpoint or an audit limit
// is invalid. `env` is asked only whether TETHER_CREDENTIALS_JSON is set.
RunnerConfig runner_config(const config::Settings& settings,
                           const config::Environment& env = config::process_environment());

}  // namespace tether::runner
