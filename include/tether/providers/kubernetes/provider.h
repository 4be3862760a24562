#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tether/providers/kubernetes/exec_credential.h"
#include "tether/providers/kubernetes/in_cluster.h"
#include "tether/providers/kubernetes/kubeconfig.h"
#include "tether/providers/provider.h"

// The Kubernetes provider: an inline kubeconfig, or the runner's own access
// (its kubeconfig, else the pod's service account), authorising requests
// to the cluster's API server with a bearer token, a rotating token file, a
// client certificate or an exec plugin's credential.
namespace tether::providers::kubernetes {

// Which cluster a connection reaches and how, with its settings applied:
// `context` picks a kubeconfig context, `namespace` the default namespace,
// `server` and `certificate_authority` override the cluster's (for inline
// connections; for runner-delegated ones the provider then refuses any host
// but the cluster's own).
//   inline:            the kubeconfig sent with the request;
//   runner-delegated:  the runner's kubeconfig (KUBECONFIG, else
//                      ~/.kube/config) when the connection names a context
//                      or a file exists, else the pod's service account.
Result<ClusterAccess> connection_cluster(const ConnectionConfig& connection, const Environment& environment,
                                         const std::filesystem::path& root = "/");

class KubernetesProvider final : public Provider {
public:
    // `root`: where the service account files are mounted, "/" but in tests.
    explicit KubernetesProvider(std::filesystem::path root = "/") : root_(std::move(root)) {}

    std::string_view name() const override { return "kubernetes"; }
    bool sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                              const ProviderContext& context) const override;
    boost::asio::awaitable<Result<Done>> authorize(const ConnectionConfig& connection, Call& call,
                                                   ProviderContext& context) override;

private:
    Result<Secret> token_from_file(const std::filesystem::path& path);
    Result<ExecCredential> exec_credential(const ClusterAccess& access, const ExecConfig& exec);

    std::filesystem::path root_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<TokenFile>> token_files_;          // by path
    std::map<std::string, std::unique_ptr<ExecCredentialCache>> exec_cache_;  // by server and command
    std::map<std::string, http::TlsContext> tls_contexts_;                   // by server, CA and client identity
    std::vector<std::string> exec_environment_ = process_environment_list();
};

}  // namespace tether::providers::kubernetes
