#include "tether/runner/config.h"

#include <optional>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::runner {
namespace {

constexpr std::int64_t min_audit_bytes = 4096;  // below this, "10" was surely meant as something else
constexpr std::int64_t max_audit_keep = 1000;

// Where a setting's value came from, for a message.
std::string origin(const config::Settings& settings, std::string_view key) {
    const config::Value* value = settings.find(key);
    return value == nullptr || value->where.empty() ? "default" : value->where;
}

Policy policy_from(const config::Settings& settings) {
    Policy policy;
    policy.operations = settings.list("policy.operations");
    policy.connections = settings.list("policy.connections");
    policy.auth_modes = settings.list("policy.auth_modes");
    policy.providers = settings.list("policy.providers");
    policy.endpoints = settings.list("policy.endpoints");
    policy.secrets = settings.list("policy.secrets");
    policy.variables = settings.list("policy.variables");
    policy.environment = settings.list("policy.environment");
    policy.files = settings.list("policy.files");
    for (const auto& directory : policy.files) {
        if (directory.empty() || directory[0] != '/' || directory.find("/../") != std::string::npos ||
            directory.find('*') != std::string::npos) {
            fail(ExitCode::config, "invalid policy.files item '" + directory + "' (from " +
                                       origin(settings, "policy.files") + "): it must be an absolute directory, no '*'");
        }
    }
    for (const auto& pattern : policy.endpoints) {
        if (auto problem = check_endpoint_pattern(pattern)) {
            fail(ExitCode::config, "invalid policy.endpoints item '" + pattern + "' (from " +
                                       origin(settings, "policy.endpoints") + "): " + *problem);
        }
    }
    return policy;
}

AuditConfig audit_from(const config::Settings& settings, const std::filesystem::path& credentials) {
    AuditConfig audit;
    if (settings.has("audit.path")) {
        audit.path = settings.text("audit.path");
    } else if (credentials.empty()) {
        fail(ExitCode::config, std::string("with ") + credentials_variable +
                                   " there is no credentials file to put the audit trail beside: set audit.path "
                                   "(TETHER_AUDIT_PATH) to a writable file");
    } else {
        audit.path = credentials.parent_path() / "audit.jsonl";
    }
    std::int64_t max_bytes = settings.integer("audit.max_size");
    if (max_bytes < min_audit_bytes) {
        fail(ExitCode::config, "audit.max_size must be at least " + std::to_string(min_audit_bytes) +
                                   " bytes (from " + origin(settings, "audit.max_size") + ")");
    }
    std::int64_t keep = settings.integer("audit.keep");
    if (keep < 0 || keep > max_audit_keep) {
        fail(ExitCode::config, "audit.keep must be from 0 to " + std::to_string(max_audit_keep) + " (from " +
                                   origin(settings, "audit.keep") + ")");
    }
    audit.max_bytes = static_cast<std::uint64_t>(max_bytes);
    audit.keep_files = static_cast<std::size_t>(keep);
    return audit;
}

// Whether the variable is set; its value, a secret here, is wiped at once.
bool is_set(const config::Environment& env, const char* name) {
    std::optional<std::string> value = env(name);
    if (!value) return false;
    wipe(*value);
    return true;
}

std::int64_t at_least(const config::Settings& settings, std::string_view key, std::int64_t least) {
    std::int64_t value = settings.integer(key);
    if (value < least) {
        fail(ExitCode::config, std::string(key) + " must be at least " + std::to_string(least) + " (from " +
                                   origin(settings, key) + ")");
    }
    return value;
}

}  // namespace

std::vector<config::Spec> runner_specs() {
    using config::Kind;
    std::vector<config::Spec> specs = {
        {"credentials", Kind::path, "",
         "credentials file of this runner (JSON, mode 0600); or its content in TETHER_CREDENTIALS_JSON"},
        {"tunnel_endpoint", Kind::address, "",
         "host:port of the server's tunnel listener, instead of the credentials file's (another name for the server)"},
        {"api_endpoint", Kind::url, "", "URL of the server's API, instead of the credentials file's"},
        {"max_in_flight", Kind::integer, "64", "requests this runner runs at once; past it a request is answered busy"},
        {"max_message_size", Kind::integer, "16777216", "largest tunnel message in bytes this runner reads"},
        {"liveness_timeout", Kind::duration, "30s",
         "the server silent this long is gone (a WebSocket ping goes out halfway)"},
        {"drain_timeout", Kind::duration, "30s",
         "on SIGTERM, how long requests in flight may finish before they are answered shutting_down"},
        {"connect_timeout", Kind::duration, "15s", "to connect, handshake and be welcomed by the server"},
        {"reconnect.initial", Kind::duration, "500ms", "first wait before dialling again after a network failure"},
        {"reconnect.max", Kind::duration, "60s", "longest wait between attempts (full jitter below it)"},
        {"policy.operations", Kind::list, "system.*",
         "operation types this runner accepts, as patterns in which * matches anything (system.*, aws.call)"},
        {"policy.connections", Kind::list, "", "connection names this runner accepts (patterns); empty accepts none"},
        {"policy.auth_modes", Kind::list, "",
         "auth modes this runner accepts (inline, runner-delegated, cross-account); empty accepts none"},
        {"policy.providers", Kind::list, "",
         "credential providers this runner may use (aws, kubernetes, exec); empty allows none"},
        {"policy.endpoints", Kind::list, "",
         "hosts this runner may send credentials to, as host or host:port patterns (*.amazonaws.com:443); empty "
         "allows none"},
        {"policy.secrets", Kind::list, "",
         "names of the org's secrets that ${secret:NAME} may resolve (patterns: db-*); empty resolves none"},
        {"policy.variables", Kind::list, "",
         "names of the org's variables that ${var:NAME} may resolve (patterns); empty resolves none"},
        {"policy.environment", Kind::list, "",
         "this runner's environment variables that ${env:NAME} may read (patterns: APP_*); empty reads none"},
        {"policy.files", Kind::list, "",
         "directories (absolute) whose files ${file:/path} may read; empty reads none"},
        {"values.cache_ttl", Kind::duration, "",
         "how long a resolved secret or variable is reused before it is fetched again (unset: fetched for every "
         "operation, so a rotation applies at once)"},
        {"values.timeout", Kind::duration, "10s",
         "how long one request to the server's API for values may take (retried within the operation's deadline)"},
        {"exec.command", Kind::path, "",
         "the exec provider's program (absolute path): it reads a connection's settings as JSON on stdin and "
         "prints credentials as JSON; none: no exec provider"},
        {"exec.args", Kind::list, "", "arguments for exec.command"},
        {"exec.timeout", Kind::duration, "30s", "how long exec.command may run before it is killed"},
        {"audit.path", Kind::path, "",
         "append-only record of every request received (JSON lines, mode 0600); default audit.jsonl in the "
         "credentials file's directory"},
        {"audit.max_size", Kind::integer, "10485760", "bytes after which the audit file is rotated to PATH.1"},
        {"audit.keep", Kind::integer, "5", "rotated audit files kept (PATH.1 … PATH.N); the oldest is deleted"},
    };
    for (auto& spec : config::logging_specs()) specs.push_back(std::move(spec));
    return specs;
}

RunnerConfig runner_config(const config::Settings& settings, const config::Environment& env) {
    bool in_environment = is_set(env, credentials_variable);
    if (in_environment && settings.has("credentials")) {
        fail(ExitCode::config, std::string("both a credentials file (from ") + origin(settings, "credentials") +
                                   ") and " + credentials_variable + " are set: keep one");
    }
    if (!in_environment && !settings.has("credentials")) {
        fail(ExitCode::config,
             "no credentials file: pass --credentials FILE, set TETHER_CREDENTIALS or put credentials = \"FILE\" in "
             "the runner config, or put the file's content in " + std::string(credentials_variable));
    }
    std::filesystem::path credentials =
        in_environment ? std::filesystem::path() : std::filesystem::path(settings.text("credentials"));
    RunnerConfig config{credentials, policy_from(settings), audit_from(settings, credentials)};
    if (settings.has("tunnel_endpoint")) config.tunnel_endpoint = settings.text("tunnel_endpoint");
    if (settings.has("api_endpoint")) config.api_endpoint = settings.text("api_endpoint");
    config.max_in_flight = static_cast<std::size_t>(at_least(settings, "max_in_flight", 1));
    // Senders batch small messages into frames of up to 64 KiB.
    config.max_message_bytes = static_cast<std::size_t>(at_least(settings, "max_message_size", 65536));
    config.liveness_timeout = settings.duration("liveness_timeout");
    config.drain_timeout = settings.duration("drain_timeout");
    config.connect_timeout = settings.duration("connect_timeout");
    config.reconnect_initial = settings.duration("reconnect.initial");
    config.reconnect_max = settings.duration("reconnect.max");
    if (settings.has("values.cache_ttl")) config.value_cache_ttl = settings.duration("values.cache_ttl");
    config.value_timeout = settings.duration("values.timeout");
    if (settings.has("exec.command")) {
        std::filesystem::path command = settings.text("exec.command");
        if (!command.is_absolute()) fail(ExitCode::config, "exec.command must be an absolute path, not " + command.string());
        config.providers.exec_command = command;
    }
    config.providers.exec_args = settings.list("exec.args");
    config.providers.exec_timeout = settings.duration("exec.timeout");
    if (config.providers.exec_timeout.count() < 1) fail(ExitCode::config, "exec.timeout must be positive");
    if (config.liveness_timeout.count() < 1000) fail(ExitCode::config, "liveness_timeout must be at least 1s");
    if (config.reconnect_initial.count() < 1 || config.reconnect_max < config.reconnect_initial) {
        fail(ExitCode::config, "reconnect.initial must be positive and at most reconnect.max");
    }
    return config;
}

}  // namespace tether::runner
