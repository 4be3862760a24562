// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <algorithm>

#include "tether/core/text.h"
#include "tether/crypto/base64.h"
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

constexpr std::size_t default_max_response_bytes = 16 * 1024 * 1024;
constexpr std::chrono::seconds call_timeout{60};

Error invalid(std::string message) { return {ErrorKind::invalid_argument, "aws.call: " + std::move(message)}; }

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

// Hop-by-hop fields say nothing about the API's answer.
bool is_returned_header(std::string_view lower) {
    return lower != "connection" && lower != "keep-alive" && lower != "transfer-encoding" && lower != "set-cookie";
}

Result<std::string> string_param(const json& params, const char* key, std::string fallback) {
    auto found = params.find(key);
    if (found == params.end() || found->is_null()) return fallback;
    if (!found->is_string()) return invalid(std::string(key) + " must be a string");
    return found->get<std::string>();
}

// key=value pairs percent-encoded as SigV4 wants them, in the given order.
Result<std::string> encoded_pairs(const json& object, const char* what) {
    if (!object.is_object()) return invalid(std::string(what) + " must be an object of strings");
    std::string out;
    for (const auto& [key, value] : object.items()) {
        if (!value.is_string()) return invalid(std::string(what) + " " + key.substr(0, 64) + " must be a string");
        if (!out.empty()) out += '&';
        out += providers::aws::uri_encode(key, false) + "=" + providers::aws::uri_encode(value.get<std::string>(), false);
    }
    return out;
}

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates): such a body goes back as text, any other as base64.
bool is_utf8(std::string_view text) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = byte(i);
        std::size_t extra = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (c < 0x80) {
            extra = 0;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0) low = 0xA0;
            if (c == 0xED) high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0) low = 0x90;
            if (c == 0xF4) high = 0x8F;
        } else {
            return false;
        }
        if (text.size() - i <= extra) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            unsigned char next = byte(i + k);
            if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) return false;
        }
        i += extra + 1;
    }
    return true;
}

// The request the params describe, aimed at the connection's endpoint.
Result<providers::Call> build_call(const json& params, const providers::ConnectionConfig& connection,
                                   const providers::ProviderContext& context) {
    static const std::vector<std::string_view> known = {"service", "region", "method", "path", "query",
                                                        "headers", "body", "form", "max_response_bytes"};
    for (const auto& [key, value] : params.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) return invalid("unknown parameter '" + key.substr(0, 64) + "'");
    }
    auto service = string_param(params, "service", "");
    if (!service) return service.error();
    if (!is_name(service.value(), 64)) return invalid("service must be an AWS service's endpoint name such as ec2, s3 or sts");
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
        return invalid("method must be an HTTP method in capitals, such as GET or POST");
    }
    request.method = method.value();

    auto path = string_param(params, "path", "/");
    if (!path) return path.error();
    bool path_ok = path.value().starts_with('/') && std::none_of(path.value().begin(), path.value().end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f || c == '?' || c == '#';
    });
    if (!path_ok) return invalid("path must start with '/' and be percent-encoded, without a query");
    std::string base_path = request.url.target == "/" ? "" : request.url.target;
    request.url.target = base_path + path.value();
    if (params.contains("query") && !params["query"].is_null()) {
        auto query = encoded_pairs(params["query"], "query");
        if (!query) return query.error();
        if (!query.value().empty()) request.url.target += "?" + query.value();
    }
    if (params.contains("headers") && !params["headers"].is_null()) {
        if (!params["headers"].is_object()) return invalid("headers must be an object of strings");
        for (const auto& [name, value] : params["headers"].items()) {
            if (!value.is_string()) return invalid("header " + name.substr(0, 64) + " must be a string");
            if (is_reserved_header(text::ascii_lower(name))) {
                return invalid("header " + name.substr(0, 64) + " is set by the runner, not the caller");
            }
            request.headers.emplace_back(name, value.get<std::string>());
        }
    }
    bool has_body = params.contains("body") && !params["body"].is_null();
    if (has_body && has_form) return invalid("give body or form, not both");
    if (has_body) {
        auto body = string_param(params, "body", "");
        if (!body) return body.error();
        request.body = body.value();
    }
    if (has_form) {
        auto form = encoded_pairs(params["form"], "form");
        if (!form) return form.error();
        request.body = form.value();
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    }
    request.max_response_bytes = default_max_response_bytes;
    if (params.contains("max_response_bytes")) {
        const json& limit = params["max_response_bytes"];
        if (!limit.is_number_unsigned() || limit.get<std::size_t>() == 0 || limit.get<std::size_t>() > default_max_response_bytes) {
            return invalid("max_response_bytes must be from 1 to " + std::to_string(default_max_response_bytes));
        }
        request.max_response_bytes = limit.get<std::size_t>();
    }
    return call;
}

asio::awaitable<Result<json>> aws_call(const json& params, OperationContext& context) {
    if (context.connection == nullptr) co_return invalid("needs a connection");
    if (context.providers == nullptr || context.provider_context == nullptr || context.provider_context->http == nullptr) {
        co_return Error{ErrorKind::failed_precondition, "aws.call: this runner has no credential providers"};
    }
    auto call = build_call(params, *context.connection, *context.provider_context);
    if (!call) co_return call.error();
    auto authorized = co_await providers::authorize_call(*context.providers, *context.connection, call.value(),
                                                         *context.provider_context);
    if (!authorized) co_return authorized.error();
    if (context.endpoint != nullptr) *context.endpoint = call.value().request.url.authority.to_string();
    auto response = co_await context.provider_context->http->send(call.value().request, call.value().tls);
    // The signature is good for minutes: it goes with the request.
    for (auto& [name, value] : call.value().request.headers) wipe(value);
    if (!response) co_return response.error();

    json headers = json::object();
    for (const auto& [name, value] : response.value().headers) {
        if (is_returned_header(name)) headers[name] = value;
    }
    json result = {{"status", response.value().status}, {"headers", std::move(headers)}};
    std::string& body = response.value().body;
    if (is_utf8(body)) {
        result["body"] = std::move(body);
    } else {
        result["body_base64"] = crypto::base64_encode(body);
    }
    co_return result;
}

}  // namespace

void register_aws_operations(Catalog& catalog) { (void)catalog.add("aws.call", aws_call); }

}  // namespace tether::ops
