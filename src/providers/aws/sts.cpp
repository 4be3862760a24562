#include "tether/providers/aws/sts.h"

#include <pugixml.hpp>

#include <algorithm>
#include <array>

#include "tether/core/text.h"
#include "tether/core/timestamp.h"
#include "tether/providers/aws/endpoints.h"

namespace tether::providers::aws {
namespace {

constexpr std::string_view api_version = "2011-06-15";
constexpr std::string_view global_url = "https://sts.amazonaws.com";

// The regions whose "legacy" STS endpoint was the global one.
constexpr std::array<std::string_view, 16> legacy_global_regions = {
    "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
    "eu-central-1",   "eu-north-1", "eu-west-1",      "eu-west-2",      "eu-west-3",  "sa-east-1",
    "us-east-1",      "us-east-2",  "us-west-1",      "us-west-2"};

Error invalid_sts_request(const std::string& what) { return {ErrorKind::invalid_argument, "cannot ask STS: " + what}; }

// STS's pattern for names and ids: [\w+=,.@-], plus what `extra` allows.
bool is_sts_name(std::string_view text, std::string_view extra = {}) {
    return std::all_of(text.begin(), text.end(), [extra](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_+=,.@-").find(c) != std::string_view::npos || extra.find(c) != std::string_view::npos;
    });
}

Result<Done> check_role(const std::string& role_arn, const std::string& session_name,
                        const std::optional<std::chrono::seconds>& duration) {
    // arn:partition:iam::account:role/name
    if (role_arn.rfind("arn:", 0) != 0 || std::count(role_arn.begin(), role_arn.end(), ':') < 5 ||
        role_arn.size() < 20 || role_arn.size() > 2048) {
        return invalid_sts_request("'" + role_arn + "' is not a role ARN (arn:aws:iam::<account>:role/<name>)");
    }
    if (session_name.size() < 2 || session_name.size() > 64 || !is_sts_name(session_name)) {
        return invalid_sts_request("role session name '" + session_name +
                       "' must be 2 to 64 letters, digits or _+=,.@- characters");
    }
    if (duration && (duration->count() < 900 || duration->count() > 43'200)) {
        return invalid_sts_request("a session lasts 900 to 43200 seconds, not " + std::to_string(duration->count()));
    }
    return Done{};
}

void add_field(std::string& body, std::string_view name, std::string_view value) {
    if (!body.empty()) body += '&';
    body += name;
    body += '=';
    body += text::percent_encode(value, false);
}

HttpCall form_post(const StsEndpoint& endpoint, std::string& body) {
    HttpCall call;
    call.method = "POST";
    call.url = parse_url(endpoint.url).value();
    call.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    call.body = Secret(body);
    wipe(body);
    return call;
}

// Trimmed: the documentation's samples wrap long tokens in white space.
std::string_view child_text(const pugi::xml_node& node, const char* name) {
    std::string_view text = node.child(name).text().as_string();
    std::size_t start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return {};
    return text.substr(start, text.find_last_not_of(" \t\r\n") - start + 1);
}

ErrorKind kind_of(std::string_view code, unsigned status) {
    if (code == "AccessDenied") return ErrorKind::permission_denied;
    if (code == "InvalidClientTokenId" || code.rfind("ExpiredToken", 0) == 0 || code == "SignatureDoesNotMatch" ||
        code == "IncompleteSignature" || code == "InvalidIdentityToken" || code == "IDPRejectedClaim" ||
        code == "MissingAuthenticationToken") {
        return ErrorKind::unauthenticated;
    }
    if (code == "Throttling" || code == "IDPCommunicationError" || code == "ServiceUnavailable" || status >= 500) {
        return ErrorKind::unavailable;
    }
    if (code == "RegionDisabledException") return ErrorKind::failed_precondition;
    if (code.empty() && status == 401) return ErrorKind::unauthenticated;
    if (code.empty() && status == 403) return ErrorKind::permission_denied;
    return ErrorKind::invalid_argument;
}

Result<ExpiringCredentials> parse_response(unsigned status, std::string_view body, const char* action) {
    std::string response_name = std::string(action) + "Response";
    std::string result_name = std::string(action) + "Result";
    // Parsed in place in our own copy, so that the secrets are wiped with it.
    std::string buffer(body);
    pugi::xml_document document;
    pugi::xml_parse_result parsed = document.load_buffer_inplace(buffer.data(), buffer.size());
    auto fail = [&](Error error) {
        wipe(buffer);
        return error;
    };
    if (!parsed) {
        return fail({ErrorKind::unavailable, std::string("STS ") + action + " answered HTTP " + std::to_string(status) +
                                                 " with a body that is not XML (" + parsed.description() + ")"});
    }
    if (auto error = document.child("ErrorResponse").child("Error")) {
        std::string code(child_text(error, "Code"));
        std::string message(child_text(error, "Message"));
        std::string request_id(child_text(document.child("ErrorResponse"), "RequestId"));
        return fail({kind_of(code, status), std::string("STS ") + action + " failed: " + code + ": " + message +
                                                (request_id.empty() ? "" : " (request id " + request_id + ")")});
    }
    pugi::xml_node credentials = document.child(response_name.c_str()).child(result_name.c_str()).child("Credentials");
    if (status != 200 || !credentials) {
        return fail({status >= 500 || status == 200 ? ErrorKind::unavailable : kind_of("", status),
                     std::string("STS ") + action + " answered HTTP " + std::to_string(status) + " without " +
                         response_name + "/" + result_name + "/Credentials"});
    }
    std::string missing;
    for (const char* name : {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}) {
        if (child_text(credentials, name).empty()) missing += missing.empty() ? name : std::string(", ") + name;
    }
    if (!missing.empty()) {
        return fail({ErrorKind::unavailable, std::string("STS ") + action + " answered without " + missing});
    }
    auto expiration = parse_timestamp(child_text(credentials, "Expiration"));
    if (!expiration) {
        return fail({ErrorKind::unavailable,
                     std::string("STS ") + action + " answered with a bad Expiration: " + expiration.error().message});
    }
    ExpiringCredentials out;
    out.credentials.access_key_id = std::string(child_text(credentials, "AccessKeyId"));
    out.credentials.secret_access_key = Secret(child_text(credentials, "SecretAccessKey"));
    out.credentials.session_token = Secret(child_text(credentials, "SessionToken"));
    out.expiration = expiration.value();
    wipe(buffer);
    return out;
}

}  // namespace

Result<StsEndpoint> sts_endpoint(std::string_view region, const Environment& environment, const Profile& profile) {
    if (!region.empty() && !is_region(region)) return invalid_sts_request("'" + std::string(region) + "' is not a region name");
    auto configured = configured_endpoint("STS", environment, profile);
    if (!configured) return configured.error();
    std::string signing_region = region.empty() || region == "aws-global" ? "us-east-1" : std::string(region);
    if (!configured.value().empty()) return StsEndpoint{configured.value(), signing_region};

    std::string mode = "regional";
    std::string origin;
    if (auto value = environment_value(environment, "AWS_STS_REGIONAL_ENDPOINTS")) {
        mode = text::ascii_lower(*value);
        origin = "AWS_STS_REGIONAL_ENDPOINTS";
    } else if (auto in_profile = profile.sts_regional_endpoints()) {
        mode = text::ascii_lower(*in_profile);
        origin = profile.where("sts_regional_endpoints");
    }
    if (mode != "regional" && mode != "legacy") {
        return invalid_sts_request(origin + ": sts_regional_endpoints is '" + mode + "', not regional or legacy");
    }
    bool global = region.empty() || region == "aws-global" ||
                  (mode == "legacy" && std::find(legacy_global_regions.begin(), legacy_global_regions.end(), region) !=
                                           legacy_global_regions.end());
    if (global) return StsEndpoint{std::string(global_url), "us-east-1"};
    return StsEndpoint{default_endpoint("sts", region), signing_region};
}

std::string default_role_session_name(std::chrono::system_clock::time_point now) {
    return "tether-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

Result<HttpCall> assume_role_call(const StsEndpoint& endpoint, const AssumeRoleParameters& parameters) {
    if (auto checked = check_role(parameters.role_arn, parameters.role_session_name, parameters.duration); !checked) {
        return checked.error();
    }
    if (parameters.external_id && (parameters.external_id->size() < 2 || parameters.external_id->size() > 1224 ||
                                   !is_sts_name(*parameters.external_id, ":/"))) {
        return invalid_sts_request("the external id must be 2 to 1224 letters, digits or _+=,.@:/- characters");
    }
    if (!parse_url(endpoint.url)) return invalid_sts_request("'" + endpoint.url + "' is not an http(s) URL");
    std::string body;
    add_field(body, "Action", "AssumeRole");
    add_field(body, "Version", api_version);
    add_field(body, "RoleArn", parameters.role_arn);
    add_field(body, "RoleSessionName", parameters.role_session_name);
    if (parameters.duration) add_field(body, "DurationSeconds", std::to_string(parameters.duration->count()));
    if (parameters.external_id) add_field(body, "ExternalId", *parameters.external_id);
    return form_post(endpoint, body);
}

Result<HttpCall> assume_role_with_web_identity_call(const StsEndpoint& endpoint,
                                                    const WebIdentityParameters& parameters) {
    if (auto checked = check_role(parameters.role_arn, parameters.role_session_name, parameters.duration); !checked) {
        return checked.error();
    }
    std::size_t token_size = parameters.web_identity_token.size();
    if (token_size < 4 || token_size > 20'000) {
        return invalid_sts_request("a web identity token is 4 to 20000 bytes, this one " + std::to_string(token_size));
    }
    if (!parse_url(endpoint.url)) return invalid_sts_request("'" + endpoint.url + "' is not an http(s) URL");
    std::string body;
    add_field(body, "Action", "AssumeRoleWithWebIdentity");
    add_field(body, "Version", api_version);
    add_field(body, "RoleArn", parameters.role_arn);
    add_field(body, "RoleSessionName", parameters.role_session_name);
    add_field(body, "WebIdentityToken", parameters.web_identity_token.reveal());
    if (parameters.duration) add_field(body, "DurationSeconds", std::to_string(parameters.duration->count()));
    return form_post(endpoint, body);
}

Result<ExpiringCredentials> parse_assume_role_response(unsigned status, std::string_view body) {
    return parse_response(status, body, "AssumeRole");
}

Result<ExpiringCredentials> parse_assume_role_with_web_identity_response(unsigned status, std::string_view body) {
    return parse_response(status, body, "AssumeRoleWithWebIdentity");
}

}  // namespace tether::providers::aws
