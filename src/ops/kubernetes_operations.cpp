// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <algorithm>

#include "tether/core/text.h"
#include "tether/ops/catalog.h"
#include "http_call.h"
#include "tether/providers/aws/sigv4.h"
#include "tether/providers/kubernetes/provider.h"

// kubernetes.call (docs/providers.md): one request to a cluster's API
// server with the connection's credentials. The operation gives a path; the
// runner decides which cluster that is and how to authenticate.
namespace tether::ops {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

Error invalid_kubernetes_call(std::string message) { return {ErrorKind::invalid_argument, "kubernetes.call: " + std::move(message)}; }

Result<providers::Call> build_call(const json& params, const providers::kubernetes::ClusterAccess& access) {
    auto known = check_known_params(params, {"method", "path", "namespace", "query", "body", "content_type",
                                             "max_response_bytes"},
                                    "kubernetes.call");
    if (!known) return known.error();
    auto text = [&](const char* key, std::string fallback) -> Result<std::string> {
        if (!params.contains(key) || params[key].is_null()) return fallback;
        if (!params[key].is_string()) return invalid_kubernetes_call(std::string(key) + " must be a string");
        return params[key].get<std::string>();
    };
    auto method = text("method", "GET");
    if (!method) return method.error();
    static const std::vector<std::string_view> methods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    if (std::find(methods.begin(), methods.end(), method.value()) == methods.end()) {
        return invalid_kubernetes_call("method must be GET, POST, PUT, PATCH, DELETE or HEAD");
    }
    auto path = text("path", "");
    if (!path) return path.error();
    auto namespace_name = text("namespace", access.namespace_name);
    if (!namespace_name) return namespace_name.error();
    std::string target = path.value();
    // "{namespace}" stands for the namespace asked for, else the connection's.
    for (std::size_t at = target.find("{namespace}"); at != std::string::npos; at = target.find("{namespace}")) {
        target.replace(at, 11, text::percent_encode(namespace_name.value(), false));
    }
    if (!is_request_path(target)) return invalid_kubernetes_call("path must start with '/' and be percent-encoded, without a query");

    auto base = parse_url(access.server);
    if (!base) return base.error();
    providers::Call call;
    http::Request& request = call.request;
    request.method = method.value();
    request.url = base.value();
    std::string prefix = request.url.target == "/" ? "" : request.url.target;
    if (prefix.ends_with('/')) prefix.pop_back();
    request.url.target = prefix + target;
    if (params.contains("query") && !params["query"].is_null()) {
        auto query = encoded_query(params["query"], "kubernetes.call: query");
        if (!query) return query.error();
        if (!query.value().empty()) request.url.target += "?" + query.value();
    }
    request.headers.emplace_back("Accept", "application/json");
    if (params.contains("body") && !params["body"].is_null()) {
        const json& body = params["body"];
        request.body = body.is_string() ? body.get<std::string>() : body.dump();
        auto content_type = text("content_type", method.value() == "PATCH" ? "application/merge-patch+json" : "application/json");
        if (!content_type) return content_type.error();
        request.headers.emplace_back("Content-Type", content_type.value());
    }
    request.timeout = call_timeout;
    auto limit = response_limit(params, "kubernetes.call");
    if (!limit) return limit.error();
    request.max_response_bytes = limit.value();
    return call;
}

asio::awaitable<Result<json>> kubernetes_call(const json& params, OperationContext& context) {
    if (context.connection == nullptr) co_return invalid_kubernetes_call("needs a connection");
    if (context.providers == nullptr || context.provider_context == nullptr || context.provider_context->http == nullptr) {
        co_return Error{ErrorKind::failed_precondition, "kubernetes.call: this runner has no credential providers"};
    }
    if (context.connection->provider != "kubernetes") {
        co_return invalid_kubernetes_call("connection " + context.connection->name + " is a " + context.connection->provider +
                          " connection, not a kubernetes one");
    }
    auto access = providers::kubernetes::connection_cluster(*context.connection, context.provider_context->environment);
    if (!access) co_return access.error();
    auto call = build_call(params, access.value());
    if (!call) co_return call.error();
    co_return co_await send_authorized(call.value(), context, /*json_body=*/true);
}

}  // namespace

void register_kubernetes_operations(Catalog& catalog) { (void)catalog.add("kubernetes.call", kubernetes_call); }

}  // namespace tether::ops
