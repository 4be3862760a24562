#pragma once

// Container credentials (ECS tasks, EKS Pod Identity): the agent publishes
// a URL in the environment, and a GET there answers with temporary keys.
// Only the request and the answer are here; a later piece sends it.
#include <string_view>

#include "tether/core/error.h"
#include "tether/providers/aws/credentials.h"
#include "tether/providers/aws/shared_config.h"

namespace tether::providers::aws {

// Whether the environment names a container endpoint at all.
bool has_container_credentials(const Environment& environment);

// The GET to make:
//  - AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: http://169.254.170.2 + the URI;
//  - else AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere, http only to
//    a loopback address, localhost, 169.254.170.2, 169.254.170.23 or
//    [fd00:ec2::23] (the hosts the SDKs allow, so no token goes elsewhere
//    in clear);
// with an Authorization header holding the token of the file
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read each time: it rotates),
// else of AWS_CONTAINER_AUTHORIZATION_TOKEN. failed_precondition when
// neither URI is set; invalid_argument naming the variable at fault.
Result<HttpCall> container_credentials_call(const Environment& environment);

// The answer: {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"};
// an error answer ({"code", "message"}) or a non-2xx status is an Error.
Result<ExpiringCredentials> parse_container_credentials(unsigned status, std::string_view body);

}  // namespace tether::providers::aws
