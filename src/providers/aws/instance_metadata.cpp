#include "tether/providers/aws/instance_metadata.h"

#include <algorithm>

#include "json_answer.h"
#include "tether/core/text.h"

namespace tether::providers::aws {
namespace {

constexpr std::string_view ipv4_endpoint = "http://169.254.169.254";
constexpr std::string_view ipv6_endpoint = "http://[fd00:ec2::254]";
constexpr std::string_view credentials_path = "/latest/meta-data/iam/security-credentials/";
constexpr std::int64_t longest_token_seconds = 21'600;

// The endpoint's path (without a trailing '/') and then `path`.
Url at(const Url& endpoint, std::string_view path) {
    Url url = endpoint;
    std::string prefix = endpoint.target;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    url.target = prefix + std::string(path);
    return url;
}

void add_token(HttpCall& call, const Secret& token) {
    if (!token.empty()) call.secret_headers.emplace_back("X-aws-ec2-metadata-token", token.copy());
}

// Status codes IMDS uses: 401 a bad token, 403 IMDS off for the instance.
Error status_error(const char* what, unsigned status) {
    ErrorKind kind = status == 401   ? ErrorKind::unauthenticated
                     : status == 403 ? ErrorKind::permission_denied
                     : status == 404 ? ErrorKind::not_found
                                     : ErrorKind::unavailable;
    return {kind, std::string("instance metadata: ") + what + " answered HTTP " + std::to_string(status)};
}

bool is_role_name(std::string_view role) {
    return !role.empty() && role.size() <= 64 && std::all_of(role.begin(), role.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_+=,.@-").find(c) != std::string_view::npos;
    });
}

}  // namespace

Result<std::optional<Url>> instance_metadata_endpoint(const Environment& environment, const Profile& profile) {
    using Endpoint = std::optional<Url>;
    if (auto disabled = environment_value(environment, "AWS_EC2_METADATA_DISABLED");
        disabled && text::ascii_lower(*disabled) == "true") {
        return Endpoint();
    }
    std::string origin = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    auto endpoint = environment_value(environment, origin);
    if (!endpoint) {
        endpoint = profile.value("ec2_metadata_service_endpoint");
        origin = profile.where("ec2_metadata_service_endpoint");
    }
    if (!endpoint) {
        origin = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
        auto mode = environment_value(environment, origin);
        if (!mode) {
            mode = profile.value("ec2_metadata_service_endpoint_mode");
            origin = profile.where("ec2_metadata_service_endpoint_mode");
        }
        std::string lower = text::ascii_lower(mode.value_or("ipv4"));
        if (lower != "ipv4" && lower != "ipv6") {
            return Error{ErrorKind::invalid_argument,
                         origin + ": the endpoint mode is '" + *mode + "', not IPv4 or IPv6"};
        }
        endpoint = std::string(lower == "ipv6" ? ipv6_endpoint : ipv4_endpoint);
    }
    auto url = parse_url(*endpoint);
    if (!url) {
        return Error{ErrorKind::invalid_argument,
                     origin + ": '" + *endpoint + "' is not an http(s) URL: " + url.error().message};
    }
    return Endpoint(std::move(url).value());
}

bool imds_v1_disabled(const Environment& environment, const Profile& profile) {
    auto value = environment_value(environment, "AWS_EC2_METADATA_V1_DISABLED");
    if (!value) value = profile.value("ec2_metadata_v1_disabled");
    return value && text::ascii_lower(*value) == "true";
}

HttpCall imds_token_call(const Url& endpoint, std::chrono::seconds ttl) {
    HttpCall call;
    call.method = "PUT";
    call.url = at(endpoint, "/latest/api/token");
    std::int64_t seconds = std::clamp<std::int64_t>(ttl.count(), 1, longest_token_seconds);
    call.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(seconds));
    return call;
}

HttpCall imds_role_list_call(const Url& endpoint, const Secret& token) {
    HttpCall call;
    call.url = at(endpoint, credentials_path);
    add_token(call, token);
    return call;
}

Result<HttpCall> imds_role_credentials_call(const Url& endpoint, std::string_view role, const Secret& token) {
    if (!is_role_name(role)) {
        return Error{ErrorKind::invalid_argument,
                     "instance metadata: '" + std::string(role) + "' is not an IAM role name"};
    }
    HttpCall call;
    call.url = at(endpoint, std::string(credentials_path) + std::string(role));
    add_token(call, token);
    return call;
}

Result<Secret> parse_imds_token(unsigned status, std::string_view body) {
    if (status != 200) return status_error("the token request", status);
    if (body.empty() || body.find_first_of("\r\n") != std::string_view::npos) {
        return Error{ErrorKind::unavailable, "instance metadata: the token is empty or holds a line break"};
    }
    return Secret(body);
}

Result<std::string> parse_imds_role_list(unsigned status, std::string_view body) {
    if (status == 404) return Error{ErrorKind::not_found, "instance metadata: the instance has no IAM role"};
    if (status != 200) return status_error("the role list", status);
    std::size_t start = body.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
        return Error{ErrorKind::not_found, "instance metadata: the instance has no IAM role"};
    }
    std::size_t end = body.find_first_of(" \t\r\n", start);
    std::string role(body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!is_role_name(role)) {
        return Error{ErrorKind::unavailable,
                     "instance metadata: the role list holds '" + role + "', which is not an IAM role name"};
    }
    return role;
}

Result<ExpiringCredentials> parse_imds_credentials(unsigned status, std::string_view body) {
    if (status != 200) return status_error("the role's credentials", status);
    auto answer = JsonAnswer::parse(body, "instance metadata");
    if (!answer) return answer.error();
    const JsonAnswer& json = answer.value();
    auto code = json.text("Code");
    if (!code) return code.error();
    if (code.value() != "Success") {
        auto message = json.optional_text("Message");
        std::string detail = message && message.value() ? ": " + *message.value() : "";
        return Error{ErrorKind::unavailable,
                     "instance metadata: the role's credentials are not ready: Code " + code.value() + detail};
    }
    return temporary_credentials(json);
}

}  // namespace tether::providers::aws
