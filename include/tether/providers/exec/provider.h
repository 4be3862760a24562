#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tether/providers/aws/credentials.h"
#include "tether/providers/provider.h"

// The exec provider: a program the runner's own config names (never the
// server) gets the connection's name and settings as JSON on stdin and
// prints credentials as JSON, the shape of AWS's credential_process. This
// is how a site plugs in Vault, a secrets manager or anything else without
// rebuilding tether.
namespace tether::providers::exec {

struct ExecPlugin {
    std::filesystem::path command;  // absolute
    std::vector<std::string> args;
    std::chrono::milliseconds timeout{30'000};
    std::size_t max_output_bytes = 64 * 1024;
};

// What the plugin reads on stdin:
//   {"connection": NAME, "settings": {…}, "service": "sts", "region": "eu-west-1"}
std::string plugin_input(const ConnectionConfig& connection, const Call& call);

class ExecProvider final : public Provider {
public:
    explicit ExecProvider(ExecPlugin plugin) : plugin_(std::move(plugin)) {}

    std::string_view name() const override { return "exec"; }
    // AWS calls: AWS's domains and the endpoints configured for them, as
    // the aws provider. Nothing else yet.
    bool sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                              const ProviderContext& context) const override;
    // Runs the plugin (off the io thread), reads {"Version": 1,
    // "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?} and
    // signs the call. Credentials with an expiration are cached until 5
    // minutes before it, per connection and settings.
    boost::asio::awaitable<Result<Done>> authorize(const ConnectionConfig& connection, Call& call,
                                                   ProviderContext& context) override;

private:
    ExecPlugin plugin_;
    std::map<std::string, aws::ExpiringCredentials> cache_;  // touched on the io thread only
};

}  // namespace tether::providers::exec
