#pragma once

// The runner's own AWS identity, found the way the AWS SDKs find it, and
// roles assumed with it. Temporary credentials are cached until shortly
// before they expire; long-term ones (environment, shared files) are read
// again each time, so a rotated key takes effect at once.
#include <chrono>
#include <map>
#include <optional>
#include <string>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "tether/providers/aws/credentials.h"
#include "tether/providers/aws/sts.h"
#include "tether/providers/provider.h"

namespace tether::providers::aws {

Credentials copy(const Credentials& credentials);

// How long before its expiration a cached credential is replaced.
inline constexpr std::chrono::minutes refresh_margin{5};

class CredentialChain {
public:
    // The default chain, in the SDKs' order: environment variables
    // (skipped when a profile is named explicitly), web identity (IRSA:
    // AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or the profile's),
    // the shared config and credentials files (static keys, role_arn with
    // source_profile or credential_source, credential_process), ECS
    // container credentials, EC2 instance metadata (IMDSv2). The first
    // source that is configured answers; if it fails, so does the chain.
    boost::asio::awaitable<Result<Credentials>> resolve(const std::optional<std::string>& profile,
                                                        ProviderContext& context);

    // STS AssumeRole into `parameters.role_arn` with the default chain's
    // credentials (of `profile`) as the source, in `region`.
    boost::asio::awaitable<Result<Credentials>> assume_role(const AssumeRoleParameters& parameters,
                                                            const std::optional<std::string>& profile,
                                                            const std::string& region, ProviderContext& context);

private:
    boost::asio::awaitable<Result<Credentials>> assume_with(const AssumeRoleParameters& parameters,
                                                            const Credentials& source, const std::string& region,
                                                            const Profile& profile, ProviderContext& context);
    boost::asio::awaitable<Result<ExpiringCredentials>> from_profile(const SharedConfig& config, const Profile& profile,
                                                                     ProviderContext& context, int depth);
    boost::asio::awaitable<Result<ExpiringCredentials>> cached(const std::string& key, ProviderContext& context,
                                                               std::function<boost::asio::awaitable<Result<ExpiringCredentials>>()> fetch);

    std::map<std::string, ExpiringCredentials> cache_;
};

// Sends `call` through the runner's pool (a credential source's request:
// STS, ECS, IMDS) and wipes its secret parts afterwards.
boost::asio::awaitable<Result<http::Response>> send_call(HttpCall& call, ProviderContext& context);

}  // namespace tether::providers::aws
