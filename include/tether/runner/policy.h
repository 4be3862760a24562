#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The runner's own policy (DESIGN.md, "Runner-side policy"): what it
// accepts whatever the server asks. Each list holds patterns; an empty list
// allows nothing.
namespace tether::runner {

// Whether `value` matches `pattern`, in which '*' stands for any run of
// characters, dots included ("system.*" matches "system.info", "*" matches
// everything) and every other character only for itself.
bool matches_pattern(std::string_view pattern, std::string_view value);

// Why `pattern` is not an endpoint pattern, or nothing if it is one:
// "host" (any port) or "host:port", the host a name or IP literal with
// optional '*' ("*.amazonaws.com"), an IPv6 host in brackets when a port
// follows ("[fd00::1]:443"), the port a number or '*'.
std::optional<std::string> check_endpoint_pattern(std::string_view pattern);

struct Policy {
    std::vector<std::string> operations;   // operation types: "system.*", "aws.call"
    std::vector<std::string> connections;  // the org's connection names
    std::vector<std::string> auth_modes;   // "inline", "runner-delegated", "cross-account"
    std::vector<std::string> providers;    // "aws", "gcp", "azure", "kubernetes", "exec"
    std::vector<std::string> endpoints;    // hosts that may receive credentials: "host" or "host:port"
    // What a reference may resolve (docs/secrets.md): names of the org's
    // secrets and variables, names of this runner's environment variables,
    // and directories (absolute) whose files ${file:…} may read.
    std::vector<std::string> secrets;
    std::vector<std::string> variables;
    std::vector<std::string> environment;
    std::vector<std::string> files;

    bool allows_operation(std::string_view type) const;
    bool allows_connection(std::string_view name) const;
    bool allows_auth_mode(std::string_view mode) const;
    bool allows_provider(std::string_view name) const;
    // Host names compare without regard to case; an IPv6 host comes
    // without brackets.
    bool allows_endpoint(std::string_view host, std::uint16_t port) const;
    bool allows_secret(std::string_view name) const;
    bool allows_variable(std::string_view name) const;
    bool allows_environment(std::string_view name) const;
    // `path` as it is on disk (canonical: no "..", no symlink left) lies
    // inside one of the directories.
    bool allows_file(const std::string& canonical_path) const;

    // One line for the start-up log: "operations=[system.*] connections=[] …".
    std::string summary() const;
};

// What a fresh config allows: the system.* operations, nothing else.
Policy default_policy();

}  // namespace tether::runner
