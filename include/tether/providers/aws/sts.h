#pragma once

// STS, the AWS Security Token Service, in its query protocol: a
// form-encoded POST in, XML out. Here the requests are built and the
// answers read; sending (and signing AssumeRole with the source
// credentials) is the caller's.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/providers/aws/credentials.h"
#include "tether/providers/aws/shared_config.h"

namespace tether::providers::aws {

struct StsEndpoint {
    std::string url;             // "https://sts.eu-west-1.amazonaws.com"
    std::string signing_region;  // us-east-1 for the global endpoint
};

// A configured endpoint (endpoints.h) wins. Else the regional endpoint,
// unless sts_regional_endpoints (AWS_STS_REGIONAL_ENDPOINTS, else the
// profile's) is "legacy" and the region is one that used the global
// endpoint; no region (or "aws-global") means the global endpoint.
// invalid_argument for another sts_regional_endpoints value or a region
// that is not a DNS label.
Result<StsEndpoint> sts_endpoint(std::string_view region, const Environment& environment, const Profile& profile);

struct AssumeRoleParameters {
    std::string role_arn;
    std::string role_session_name;
    std::optional<std::chrono::seconds> duration;  // 900 s to 43200 s; STS's default (1 h) if absent
    std::optional<std::string> external_id;
};

struct WebIdentityParameters {
    std::string role_arn;
    std::string role_session_name;
    Secret web_identity_token;  // an OIDC token, as read from web_identity_token_file
    std::optional<std::chrono::seconds> duration;
};

// "tether-<unix seconds>": a session name when the profile gives none.
std::string default_role_session_name(std::chrono::system_clock::time_point now);

// The POST to `endpoint` with its form body; invalid_argument if a
// parameter breaks STS's rules (ARN shape, session name characters and
// length, duration range, external id). AssumeRole still has to be signed
// (service "sts", endpoint.signing_region); web identity is not signed.
Result<HttpCall> assume_role_call(const StsEndpoint& endpoint, const AssumeRoleParameters& parameters);
Result<HttpCall> assume_role_with_web_identity_call(const StsEndpoint& endpoint,
                                                    const WebIdentityParameters& parameters);

// Reads STS's answer (`status` the HTTP status). An <ErrorResponse> is an
// Error carrying its Code and Message: permission_denied for AccessDenied,
// unauthenticated for bad or expired caller credentials and refused
// identity tokens, unavailable for throttling and 5xx. An answer that is
// not the expected XML is unavailable.
Result<ExpiringCredentials> parse_assume_role_response(unsigned status, std::string_view body);
Result<ExpiringCredentials> parse_assume_role_with_web_identity_response(unsigned status, std::string_view body);

}  // namespace tether::providers::aws
