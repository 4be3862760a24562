#pragma once

// client-go credential plugins (users[].user.exec): the ExecCredential
// request a plugin reads from KUBERNETES_EXEC_INFO, running it through
// providers::run_process (no shell, a deadline, bounded output), the
// answer it prints, and a cache that reuses the answer until it expires.
// Versions client.authentication.k8s.io/v1 and v1beta1.
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/providers/kubernetes/kubeconfig.h"
#include "tether/providers/process.h"

namespace tether::providers::kubernetes {

struct ExecCredential {
    Secret token;                        // may be empty when a client certificate is given
    std::string client_certificate_pem;  // with client_key_pem, or both empty
    Secret client_key_pem;
    std::optional<std::chrono::system_clock::time_point> expiration;  // none: valid until a 401

    ExecCredential copy() const;
};

// What a plugin is told about its cluster when provideClusterInfo is set.
struct ExecClusterInfo {
    std::string server;
    std::string certificate_authority;  // PEM; sent base64 as certificate-authority-data
    std::string tls_server_name;
    std::string proxy_url;
};

ExecClusterInfo exec_cluster_info(const ClusterAccess& access);

struct ExecSettings {
    // The plugin's environment before the kubeconfig's env entries,
    // "NAME=value" each: the runner's own, as kubectl passes its own (see
    // process_environment_list). Its PATH finds a command without a '/'.
    std::vector<std::string> environment;
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    std::size_t max_output_bytes = 1024 * 1024;
};

// This process's environment as a list, for ExecSettings::environment;
// read once at start-up by the caller, not inside the provider.
std::vector<std::string> process_environment_list();

// The value of KUBERNETES_EXEC_INFO: {"apiVersion", "kind": "ExecCredential",
// "spec": {"interactive": false, "cluster": {…} only with provideClusterInfo}}.
std::string exec_info_json(const ExecConfig& exec, const ExecClusterInfo& cluster);

// argv = command and args; environment = settings.environment with the
// kubeconfig's env entries (replacing a variable of the same name) and
// KUBERNETES_EXEC_INFO; timeout and stdout bound from settings.
ProcessRequest exec_process_request(const ExecConfig& exec, const ExecClusterInfo& cluster, const ExecSettings& settings);

// A plugin's output. invalid_argument naming the plugin and what is wrong,
// never quoting a value: not JSON, kind not ExecCredential, apiVersion not
// the one configured, no status, neither token nor certificate and key,
// only one of certificate and key, a malformed expirationTimestamp.
Result<ExecCredential> parse_exec_credential(std::string_view output, const ExecConfig& exec);

// Runs the plugin and parses its answer. Errors name the plugin; a missing
// command (not_found) adds the plugin's installHint; a non-zero exit
// (unavailable) gives the first line of its stderr.
Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const ExecClusterInfo& cluster,
                                       const ExecSettings& settings);

// One plugin's credential, reused until `refresh_before` its expiry (or,
// without an expiry, until invalidate() after a 401), then fetched again.
// Safe to call from several threads; the plugin runs once at a time.
class ExecCredentialCache {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    // Leaves time for a request that starts just before the expiry to reach the server.
    static constexpr std::chrono::seconds refresh_before{30};

    ExecCredentialCache(ExecConfig exec, ExecClusterInfo cluster, ExecSettings settings,
                        Clock clock = std::chrono::system_clock::now);

    // The cached credential or a fresh one; a failed run is not cached.
    Result<ExecCredential> credential();

    // Forgets the credential: the server refused it (401).
    void invalidate();

private:
    ExecConfig exec_;
    ExecClusterInfo cluster_;
    ExecSettings settings_;
    Clock clock_;
    std::mutex mutex_;
    std::optional<ExecCredential> cached_;
};

}  // namespace tether::providers::kubernetes
