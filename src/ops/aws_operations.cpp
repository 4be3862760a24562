// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <algorithm>

#include "tether/core/text.h"
#include "http_call.h"
#include "tether/ops/catalog.h"
#include "tether/providers/aws/provider.h"
#include "tether/providers/aws/sigv4.h"

// aws.call (docs/providers.md): one request to an AWS API, signed on the
// runner with the connection's credentials. The operation says what to
// ask; the runner decides where it may go and with which identity.
namespace tether::ops {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

Error invalid_aws_call(std::string message) { return {ErrorKind::invalid_argument, "aws.call: " + std::move(message)}; }

bool is_name(std::string_view text, std::size_t longest) {
    return !text.empty() && text.size() <= longest && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// Headers the signer and the HTTP layer own.
bool is_reserved_header(std::string_view lower) {
    return lower == "host" || lower == "authorization" || lower == "x-amz-date" || lower == "x-amz-security-token" ||
           lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
           lower == "x-amz-content-sha256";
}

Result<std::string> string_param(const json& params, const char* key, std::string fallback) {
    auto found = params.find(key);
    if (found == params.end() || found->is_null()) return fallback;
    if (!found->is_string()) return invalid_aws_call(std::string(key) + " must be a string");
    return found->get<std::string>();
}

// The request the params describe, aimed at the connection's endpoint.
Result<providers::Call> build_call(const json& params, const providers::ConnectionConfig& connection,
                                   const providers::ProviderContext& context) {
    auto known = check_known_params(params, {"service", "region", "method", "path", "query", "headers", "body", "form",
                                             "max_response_bytes"},
                                    "aws.call");
    if (!known) return known.error();
    auto service = string_param(params, "service", "");
    if (!service) return service.error();
    if (!is_name(service.value(), 64)) return invalid_aws_call("service must be an AWS service's endpoint name such as ec2, s3 or sts");
    std::optional<std::string> region;
    if (params.contains("region")) {
        auto given = string_param(params, "region", "");
        if (!given) return given.error();
        region = given.value();
    }
    auto target = providers::aws::service_target(connection, service.value(), region, context.environment);
    if (!target) return target.error();

    providers::Call call;
    call.aws = providers::Call::AwsSigning{service.value(), target.value().region, service.value() == "s3"};
    http::Request& request = call.request;
    request.url = target.value().base;
    request.timeout = call_timeout;

    bool has_form = params.contains("form") && !params["form"].is_null();
    auto method = string_param(params, "method", has_form ? "POST" : "GET");
    if (!method) return method.error();
    if (method.value().empty() || method.value().size() > 16 ||
        !std::all_of(method.value().begin(), method.value().end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return invalid_aws_call("method must be an HTTP method in capitals, such as GET or POST");
    }
    request.method = method.value();

    auto path = string_param(params, "path", "/");
    if (!path) return path.error();
    if (!is_request_path(path.value())) return invalid_aws_call("path must start with '/' and be percent-encoded, without a query");
    std::string base_path = request.url.target == "/" ? "" : request.url.target;
    request.url.target = base_path + path.value();
    if (params.contains("query") && !params["query"].is_null()) {
        auto query = encoded_query(params["query"], "aws.call: query");
        if (!query) return query.error();
        if (!query.value().empty()) request.url.target += "?" + query.value();
    }
    if (params.contains("headers") && !params["headers"].is_null()) {
        if (!params["headers"].is_object()) return invalid_aws_call("headers must be an object of strings");
        for (const auto& [name, value] : params["headers"].items()) {
            if (!value.is_string()) return invalid_aws_call("header " + name.substr(0, 64) + " must be a string");
            if (is_reserved_header(text::ascii_lower(name))) {
                return invalid_aws_call("header " + name.substr(0, 64) + " is set by the runner, not the caller");
            }
            request.headers.emplace_back(name, value.get<std::string>());
        }
    }
    bool has_body = params.contains("body") && !params["body"].is_null();
    if (has_body && has_form) return invalid_aws_call("give body or form, not both");
    if (has_body) {
        auto body = string_param(params, "body", "");
        if (!body) return body.error();
        request.body = body.value();
    }
    if (has_form) {
        auto form = encoded_query(params["form"], "aws.call: form");
        if (!form) return form.error();
        request.body = form.value();
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    }
    auto limit = response_limit(params, "aws.call");
    if (!limit) return limit.error();
    request.max_response_bytes = limit.value();
    return call;
}

asio::awaitable<Result<json>> aws_call(const json& params, OperationContext& context) {
    if (context.connection == nullptr) co_return invalid_aws_call("needs a connection");
    if (context.providers == nullptr || context.provider_context == nullptr || context.provider_context->http == nullptr) {
        co_return Error{ErrorKind::failed_precondition, "aws.call: this runner has no credential providers"};
    }
    auto call = build_call(params, *context.connection, *context.provider_context);
    if (!call) co_return call.error();
    co_return co_await send_authorized(call.value(), context);
}

}  // namespace

void register_aws_operations(Catalog& catalog) { (void)catalog.add("aws.call", aws_call); }

}  // namespace tether::ops
