// The settings and inline kubeconfig of a kubernetes connection: checked by
// the server when it is defined and by the runner before it uses it.
#include <algorithm>

#include "tether/providers/kubernetes/kubeconfig.h"
#include "tether/providers/kubernetes/provider.h"

namespace tether::providers::kubernetes {
namespace {

// A Kubernetes namespace: an RFC 1123 label.
std::optional<std::string> dns_label(std::string_view value) {
    bool valid = !value.empty() && value.size() <= 63 && value.front() != '-' && value.back() != '-' &&
                 std::all_of(value.begin(), value.end(),
                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
    if (!valid) return "a DNS label: a-z, 0-9 and '-', up to 63 characters";
    return std::nullopt;
}

// A kubeconfig (YAML or JSON), read by the same parser as the runner's,
// that names at least one cluster, user and context. Which context applies
// is the runner's to resolve; here only what needs none of its files is
// checked.
std::optional<std::string> inline_kubeconfig(std::string_view text) {
    auto parsed = parse_kubeconfig(text, "kubeconfig", std::nullopt);
    if (!parsed) return "a kubeconfig: " + parsed.error().message;
    const auto& config = parsed.value();
    if (config.clusters.empty()) return "a kubeconfig: it has no clusters";
    if (config.users.empty()) return "a kubeconfig: it has no users";
    if (config.contexts.empty()) return "a kubeconfig: it has no contexts";
    return std::nullopt;
}

}  // namespace

const ConnectionRules& connection_rules() {
    using namespace auth_mode;
    static const ConnectionRules rules{
        {inline_credentials, runner_delegated},
        {
            {"namespace", {inline_credentials, runner_delegated}, dns_label},
            {"context", {inline_credentials, runner_delegated},
             check::characters(1, 253, "_.:@/-", "a kubeconfig context name")},
            {"server", {inline_credentials, runner_delegated}, check::https_url},
            {"certificate_authority", {inline_credentials, runner_delegated}, check::pem_certificates, false, 64 * 1024},
        },
        inline_kubeconfig,
        nullptr,
    };
    return rules;
}

}  // namespace tether::providers::kubernetes
