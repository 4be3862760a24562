#include "tether/providers/kubernetes/exec_credential.h"

#include <nlohmann/json.hpp>

#include "tether/crypto/base64.h"
#include "tether/core/json.h"
#include "tether/core/timestamp.h"
#include "tether/providers/connection.h"

extern char** environ;

namespace tether::providers::kubernetes {
namespace {

using nlohmann::json;

std::string plugin_name(const ExecConfig& exec) { return "kubernetes exec plugin " + exec.command; }

// A JSON answer that is wiped however the parse ends.
struct Wiped {
    json value;
    ~Wiped() { wipe_json(value); }
};

// A string member: nullopt if absent or null; an error if another type.
Result<std::optional<std::string>> member(const json& object, const char* key, const std::string& where,
                                          const ExecConfig& exec) {
    if (!object.contains(key) || object[key].is_null()) return std::optional<std::string>();
    if (!object[key].is_string()) {
        return Error{ErrorKind::invalid_argument, plugin_name(exec) + " answered with " + where + key + " not a string"};
    }
    return std::optional<std::string>(object[key].get<std::string>());
}

}  // namespace

ExecCredential ExecCredential::copy() const {
    return ExecCredential{token.copy(), client_certificate_pem, client_key_pem.copy(), expiration};
}

ExecClusterInfo exec_cluster_info(const ClusterAccess& access) {
    return ExecClusterInfo{access.server, access.certificate_authority, access.tls_server_name, access.proxy_url};
}

std::vector<std::string> process_environment_list() {
    std::vector<std::string> out;
    for (char** entry = environ; entry && *entry; ++entry) out.emplace_back(*entry);
    return out;
}

std::string exec_info_json(const ExecConfig& exec, const ExecClusterInfo& cluster) {
    json spec = {{"interactive", false}};
    if (exec.provide_cluster_info) {
        json info = {{"server", cluster.server}};
        if (!cluster.tls_server_name.empty()) info["tls-server-name"] = cluster.tls_server_name;
        if (!cluster.certificate_authority.empty()) {
            info["certificate-authority-data"] = crypto::base64_encode(cluster.certificate_authority);
        }
        if (!cluster.proxy_url.empty()) info["proxy-url"] = cluster.proxy_url;
        spec["cluster"] = std::move(info);
    }
    return json{{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", std::move(spec)}}.dump();
}

ProcessRequest exec_process_request(const ExecConfig& exec, const ExecClusterInfo& cluster, const ExecSettings& settings) {
    ProcessRequest request;
    request.argv.push_back(exec.command);
    request.argv.insert(request.argv.end(), exec.args.begin(), exec.args.end());
    std::vector<std::string> environment;
    auto set = [&environment](const std::string& name, const std::string& value) {
        std::string prefix = name + "=";
        std::erase_if(environment, [&prefix](const std::string& entry) { return entry.starts_with(prefix); });
        environment.push_back(prefix + value);
    };
    for (const auto& entry : settings.environment) {
        if (entry.starts_with("PATH=")) request.search_path = entry.substr(5);
        environment.push_back(entry);
    }
    for (const auto& variable : exec.env) set(variable.name, variable.value);
    set("KUBERNETES_EXEC_INFO", exec_info_json(exec, cluster));
    request.environment = std::move(environment);
    request.timeout = settings.timeout;
    request.max_stdout_bytes = settings.max_output_bytes;
    return request;
}

Result<ExecCredential> parse_exec_credential(std::string_view output, const ExecConfig& exec) {
    auto invalid = [&exec](const std::string& what) {
        return Error{ErrorKind::invalid_argument, plugin_name(exec) + " answered without a valid credential: " + what};
    };
    auto parsed = parse_json(output);
    if (!parsed) return invalid("its output is not JSON (" + parsed.error().message + ")");
    Wiped answer{std::move(parsed).value()};
    const json& root = answer.value;
    if (!root.is_object()) return invalid("its output is not a JSON object");
    auto kind = member(root, "kind", "", exec);
    auto api_version = member(root, "apiVersion", "", exec);
    if (!kind) return kind.error();
    if (!api_version) return api_version.error();
    if (kind.value() != "ExecCredential") return invalid("kind is not ExecCredential");
    if (api_version.value() != exec.api_version) {
        return invalid("apiVersion " + api_version.value().value_or("(none)").substr(0, 80) + " is not the configured " +
                       exec.api_version);
    }
    if (!root.contains("status") || !root["status"].is_object()) return invalid("no status");
    const json& status = root["status"];
    auto token = member(status, "token", "status.", exec);
    auto certificate = member(status, "clientCertificateData", "status.", exec);
    auto key = member(status, "clientKeyData", "status.", exec);
    auto expiration = member(status, "expirationTimestamp", "status.", exec);
    for (const auto* field : {&token, &certificate, &key, &expiration}) {
        if (!*field) return field->error();
    }
    bool has_certificate = certificate.value() && !certificate.value()->empty();
    bool has_key = key.value() && !key.value()->empty();
    if (has_certificate != has_key) return invalid("status has only one of clientCertificateData and clientKeyData");
    bool has_token = token.value() && !token.value()->empty();
    if (!has_token && !has_certificate) return invalid("status has neither token nor clientCertificateData and clientKeyData");

    ExecCredential out;
    if (expiration.value()) {
        auto time = parse_timestamp(*expiration.value());
        if (!time) return invalid("status.expirationTimestamp: " + time.error().message);
        out.expiration = time.value();
    }
    if (has_token) {
        out.token = Secret(*token.value());
        wipe(*token.value());
    }
    if (has_certificate) {
        out.client_certificate_pem = std::move(*certificate.value());
        out.client_key_pem = Secret(*key.value());
        wipe(*key.value());
    }
    return out;
}

Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const ExecClusterInfo& cluster,
                                       const ExecSettings& settings) {
    auto output = run_process(exec_process_request(exec, cluster, settings));
    if (!output) {
        std::string message = "kubernetes exec plugin: " + output.error().message;
        if (output.error().kind == ErrorKind::not_found && !exec.install_hint.empty()) {
            message += "\n" + exec.install_hint;
        }
        return Error{output.error().kind, std::move(message)};
    }
    return parse_exec_credential(output.value().stdout_text.reveal(), exec);
}

ExecCredentialCache::ExecCredentialCache(ExecConfig exec, ExecClusterInfo cluster, ExecSettings settings, Clock clock)
    : exec_(std::move(exec)), cluster_(std::move(cluster)), settings_(std::move(settings)), clock_(std::move(clock)) {}

Result<ExecCredential> ExecCredentialCache::credential() {
    std::lock_guard lock(mutex_);
    if (cached_ && (!cached_->expiration || clock_() < *cached_->expiration - refresh_before)) return cached_->copy();
    cached_.reset();
    auto fresh = run_exec_plugin(exec_, cluster_, settings_);
    if (!fresh) return fresh.error();
    cached_ = std::move(fresh).value();
    return cached_->copy();
}

void ExecCredentialCache::invalidate() {
    std::lock_guard lock(mutex_);
    cached_.reset();
}

}  // namespace tether::providers::kubernetes
