#include "tether/providers/kubernetes/provider.h"

#include <boost/asio/ssl/context.hpp>

#include "tether/core/text.h"
#include "tether/crypto/hash.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"
#include "tether/pki/tls.h"
#include "tether/providers/offload.h"

namespace tether::providers::kubernetes {
namespace {

using boost::asio::awaitable;

// The cluster as the credentials' own side describes it: the inline
// kubeconfig, or the runner's kubeconfig or service account.
Result<ClusterAccess> own_cluster(const ConnectionConfig& connection, const Environment& environment,
                                  const std::filesystem::path& root) {
    auto context = connection.optional_setting("context");
    if (connection.auth_mode == auth_mode::inline_credentials) {
        auto parsed = parse_kubeconfig(connection.inline_credentials.reveal(), "the connection's inline kubeconfig",
                                       std::nullopt);
        if (!parsed) return parsed.error();
        return resolve_context(parsed.value(), context);
    }
    if (connection.auth_mode != auth_mode::runner_delegated) {
        return Error{ErrorKind::invalid_argument, "provider kubernetes has no auth mode " + connection.auth_mode};
    }
    // client-go's order: a kubeconfig when there is one (or a context is
    // asked for), else the pod's service account.
    auto loaded = load_kubeconfig(environment);
    if (loaded) return resolve_context(loaded.value(), context);
    if (context || loaded.error().kind != ErrorKind::not_found) return loaded.error();
    auto in_cluster = in_cluster_access(environment, root);
    if (!in_cluster && in_cluster.error().kind == ErrorKind::not_found) {
        return Error{ErrorKind::failed_precondition,
                     "the runner has no Kubernetes access: no kubeconfig (KUBECONFIG, ~/.kube/config) and not in a pod (" +
                         in_cluster.error().message + ")"};
    }
    return in_cluster;
}

// host:port of an https URL, lower-case host, 443 by default.
std::optional<HostPort> peer_of(const std::string& url) {
    auto parsed = parse_url(url);
    if (!parsed) return std::nullopt;
    HostPort peer = parsed.value().authority;
    peer.host = text::ascii_lower(peer.host);
    return peer;
}

}  // namespace

Result<ClusterAccess> connection_cluster(const ConnectionConfig& connection, const Environment& environment,
                                         const std::filesystem::path& root) {
    auto access = own_cluster(connection, environment, root);
    if (!access) return access.error();
    if (auto server = connection.optional_setting("server")) access.value().server = *server;
    if (auto ca = connection.optional_setting("certificate_authority")) access.value().certificate_authority = *ca;
    if (auto namespace_name = connection.optional_setting("namespace")) access.value().namespace_name = *namespace_name;
    return access;
}

bool KubernetesProvider::sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                                              const ProviderContext& context) const {
    // Inline: the cluster the connection names (the policy still decides).
    // Runner-delegated: only the cluster the runner's own credentials
    // belong to, whatever server the connection asks for.
    auto access = connection.auth_mode == auth_mode::inline_credentials
                      ? connection_cluster(connection, context.environment, root_)
                      : own_cluster(connection, context.environment, root_);
    if (!access) return false;
    auto peer = peer_of(access.value().server);
    return peer && peer->host == text::ascii_lower(call.request.url.authority.host) &&
           peer->port == call.request.url.authority.port;
}

Result<Secret> KubernetesProvider::token_from_file(const std::filesystem::path& path) {
    std::unique_ptr<TokenFile>* file = nullptr;
    {
        std::lock_guard lock(mutex_);
        auto& slot = token_files_[path.string()];
        if (!slot) slot = std::make_unique<TokenFile>(path);
        file = &slot;
    }
    return (*file)->token();
}

Result<ExecCredential> KubernetesProvider::exec_credential(const ClusterAccess& access, const ExecConfig& exec) {
    std::string key = access.server + "\n" + exec.command;
    for (const auto& arg : exec.args) key += "\n" + arg;
    ExecCredentialCache* cache = nullptr;
    {
        std::lock_guard lock(mutex_);
        auto& slot = exec_cache_[key];
        if (!slot) {
            ExecSettings settings;
            settings.environment = exec_environment_;
            slot = std::make_unique<ExecCredentialCache>(exec, exec_cluster_info(access), std::move(settings));
        }
        cache = slot.get();
    }
    return cache->credential();
}

awaitable<Result<Done>> KubernetesProvider::authorize(const ConnectionConfig& connection, Call& call,
                                                      ProviderContext& context) {
    auto access = connection_cluster(connection, context.environment, root_);
    if (!access) co_return access.error();

    Secret token;
    std::string client_certificate;
    Secret client_key;
    if (const auto* bearer = std::get_if<BearerToken>(&access.value().auth)) {
        token = bearer->token.copy();
    } else if (const auto* file = std::get_if<TokenFilePath>(&access.value().auth)) {
        auto read = token_from_file(file->path);
        if (!read) co_return read.error();
        token = std::move(read).value();
    } else if (const auto* certificate = std::get_if<ClientCertificate>(&access.value().auth)) {
        client_certificate = certificate->certificate_pem;
        client_key = certificate->key_pem.copy();
    } else if (const auto* exec = std::get_if<ExecConfig>(&access.value().auth)) {
        // A named callable: GCC 12 destroys a temporary lambda in a co_await twice.
        auto run = [&] { return exec_credential(access.value(), *exec); };
        auto credential = co_await offload(std::move(run));
        if (!credential) co_return credential.error();
        token = credential.value().token.copy();
        client_certificate = credential.value().client_certificate_pem;
        client_key = credential.value().client_key_pem.copy();
    }

    // The cluster's CA (else the system's), and the client certificate.
    auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    std::optional<pki::Certificate> certificate;
    std::optional<pki::PrivateKey> key;
    if (!client_certificate.empty()) {
        auto parsed_certificate = pki::Certificate::from_pem(client_certificate);
        if (!parsed_certificate) co_return parsed_certificate.error();
        auto parsed_key = pki::PrivateKey::from_pem(client_key.reveal());
        if (!parsed_key) {
            co_return Error{ErrorKind::invalid_argument, "the client key of context " + access.value().context +
                                                             " is not a PEM private key"};
        }
        certificate = std::move(parsed_certificate).value();
        key = std::move(parsed_key).value();
    }
    // One TLS context per cluster, CA and client identity: the pool keeps
    // its connections by context, so reusing it reuses them.
    std::string tls_key = access.value().server + "\n" + crypto::sha256_hex(access.value().certificate_authority) +
                          "\n" + crypto::sha256_hex(client_certificate) + "\n" + crypto::sha256_hex(client_key.reveal());
    {
        std::lock_guard lock(mutex_);
        if (auto found = tls_contexts_.find(tls_key); found != tls_contexts_.end()) tls = found->second;
    }
    if (tls_contexts_.count(tls_key) == 0) {
        auto configured = pki::configure_public_client_tls(tls->native_handle(), access.value().certificate_authority,
                                                           context.environment, certificate ? &*certificate : nullptr,
                                                           key ? &*key : nullptr);
        if (!configured) co_return configured.error();
        std::lock_guard lock(mutex_);
        tls_contexts_.emplace(tls_key, tls);
    }
    call.tls = std::move(tls);
    if (!token.empty()) call.request.headers.emplace_back("Authorization", "Bearer " + std::string(token.reveal()));
    co_return Done{};
}

}  // namespace tether::providers::kubernetes
