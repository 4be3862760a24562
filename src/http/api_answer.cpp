#include "tether/http/api_answer.h"

#include "tether/core/json.h"

namespace tether::http {
namespace {

ErrorKind kind_for_status(unsigned status) {
    switch (status) {
        case 400:
        case 413:
        case 422: return ErrorKind::invalid_argument;
        case 401: return ErrorKind::unauthenticated;
        case 403: return ErrorKind::permission_denied;
        case 404: return ErrorKind::not_found;
        case 409: return ErrorKind::already_exists;
        default: return ErrorKind::unavailable;
    }
}

}  // namespace

Result<nlohmann::json> read_api_answer(const Response& response, std::size_t max_depth) {
    auto answer = parse_json(response.body, max_depth);
    unsigned status = response.status;
    if (status >= 200 && status < 300) {
        if (!answer) {
            return Error{ErrorKind::unavailable, "the server answered with invalid JSON (" + answer.error().message + ")"};
        }
        return std::move(answer).value();
    }
    const nlohmann::json parsed = answer ? std::move(answer).value() : nlohmann::json();
    ErrorKind kind = kind_for_status(status);
    std::string message = "HTTP " + std::to_string(status);
    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
        const nlohmann::json& error = parsed["error"];
        if (error.contains("message") && error["message"].is_string()) message = error["message"].get<std::string>();
        if (error.contains("code") && error["code"].is_string()) {
            kind = parse_error_kind(error["code"].get_ref<const std::string&>()).value_or(kind);
        }
        if (parsed.contains("request_id") && parsed["request_id"].is_string()) {
            message += " (request " + parsed["request_id"].get<std::string>() + ")";
        }
    }
    return Error{kind, message};
}

}  // namespace tether::http
