#include <doctest/doctest.h>

#include <map>

#include "tether/core/error.h"
#include "tether/runner/config.h"
#include "common/environment.h"

using namespace tether;
using tether::runner::runner_config;
using tether::runner::runner_specs;

using tether::testing::environment_of;

namespace {

std::string fatal_message(const config::Settings& settings) {
    try {
        (void)runner_config(settings);
    } catch (const Fatal& fatal) {
        CHECK(fatal.code() == ExitCode::config);
        return fatal.what();
    }
    FAIL("expected a Fatal");
    return "";
}

}  // namespace

TEST_CASE("a runner config with only credentials gets the default policy and an audit trail beside them") {
    config::Settings settings(runner_specs());
    settings.set_flag("credentials", "/etc/tether/credentials.json");
    auto config = runner_config(settings);
    CHECK(config.credentials == "/etc/tether/credentials.json");
    CHECK(config.policy.operations == runner::default_policy().operations);
    CHECK(config.policy.connections.empty());
    CHECK(config.policy.auth_modes.empty());
    CHECK(config.policy.providers.empty());
    CHECK(config.policy.endpoints.empty());
    CHECK(config.audit.path == "/etc/tether/audit.jsonl");
    CHECK(config.audit.max_bytes == 10 * 1024 * 1024);
    CHECK(config.audit.keep_files == 5);
}

TEST_CASE("the [policy] and [audit] tables and their environment variables fill the config") {
    config::Settings settings(runner_specs());
    settings.load_toml(R"(credentials = "creds.json"
[policy]
operations = ["system.*", "aws.call"]
connections = ["prod-*"]
auth_modes = ["runner-delegated", "cross-account"]
providers = ["aws"]
endpoints = ["*.amazonaws.com:443"]
[audit]
path = "/var/log/tether/audit.jsonl"
max_size = 65536
keep = 0
)",
                       "runner.toml");
    settings.load_environment(environment_of({{"TETHER_POLICY_PROVIDERS", "aws,kubernetes"}, {"TETHER_AUDIT_KEEP", "3"}}));
    auto config = runner_config(settings);
    CHECK(config.policy.operations == std::vector<std::string>{"system.*", "aws.call"});
    CHECK(config.policy.allows_connection("prod-eu"));
    CHECK(config.policy.auth_modes == std::vector<std::string>{"runner-delegated", "cross-account"});
    CHECK(config.policy.providers == std::vector<std::string>{"aws", "kubernetes"});
    CHECK(config.policy.allows_endpoint("sts.amazonaws.com", 443));
    CHECK(config.audit.path == "/var/log/tether/audit.jsonl");
    CHECK(config.audit.max_bytes == 65536);
    CHECK(config.audit.keep_files == 3);
}

TEST_CASE("a credentials file without a directory puts the audit trail in the working directory") {
    config::Settings settings(runner_specs());
    settings.set_flag("credentials", "credentials.json");
    CHECK(runner_config(settings).audit.path == "audit.jsonl");
}

TEST_CASE("an invalid endpoint pattern or audit limit is a config error naming where it came from") {
    config::Settings endpoints(runner_specs());
    endpoints.set_flag("credentials", "c.json");
    endpoints.load_environment(environment_of({{"TETHER_POLICY_ENDPOINTS", "sts.amazonaws.com,https://x.test"}}));
    CHECK(fatal_message(endpoints) ==
          "invalid policy.endpoints item 'https://x.test' (from TETHER_POLICY_ENDPOINTS): expected host or "
          "host:port, not a URL");

    config::Settings size(runner_specs());
    size.set_flag("credentials", "c.json");
    size.set_flag("audit.max_size", "10");
    CHECK(fatal_message(size) == "audit.max_size must be at least 4096 bytes (from --audit-max-size)");

    config::Settings keep(runner_specs());
    keep.set_flag("credentials", "c.json");
    keep.set_flag("audit.keep", "-1");
    CHECK(fatal_message(keep) == "audit.keep must be from 0 to 1000 (from --audit-keep)");

    config::Settings none(runner_specs());
    CHECK(fatal_message(none).rfind("no credentials file", 0) == 0);
}

TEST_CASE("credentials may come as content in TETHER_CREDENTIALS_JSON, then with an explicit audit path") {
    auto from_env = environment_of({{"TETHER_CREDENTIALS_JSON", "{}"}});

    config::Settings with_audit(runner_specs());
    with_audit.set_flag("audit.path", "/var/lib/tether-runner/audit.jsonl");
    auto config = runner_config(with_audit, from_env);
    CHECK(config.credentials_in_environment());
    CHECK(config.credentials.empty());
    CHECK(config.audit.path == "/var/lib/tether-runner/audit.jsonl");

    config::Settings without_audit(runner_specs());
    try {
        (void)runner_config(without_audit, from_env);
        FAIL("expected a Fatal");
    } catch (const Fatal& fatal) {
        CHECK(fatal.code() == ExitCode::config);
        CHECK(std::string(fatal.what()).find("set audit.path (TETHER_AUDIT_PATH)") != std::string::npos);
    }

    config::Settings both(runner_specs());
    both.set_flag("credentials", "c.json");
    try {
        (void)runner_config(both, from_env);
        FAIL("expected a Fatal");
    } catch (const Fatal& fatal) {
        CHECK(std::string(fatal.what()) ==
              "both a credentials file (from --credentials) and TETHER_CREDENTIALS_JSON are set: keep one");
    }
}
