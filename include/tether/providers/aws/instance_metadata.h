#pragma once

// EC2 instance metadata (IMDSv2): a PUT for a session token, then with it
// a GET for the instance profile's role name and one for the role's
// credentials. Only the requests and the answers are here; a later piece
// sends them (with a short timeout: off EC2 nothing answers).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/providers/aws/credentials.h"
#include "tether/providers/aws/shared_config.h"

namespace tether::providers::aws {

// nullopt when AWS_EC2_METADATA_DISABLED is "true". Else
// AWS_EC2_METADATA_SERVICE_ENDPOINT (or the profile's
// ec2_metadata_service_endpoint), else by AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
// (or the profile's ec2_metadata_service_endpoint_mode): IPv4
// http://169.254.169.254 (the default) or IPv6 http://[fd00:ec2::254].
// invalid_argument naming the variable or line at fault.
Result<std::optional<Url>> instance_metadata_endpoint(const Environment& environment, const Profile& profile);

// Whether a failed token request may fall back to IMDSv1 (no token): not
// when AWS_EC2_METADATA_V1_DISABLED (else the profile's
// ec2_metadata_v1_disabled) is "true".
bool imds_v1_disabled(const Environment& environment, const Profile& profile);

// PUT /latest/api/token, the token to live `ttl` (1 s to 6 h).
HttpCall imds_token_call(const Url& endpoint, std::chrono::seconds ttl = std::chrono::hours(6));

// GET /latest/meta-data/iam/security-credentials/; an empty token makes
// it an IMDSv1 request.
HttpCall imds_role_list_call(const Url& endpoint, const Secret& token);

// GET /latest/meta-data/iam/security-credentials/<role>; invalid_argument
// if `role` is not an IAM role name.
Result<HttpCall> imds_role_credentials_call(const Url& endpoint, std::string_view role, const Secret& token);

// The answers, `status` the HTTP status. A 404 for the role list means
// the instance has no role: not_found.
Result<Secret> parse_imds_token(unsigned status, std::string_view body);
Result<std::string> parse_imds_role_list(unsigned status, std::string_view body);  // the first role
// {"Code": "Success", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
Result<ExpiringCredentials> parse_imds_credentials(unsigned status, std::string_view body);

}  // namespace tether::providers::aws
