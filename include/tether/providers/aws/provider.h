#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tether/providers/aws/credential_chain.h"
#include "tether/providers/provider.h"

// The AWS provider: inline keys, the runner's own identity (the SDKs'
// default chain) and cross-account roles, each signing with Signature
// Version 4.
namespace tether::providers::aws {

// Where a call to `service` (its endpoint and signing name, lower-case:
// "ec2", "s3", "sts") goes for this connection, and in which region.
struct ServiceTarget {
    Url base;  // scheme and authority; target "/"
    std::string region;
};

// The region: `region` if given, else the connection's, else the runner's
// (AWS_REGION, AWS_DEFAULT_REGION, the profile's). The URL: the
// connection's endpoint_url, else the SDKs' endpoint conventions
// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's), else the
// service's own endpoint in the region. invalid_argument naming what is
// missing.
Result<ServiceTarget> service_target(const ConnectionConfig& connection, std::string_view service,
                                     const std::optional<std::string>& region, const Environment& environment);

// Whether an AWS call may carry credentials to its host: one of AWS's
// domains (*.amazonaws.com, *.amazonaws.com.cn, *.api.aws, *.c2s.ic.gov,
// *.sc2s.sgov.gov), or the endpoint the connection's endpoint_url or the
// runner's endpoint settings configure for the service.
bool is_aws_endpoint(const ConnectionConfig& connection, const Call& call, const Environment& environment);

// Inline credentials: {"access_key_id", "secret_access_key", "session_token"?}.
Result<Credentials> parse_inline_credentials(const Secret& text);

class AwsProvider final : public Provider {
public:
    std::string_view name() const override { return "aws"; }
    bool sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                              const ProviderContext& context) const override;
    boost::asio::awaitable<Result<Done>> authorize(const ConnectionConfig& connection, Call& call,
                                                   ProviderContext& context) override;

private:
    CredentialChain chain_;
};

}  // namespace tether::providers::aws
