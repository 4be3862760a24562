#include "tether/providers/kubernetes/in_cluster.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tether/core/text.h"
#include "tether/pki/certificate.h"

namespace tether::providers::kubernetes {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> variable(const Environment& environment, const std::string& name) {
    auto value = environment(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
}

// nullopt when the file does not exist.
Result<std::optional<std::string>> read_optional(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        if (err == ENOENT) return std::optional<std::string>();
        return Error{err == EACCES ? ErrorKind::permission_denied : ErrorKind::unavailable,
                     "cannot read " + path.string() + ": " + std::strerror(err)};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return std::optional<std::string>(text.str());
}

}  // namespace

Result<ClusterAccess> in_cluster_access(const Environment& environment, const fs::path& root) {
    auto host = variable(environment, "KUBERNETES_SERVICE_HOST");
    auto port = variable(environment, "KUBERNETES_SERVICE_PORT");
    if (!host || !port) {
        return Error{ErrorKind::not_found,
                     "not in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set"};
    }
    unsigned number = 0;
    auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), number);
    if (ec != std::errc() || end != port->data() + port->size() || number == 0 || number > 65535) {
        return Error{ErrorKind::invalid_argument, "KUBERNETES_SERVICE_PORT must be a port number (1 to 65535)"};
    }
    bool host_ok = std::none_of(host->begin(), host->end(), [](char c) {
        return c == '/' || c == '@' || c == '[' || c == ']' || c == '?' || c == '#' || static_cast<unsigned char>(c) <= ' ';
    });
    if (!host_ok) return Error{ErrorKind::invalid_argument, "KUBERNETES_SERVICE_HOST must be a host name or IP address"};

    fs::path dir = root / service_account_dir;
    ClusterAccess out;
    out.context = "in-cluster";
    bool ipv6 = host->find(':') != std::string::npos;
    out.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;

    fs::path token = dir / "token";
    std::error_code error;
    if (!fs::exists(token, error)) {
        return Error{ErrorKind::not_found, "no service account token at " + token.string() +
                                               " (is automountServiceAccountToken off for this pod?)"};
    }
    out.auth = TokenFilePath{token};

    auto ca = read_optional(dir / "ca.crt");
    if (!ca) return ca.error();
    if (!ca.value()) return Error{ErrorKind::not_found, "no service account CA at " + (dir / "ca.crt").string()};
    if (!pki::Certificate::from_pem(*ca.value())) {
        return Error{ErrorKind::invalid_argument, (dir / "ca.crt").string() + " is not a PEM certificate"};
    }
    out.certificate_authority = std::move(*ca.value());

    // As client-go: POD_NAMESPACE, else the mounted namespace file, else "default".
    if (auto pod_namespace = variable(environment, "POD_NAMESPACE")) {
        out.namespace_name = *pod_namespace;
    } else {
        auto name = read_optional(dir / "namespace");
        if (!name) return name.error();
        std::string_view name_text = name.value() ? text::trim(*name.value()) : std::string_view();
        if (!name_text.empty()) out.namespace_name = name_text;
    }
    return out;
}

}  // namespace tether::providers::kubernetes
