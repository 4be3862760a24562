#include "tether/runner/control_plane.h"

#include <boost/asio/ssl/context.hpp>

#include "tether/core/json.h"
#include "tether/http/api_answer.h"
#include "tether/pki/tls.h"
#include "tether/providers/connection.h"

namespace tether::runner {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// A resolve answer holds at most 64 values of 64 KiB, JSON-escaped.
constexpr std::size_t max_answer_bytes = 64 * 6 * 64 * 1024 + 64 * 1024;
constexpr std::size_t max_answer_depth = 8;

}  // namespace

Result<std::unique_ptr<ControlPlane>> ControlPlane::create(std::shared_ptr<http::ConnectionPool> pool, Url api,
                                                           const pki::Certificate& ca, Secret api_key,
                                                           std::chrono::milliseconds timeout) {
    if (api.scheme != "https") {
        return Error{ErrorKind::invalid_argument, "the API endpoint must be https, not " + api.to_string()};
    }
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    if (auto configured = pki::configure_client_tls(tls->native_handle(), ca); !configured) return configured.error();
    return std::unique_ptr<ControlPlane>(
        new ControlPlane(std::move(pool), std::move(api), std::move(tls), std::move(api_key), timeout));
}

ControlPlane::ControlPlane(std::shared_ptr<http::ConnectionPool> pool, Url api, http::TlsContext tls, Secret api_key,
                           std::chrono::milliseconds timeout)
    : pool_(std::move(pool)), api_(std::move(api)), tls_(std::move(tls)), api_key_(std::move(api_key)), timeout_(timeout) {}

asio::awaitable<Result<http::Response>> ControlPlane::exchange(const std::string& method, const std::string& path,
                                                               std::string body) {
    http::Request request;
    request.method = method;
    request.url = api_;
    std::string base = api_.target;
    while (!base.empty() && base.back() == '/') base.pop_back();
    request.url.target = base + path;
    request.timeout = timeout_;
    request.max_response_bytes = max_answer_bytes;
    request.headers.emplace_back("Authorization", "Bearer " + std::string(api_key_.reveal()));
    if (!body.empty()) {
        request.headers.emplace_back("Content-Type", "application/json");
        request.body = std::move(body);
    }
    auto response = co_await pool_->send(request, tls_);
    for (auto& [name, value] : request.headers) wipe(value);
    if (!response) {
        co_return Error{response.error().kind,
                        "the server's API at " + api_.authority.to_string() + ": " + response.error().message};
    }
    co_return response;
}

asio::awaitable<Result<ControlPlaneIdentity>> ControlPlane::whoami() {
    auto response = co_await exchange("GET", "/v1/whoami", "");
    if (!response) co_return response.error();
    auto answer = http::read_api_answer(response.value(), max_answer_depth);
    if (!answer) co_return answer.error();
    const json& me = answer.value();
    if (!me.is_object() || !me.contains("org") || !me["org"].is_string() || !me.contains("service_account") ||
        !me["service_account"].is_string() || !me.contains("kind") || !me["kind"].is_string()) {
        co_return Error{ErrorKind::unavailable, "the server's /v1/whoami answer lacks org, service_account or kind"};
    }
    co_return ControlPlaneIdentity{me["org"].get<std::string>(), me["service_account"].get<std::string>(),
                                   me["kind"].get<std::string>()};
}

asio::awaitable<Result<std::vector<FetchedValue>>> ControlPlane::resolve(
    const std::string& operation_id, const std::vector<references::Reference>& wanted) {
    json body = {{"operation", operation_id}, {"references", json::array()}};
    for (const auto& reference : wanted) {
        json item = {{"source", references::to_string(reference.source)}, {"name", reference.name}};
        if (reference.version) item["version"] = *reference.version;
        body["references"].push_back(std::move(item));
    }
    auto response = co_await exchange("POST", "/v1/resolve", body.dump());
    if (!response) co_return response.error();
    auto answer = http::read_api_answer(response.value(), max_answer_depth);
    wipe(response.value().body);
    if (!answer) co_return answer.error();

    // The values leave the JSON for Secrets at once; the JSON is wiped.
    json& parsed = answer.value();
    std::vector<FetchedValue> out;
    std::optional<Error> malformed;
    const json* values = parsed.is_object() && parsed.contains("values") ? &parsed["values"] : nullptr;
    if (values == nullptr || !values->is_array() || values->size() != wanted.size()) {
        malformed = Error{ErrorKind::unavailable, "the server's resolve answer does not hold one value per reference"};
    } else {
        for (std::size_t i = 0; i < wanted.size() && !malformed; ++i) {
            const json& item = (*values)[i];
            if (!item.is_object() || !item.contains("value") || !item["value"].is_string() || !item.contains("version") ||
                !item["version"].is_number_integer() || item.value("name", "") != wanted[i].name) {
                malformed = Error{ErrorKind::unavailable, "the server's resolve answer is malformed"};
                break;
            }
            out.push_back({wanted[i], item["version"].get<std::int64_t>(),
                           Secret(item["value"].get_ref<const std::string&>())});
        }
    }
    wipe_json(parsed);
    if (malformed) co_return *malformed;
    co_return out;
}

}  // namespace tether::runner
