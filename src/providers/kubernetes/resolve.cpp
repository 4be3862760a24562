// resolve_context: a kubeconfig context to a ClusterAccess.
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tether/pki/certificate.h"
#include "tether/providers/kubernetes/kubeconfig.h"

namespace tether::providers::kubernetes {
namespace {

namespace fs = std::filesystem;

Error error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

// A file a kubeconfig names; `what` says which field, for messages.
Result<std::string> read_named_file(const fs::path& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        ErrorKind kind = err == ENOENT ? ErrorKind::not_found
                         : err == EACCES ? ErrorKind::permission_denied
                                         : ErrorKind::unavailable;
        return error(kind, what + " " + path.string() + ": " + std::strerror(err));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// http_url-like checks without quoting more than the scheme: URLs may carry userinfo.
bool has_host_after(std::string_view url, std::string_view scheme) {
    if (!url.starts_with(scheme)) return false;
    std::string_view rest = url.substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
    return authority.find_first_of(" \t\r\n") == std::string_view::npos && authority.front() != ':';
}

Result<Done> check_cluster(const std::string& name, const Cluster& cluster, ClusterAccess& out) {
    std::string label = "cluster " + name + " (" + cluster.origin.where + ")";
    if (cluster.insecure_skip_tls_verify) {
        return error(ErrorKind::failed_precondition,
                     label + " sets insecure-skip-tls-verify: tether never sends credentials to a server it has not "
                             "verified; give its CA (certificate-authority or certificate-authority-data) instead");
    }
    if (cluster.server.empty()) return error(ErrorKind::invalid_argument, label + " has no server");
    if (!has_host_after(cluster.server, "https://")) {
        return error(ErrorKind::invalid_argument,
                     label + ": server must be an https:// URL with a host (plain http would expose the credentials)");
    }
    out.server = cluster.server;
    if (cluster.certificate_authority && !cluster.certificate_authority_data.empty()) {
        return error(ErrorKind::invalid_argument,
                     label + " sets both certificate-authority and certificate-authority-data: keep one");
    }
    if (cluster.certificate_authority) {
        auto pem = read_named_file(*cluster.certificate_authority, label + ": certificate-authority");
        if (!pem) return pem.error();
        out.certificate_authority = std::move(pem).value();
    } else {
        out.certificate_authority = cluster.certificate_authority_data;
    }
    if (!out.certificate_authority.empty() && !pki::Certificate::from_pem(out.certificate_authority)) {
        return error(ErrorKind::invalid_argument, label + ": the certificate authority is not a PEM certificate");
    }
    if (!cluster.proxy_url.empty() && !has_host_after(cluster.proxy_url, "http://") &&
        !has_host_after(cluster.proxy_url, "https://")) {
        return error(ErrorKind::invalid_argument, label + ": proxy-url must be an http:// or https:// URL");
    }
    out.tls_server_name = cluster.tls_server_name;
    out.proxy_url = cluster.proxy_url;
    return Done{};
}

// The key must be a PEM private key that matches the certificate (RSA, EC or Ed25519).
Result<Done> check_key_pair(const std::string& label, const std::string& certificate_pem, const Secret& key_pem) {
    auto certificate = pki::Certificate::from_pem(certificate_pem);
    if (!certificate) return error(ErrorKind::invalid_argument, label + ": the client certificate is not a PEM certificate");
    BIO* bio = BIO_new_mem_buf(key_pem.reveal().data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (!key) return error(ErrorKind::invalid_argument, label + ": the client key is not an unencrypted PEM private key");
    bool matches = X509_check_private_key(certificate.value().get(), key) == 1;
    EVP_PKEY_free(key);
    if (!matches) return error(ErrorKind::invalid_argument, label + ": the client key does not match the client certificate");
    return Done{};
}

Result<ClientCertificate> client_certificate(const std::string& label, const User& user) {
    if (user.client_certificate && !user.client_certificate_data.empty()) {
        return error(ErrorKind::invalid_argument, label + " sets both client-certificate and client-certificate-data: keep one");
    }
    if (user.client_key && !user.client_key_data.empty()) {
        return error(ErrorKind::invalid_argument, label + " sets both client-key and client-key-data: keep one");
    }
    bool has_certificate = user.client_certificate || !user.client_certificate_data.empty();
    bool has_key = user.client_key || !user.client_key_data.empty();
    if (!has_certificate || !has_key) {
        return error(ErrorKind::invalid_argument, label + (has_certificate ? " has a client certificate but no client key"
                                                                           : " has a client key but no client certificate"));
    }
    ClientCertificate out;
    if (user.client_certificate) {
        auto pem = read_named_file(*user.client_certificate, label + ": client-certificate");
        if (!pem) return pem.error();
        out.certificate_pem = std::move(pem).value();
    } else {
        out.certificate_pem = user.client_certificate_data;
    }
    if (user.client_key) {
        auto pem = read_named_file(*user.client_key, label + ": client-key");
        if (!pem) return pem.error();
        out.key_pem = Secret(pem.value());
        wipe(pem.value());
    } else {
        out.key_pem = user.client_key_data.copy();
    }
    auto checked = check_key_pair(label, out.certificate_pem, out.key_pem);
    if (!checked) return checked.error();
    return out;
}

Result<ExecConfig> exec_plugin(const std::string& label, const ExecConfig& exec) {
    if (exec.api_version != exec_api_v1 && exec.api_version != exec_api_v1beta1) {
        return error(ErrorKind::invalid_argument, label + ": exec apiVersion must be " + std::string(exec_api_v1) + " or " +
                                                      std::string(exec_api_v1beta1));
    }
    if (exec.command.empty()) return error(ErrorKind::invalid_argument, label + ": exec has no command");
    for (const auto& variable : exec.env) {
        if (variable.name.empty() || variable.name.find('=') != std::string::npos) {
            return error(ErrorKind::invalid_argument, label + ": exec env names must be non-empty and hold no '='");
        }
    }
    if (exec.interactive_mode.empty()) {
        return error(ErrorKind::invalid_argument,
                     label + ": exec interactiveMode is required with " + std::string(exec_api_v1) + " (Never or IfAvailable)");
    }
    if (exec.interactive_mode == "Always") {
        return error(ErrorKind::failed_precondition,
                     label + ": exec interactiveMode Always needs a terminal, which tether never has; use Never or IfAvailable");
    }
    if (exec.interactive_mode != "Never" && exec.interactive_mode != "IfAvailable") {
        return error(ErrorKind::invalid_argument, label + ": exec interactiveMode must be Never, IfAvailable or Always");
    }
    return exec;
}

Result<ClusterAuth> check_user(const std::string& name, const User& user) {
    std::string label = "user " + name + " (" + user.origin.where + ")";
    if (!user.unsupported.empty()) {
        return error(ErrorKind::failed_precondition,
                     label + " uses " + user.unsupported.front() +
                         ", which tether does not support: use a token, tokenFile, client certificate or exec plugin");
    }
    std::vector<std::string> ways;
    if (!user.token.empty()) ways.push_back("token");
    if (user.token_file) ways.push_back("tokenFile");
    if (user.client_certificate || !user.client_certificate_data.empty() || user.client_key || !user.client_key_data.empty()) {
        ways.push_back("a client certificate");
    }
    if (user.exec) ways.push_back("exec");
    if (ways.empty()) {
        return error(ErrorKind::failed_precondition,
                     label + " has no credentials (token, tokenFile, client certificate or exec)");
    }
    if (ways.size() > 1) {
        return error(ErrorKind::invalid_argument,
                     label + " sets both " + ways[0] + " and " + ways[1] + ": tether authenticates one way, keep one");
    }
    if (!user.token.empty()) return ClusterAuth{BearerToken{user.token.copy()}};
    if (user.token_file) return ClusterAuth{TokenFilePath{*user.token_file}};
    if (user.exec) {
        auto exec = exec_plugin(label, *user.exec);
        if (!exec) return exec.error();
        return ClusterAuth{std::move(exec).value()};
    }
    auto certificate = client_certificate(label, user);
    if (!certificate) return certificate.error();
    return ClusterAuth{std::move(certificate).value()};
}

}  // namespace

Result<ClusterAccess> resolve_context(const Kubeconfig& kubeconfig, const std::optional<std::string>& context) {
    std::string name = context.value_or(kubeconfig.current_context);
    if (name.empty()) {
        return error(ErrorKind::failed_precondition, "no kubeconfig context: current-context is not set and none was named");
    }
    auto found = kubeconfig.contexts.find(name);
    if (found == kubeconfig.contexts.end()) {
        return error(ErrorKind::not_found, "context " + name + " is not in the kubeconfig");
    }
    const Context& entry = found->second;
    std::string label = "context " + name + " (" + entry.origin.where + ")";
    if (entry.cluster.empty()) return error(ErrorKind::invalid_argument, label + " names no cluster");
    if (entry.user.empty()) return error(ErrorKind::invalid_argument, label + " names no user");
    auto cluster = kubeconfig.clusters.find(entry.cluster);
    if (cluster == kubeconfig.clusters.end()) {
        return error(ErrorKind::not_found, label + " names cluster " + entry.cluster + ", which is not in the kubeconfig");
    }
    auto user = kubeconfig.users.find(entry.user);
    if (user == kubeconfig.users.end()) {
        return error(ErrorKind::not_found, label + " names user " + entry.user + ", which is not in the kubeconfig");
    }

    ClusterAccess out;
    out.context = name;
    auto checked = check_cluster(cluster->first, cluster->second, out);
    if (!checked) return checked.error();
    auto auth = check_user(user->first, user->second);
    if (!auth) return auth.error();
    out.auth = std::move(auth).value();
    if (!entry.namespace_name.empty()) out.namespace_name = entry.namespace_name;
    return out;
}

}  // namespace tether::providers::kubernetes
