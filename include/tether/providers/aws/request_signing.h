#pragma once

// Signature Version 4 on an http::Request as it will be sent: the one
// place tether signs an AWS request (aws.call, STS AssumeRole).
#include <chrono>

#include "tether/http/client.h"
#include "tether/providers/aws/sigv4.h"

namespace tether::providers::aws {

struct SigningScope {
    std::string service;  // the signing name: "ec2", "s3", "sts"
    std::string region;
    bool s3 = false;      // S3's rules: path as sent, x-amz-content-sha256
};

// Adds Host (as sent), X-Amz-Date, X-Amz-Security-Token when there is a
// session token, x-amz-content-sha256 for S3, and Authorization.
Result<Done> sign_request(http::Request& request, const Credentials& credentials, const SigningScope& scope,
                          std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace tether::providers::aws
