#include "tether/admin/api_client.h"

#include "tether/core/json.h"
#include "tether/core/text.h"

#include "tether/http/api_answer.h"
#include "tether/http/client.h"

namespace tether::admin {

ApiTarget api_path(std::initializer_list<std::string_view> segments) {
    std::string path = "/v1";
    for (std::string_view segment : segments) path += "/" + text::percent_encode(segment);
    return ApiTarget(std::move(path));
}

ApiTarget ApiTarget::query(std::string_view name, std::string_view value) const {
    if (value.empty()) return *this;
    bool first = text_.find('?') == std::string::npos;
    return ApiTarget(text_ + (first ? "?" : "&") + text::percent_encode(name) + "=" + text::percent_encode(value));
}

Result<nlohmann::json> call_api(const AdminConfig& config, const std::string& method, const ApiTarget& target,
                                const nlohmann::json* body, bool authenticated) {
    http::Request request;
    request.method = method;
    request.url = config.server;
    request.url.target = target.text();
    request.timeout = config.timeout;
    // An operation carries its parameters and its result, each up to a tunnel message (16 MiB by default).
    request.max_response_bytes = 64 * 1024 * 1024;
    request.ca = config.ca ? &*config.ca : nullptr;
    std::string authorization;
    if (authenticated) {
        if (!config.api_key) {
            return Error{ErrorKind::unauthenticated,
                         "no API key: use --api-key-file FILE, TETHER_API_KEY, or api_key in the admin config"};
        }
        authorization = "Bearer " + std::string(config.api_key->reveal());
        request.headers.emplace_back("Authorization", authorization);
    }
    if (body != nullptr) {
        request.body = body->dump();
        request.headers.emplace_back("Content-Type", "application/json");
    }
    auto response = http::fetch(request);
    wipe(authorization);
    for (auto& [name, value] : request.headers) wipe(value);
    wipe(request.body);  // may carry a connection's inline credentials
    if (!response) {
        return Error{response.error().kind, response.error().message + " (server " + config.server.to_string() + ")"};
    }

    // An operation's answer carries its params and result one level down.
    return http::read_api_answer(response.value(), max_json_depth + 1);
}

nlohmann::json call_or_fail(const AdminConfig& config, const std::string& method, const ApiTarget& target,
                            const nlohmann::json* body) {
    auto answer = call_api(config, method, target.query("org", config.org), body);
    if (!answer) fail(answer.error());
    return std::move(answer).value();
}

}  // namespace tether::admin
