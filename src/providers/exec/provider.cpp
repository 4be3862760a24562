#include "tether/providers/exec/provider.h"

#include <nlohmann/json.hpp>

#include "tether/providers/aws/credential_chain.h"
#include "tether/providers/aws/credential_process.h"
#include "tether/providers/aws/provider.h"
#include "tether/providers/aws/request_signing.h"
#include "tether/providers/offload.h"
#include "tether/providers/process.h"

namespace tether::providers::exec {

std::string plugin_input(const ConnectionConfig& connection, const Call& call) {
    nlohmann::json input = {{"connection", connection.name}, {"settings", connection.settings}};
    if (call.aws) {
        input["service"] = call.aws->service;
        input["region"] = call.aws->region;
    }
    return input.dump();
}

bool ExecProvider::sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                                        const ProviderContext& context) const {
    return call.aws && aws::is_aws_endpoint(connection, call, context.environment);
}

boost::asio::awaitable<Result<Done>> ExecProvider::authorize(const ConnectionConfig& connection, Call& call,
                                                             ProviderContext& /*context*/) {
    if (!call.aws) {
        co_return Error{ErrorKind::invalid_argument,
                        "connection " + connection.name + " (exec) gives AWS credentials: it serves aws.call only"};
    }
    std::string key = connection.name + "\n" + connection.settings.dump();
    auto cached = cache_.find(key);
    if (cached == cache_.end() || !cached->second.expiration ||
        *cached->second.expiration <= std::chrono::system_clock::now() + aws::refresh_margin) {
        ProcessRequest request;
        request.argv.push_back(plugin_.command.string());
        request.argv.insert(request.argv.end(), plugin_.args.begin(), plugin_.args.end());
        request.stdin_text = Secret(plugin_input(connection, call));
        request.timeout = plugin_.timeout;
        request.max_stdout_bytes = plugin_.max_output_bytes;
        // A named callable: GCC 12 destroys a temporary lambda in a co_await twice.
        auto run = [request = std::move(request)]() { return run_process(request); };
        auto output = co_await offload(std::move(run));
        if (!output) co_return output.error();
        std::string program = plugin_.command.filename().string();
        auto fresh = aws::parse_credential_process_output(output.value().stdout_text.reveal(), program);
        if (!fresh) co_return fresh.error();
        cached = cache_.insert_or_assign(key, std::move(fresh).value()).first;
    }
    aws::Credentials credentials = aws::copy(cached->second.credentials);
    if (!cached->second.expiration) cache_.erase(cached);  // without an expiry: asked again next time
    co_return aws::sign_request(call.request, credentials, {call.aws->service, call.aws->region, call.aws->s3});
}

}  // namespace tether::providers::exec
