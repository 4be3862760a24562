#include "tether/providers/aws/provider.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "tether/core/duration.h"
#include "tether/core/json.h"
#include "tether/core/text.h"
#include "tether/providers/aws/endpoints.h"
#include "tether/providers/aws/request_signing.h"

namespace tether::providers::aws {
namespace {

using boost::asio::awaitable;

// The domains AWS serves its APIs from, by partition.
constexpr std::string_view aws_domains[] = {".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov",
                                            ".sc2s.sgov.gov"};

// The SDKs spell service ids with capitals ("EC2"); their environment
// variables upper-case them.
std::string service_id(std::string_view service) {
    std::string id(service);
    for (char& c : id) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    return id;
}

Result<Profile> profile_of(const ConnectionConfig& connection, const Environment& environment) {
    return load_profile(environment, connection.optional_setting("profile"));
}

// The cross-account role as the connection's settings describe it.
Result<AssumeRoleParameters> role_of(const ConnectionConfig& connection, const ProviderContext& context) {
    AssumeRoleParameters parameters;
    parameters.role_arn = connection.setting("role_arn");
    if (parameters.role_arn.empty()) {
        return Error{ErrorKind::invalid_argument, "connection " + connection.name + " (cross-account) has no role_arn"};
    }
    parameters.external_id = connection.optional_setting("external_id");
    parameters.role_session_name =
        connection.optional_setting("session_name").value_or("tether-" + (context.runner.empty() ? "runner" : context.runner));
    if (auto duration = connection.optional_setting("duration")) {
        std::int64_t seconds = 0;
        auto [end, ec] = std::from_chars(duration->data(), duration->data() + duration->size(), seconds);
        if (ec != std::errc{} || end != duration->data() + duration->size()) {
            auto parsed = parse_duration(*duration);
            if (!parsed) return Error{ErrorKind::invalid_argument, "connection " + connection.name + ": duration is not a duration"};
            seconds = std::chrono::duration_cast<std::chrono::seconds>(*parsed).count();
        }
        parameters.duration = std::chrono::seconds(seconds);
    }
    return parameters;
}

}  // namespace

Result<ServiceTarget> service_target(const ConnectionConfig& connection, std::string_view service,
                                     const std::optional<std::string>& region, const Environment& environment) {
    auto profile = profile_of(connection, environment);
    if (!profile) return profile.error();
    std::optional<std::string> chosen = region;
    if (!chosen) chosen = connection.optional_setting("region");
    if (!chosen) chosen = configured_region(environment, profile.value());
    if (!chosen || !is_region(*chosen)) {
        return Error{ErrorKind::invalid_argument,
                     chosen ? "'" + chosen->substr(0, 40) + "' is not a region"
                            : "no region: give the call a region, or set the connection's region (or AWS_REGION on the runner)"};
    }
    std::string url_text;
    if (auto configured = connection.optional_setting("endpoint_url")) {
        url_text = *configured;
    } else {
        auto endpoint = service_endpoint(service_id(service), *chosen, environment, profile.value());
        if (!endpoint) return endpoint.error();
        url_text = endpoint.value();
    }
    auto url = parse_url(url_text);
    if (!url) return url.error();
    url.value().target = "/";
    return ServiceTarget{std::move(url).value(), *chosen};
}

Result<Credentials> parse_inline_credentials(const Secret& text) {
    auto answer = parse_json(text.reveal());
    nlohmann::json parsed = answer ? std::move(answer).value() : nlohmann::json();
    auto text_of = [&](const char* key) -> std::optional<std::string> {
        if (!parsed.is_object() || !parsed.contains(key) || !parsed[key].is_string()) return std::nullopt;
        return parsed[key].get<std::string>();
    };
    auto id = text_of("access_key_id");
    auto secret = text_of("secret_access_key");
    auto token = text_of("session_token");
    Result<Credentials> out = Error{ErrorKind::invalid_argument,
                                    "the connection's inline credentials lack access_key_id or secret_access_key"};
    if (id && secret && !id->empty() && !secret->empty()) {
        out = Credentials{*id, Secret(*secret), Secret(token.value_or(""))};
    }
    if (secret) wipe(*secret);
    if (token) wipe(*token);
    wipe_json(parsed);
    return out;
}

bool is_aws_endpoint(const ConnectionConfig& connection, const Call& call, const Environment& environment) {
    const HostPort& peer = call.request.url.authority;
    std::string host = text::ascii_lower(peer.host);
    for (std::string_view domain : aws_domains) {
        if (host.size() > domain.size() && host.ends_with(domain)) return true;
    }
    // Or where this connection or the runner's configuration points the service.
    std::vector<std::string> configured;
    if (auto url = connection.optional_setting("endpoint_url")) configured.push_back(*url);
    if (call.aws) {
        auto profile = profile_of(connection, environment);
        if (profile) {
            auto endpoint = configured_endpoint(service_id(call.aws->service), environment, profile.value());
            if (endpoint && !endpoint.value().empty()) configured.push_back(endpoint.value());
        }
    }
    for (const auto& text : configured) {
        auto url = parse_url(text);
        if (url && text::ascii_lower(url.value().authority.host) == host && url.value().authority.port == peer.port) {
            return true;
        }
    }
    return false;
}

bool AwsProvider::sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                                       const ProviderContext& context) const {
    return is_aws_endpoint(connection, call, context.environment);
}

awaitable<Result<Done>> AwsProvider::authorize(const ConnectionConfig& connection, Call& call, ProviderContext& context) {
    if (!call.aws) {
        co_return Error{ErrorKind::invalid_argument, "connection " + connection.name + " is an AWS connection: it signs AWS API calls only"};
    }
    Result<Credentials> credentials = Error{ErrorKind::internal, "no auth mode"};
    if (connection.auth_mode == auth_mode::inline_credentials) {
        credentials = parse_inline_credentials(connection.inline_credentials);
    } else if (connection.auth_mode == auth_mode::runner_delegated) {
        credentials = co_await chain_.resolve(connection.optional_setting("profile"), context);
    } else if (connection.auth_mode == auth_mode::cross_account) {
        auto role = role_of(connection, context);
        if (!role) co_return role.error();
        credentials = co_await chain_.assume_role(role.value(), connection.optional_setting("profile"), call.aws->region, context);
    } else {
        co_return Error{ErrorKind::invalid_argument, "provider aws has no auth mode " + connection.auth_mode};
    }
    if (!credentials) co_return credentials.error();
    co_return sign_request(call.request, credentials.value(), {call.aws->service, call.aws->region, call.aws->s3});
}

}  // namespace tether::providers::aws
