#include "http_call.h"

#include <algorithm>

#include "tether/core/text.h"
#include "tether/core/json.h"
#include "tether/crypto/base64.h"
#include "tether/providers/aws/sigv4.h"

namespace tether::ops {
namespace {

// Hop-by-hop fields say nothing about the API's answer.
bool is_returned_header(std::string_view lower) {
    return lower != "connection" && lower != "keep-alive" && lower != "transfer-encoding" && lower != "set-cookie";
}

}  // namespace

Result<std::string> encoded_query(const nlohmann::json& object, std::string_view what) {
    auto invalid = [&](const std::string& rest) { return Error{ErrorKind::invalid_argument, std::string(what) + rest}; };
    if (!object.is_object()) return invalid(" must be an object of strings");
    std::string out;
    for (const auto& [key, value] : object.items()) {
        if (!value.is_string()) return invalid(" " + key.substr(0, 64) + " must be a string");
        if (!out.empty()) out += '&';
        out += text::percent_encode(key, false) + "=" + text::percent_encode(value.get<std::string>(), false);
    }
    return out;
}

Result<Done> check_known_params(const nlohmann::json& params, std::initializer_list<std::string_view> known,
                                std::string_view operation) {
    for (const auto& [key, value] : params.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            return Error{ErrorKind::invalid_argument,
                         std::string(operation) + ": unknown parameter '" + key.substr(0, 64) + "'"};
        }
    }
    return Done{};
}

bool is_request_path(std::string_view path) {
    return path.starts_with('/') && std::none_of(path.begin(), path.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f || c == '?' || c == '#';
    });
}

Result<std::size_t> response_limit(const nlohmann::json& params, std::string_view operation) {
    if (!params.contains("max_response_bytes")) return default_max_response_bytes;
    const nlohmann::json& limit = params["max_response_bytes"];
    if (!limit.is_number_unsigned() || limit.get<std::size_t>() == 0 || limit.get<std::size_t>() > default_max_response_bytes) {
        return Error{ErrorKind::invalid_argument, std::string(operation) + ": max_response_bytes must be from 1 to " +
                                                      std::to_string(default_max_response_bytes)};
    }
    return limit.get<std::size_t>();
}

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

boost::asio::awaitable<Result<nlohmann::json>> send_authorized(providers::Call& call, OperationContext& context,
                                                               bool json_body) {
    auto authorized = co_await providers::authorize_call(*context.providers, *context.connection, call,
                                                         *context.provider_context);
    if (!authorized) co_return authorized.error();
    if (context.endpoint != nullptr) *context.endpoint = call.request.url.authority.to_string();
    auto response = co_await context.provider_context->http->send(call.request, call.tls);
    // A signature or a token goes with the request.
    for (auto& [name, value] : call.request.headers) wipe(value);
    if (!response) co_return response.error();

    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : response.value().headers) {
        if (is_returned_header(name)) headers[name] = value;
    }
    nlohmann::json result = {{"status", response.value().status}, {"headers", std::move(headers)}};
    std::string& body = response.value().body;
    if (json_body) {
        // The body travels two levels down (message, result); nested deeper
        // than that allows, or not JSON at all, it comes back as text.
        if (auto parsed = parse_json(body, max_json_depth - 2)) {
            result["body"] = std::move(parsed).value();
            co_return result;
        }
    }
    if (is_utf8(body)) {
        result["body"] = std::move(body);
    } else {
        result["body_base64"] = crypto::base64_encode(body);
    }
    co_return result;
}

}  // namespace tether::ops
