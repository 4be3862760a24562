#include "api_support.h"

#include <charconv>
#include <chrono>

#include "tether/core/log.h"
#include "tether/core/text.h"
#include "tether/core/json.h"
#include "tether/pki/identity.h"
#include "tether/store/audit_log.h"
#include "tether/core/timestamp.h"
#include "loggers.h"

namespace tether::server::api {
std::optional<std::string> query_value(const std::string& query, std::string_view key) {
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        std::string_view pair(query.data() + start, end - start);
        if (pair.substr(0, key.size()) == key && pair.size() > key.size() && pair[key.size()] == '=') {
            std::string_view raw = pair.substr(key.size() + 1);
            std::string decoded;
            // A malformed escape stays as it came, and fails the caller's check of the value.
            return text::append_percent_decoded(decoded, raw) ? decoded : std::string(raw);
        }
        start = end + 1;
    }
    return std::nullopt;
}

Result<std::int64_t> query_number(const std::string& query, std::string_view key, std::int64_t fallback) {
    auto text = query_value(query, key);
    if (!text) return fallback;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < 0) {
        return Error{ErrorKind::invalid_argument, std::string(key) + " must be a whole number"};
    }
    return value;
}

server::Handler holding_secrets(server::Handler handler) {
    return [handler = std::move(handler)](const HttpRequest& request) {
        HttpResponse response = handler(request);
        response.sensitive = true;
        return response;
    };
}

Handler revoking(RunnerTunnels& tunnels, Handler handler) {
    return [&tunnels, handler = std::move(handler)](const Call& call) -> Result<HttpResponse> {
        auto answer = handler(call);
        if (answer) tunnels.access_changed();
        return answer;
    };
}

HttpResponse error_answer(const Error& error, const std::string& request_id) {
    switch (error.kind) {
        case ErrorKind::invalid_argument: return error_response(400, "invalid_argument", error.message, request_id);
        case ErrorKind::unauthenticated: return error_response(401, "unauthenticated", error.message, request_id);
        case ErrorKind::permission_denied: return error_response(403, "permission_denied", error.message, request_id);
        case ErrorKind::not_found: return error_response(404, "not_found", error.message, request_id);
        case ErrorKind::already_exists: return error_response(409, "already_exists", error.message, request_id);
        case ErrorKind::failed_precondition:
            return error_response(409, "failed_precondition", error.message, request_id);
        case ErrorKind::unavailable: {
            // A full disk or a busy database passes: 503, so clients retry.
            api_log.error("request failed", {{"error", error.message}, {"request_id", request_id}});
            bool disk_full = error.message == store::disk_full_message;
            return error_response(503, "unavailable",
                                  disk_full ? error.message : "the server cannot do this now; try again (its log has the detail)",
                                  request_id);
        }
        case ErrorKind::deadline_exceeded:
        case ErrorKind::internal: break;
    }
    // The detail may name files or SQL: it goes to the log, not to the client.
    api_log.error("request failed", {{"error", error.message}, {"request_id", request_id}});
    return error_response(500, "internal", "internal error; the server log has the detail", request_id);
}

server::Handler guarded(const store::Database& database, auth::Role needed, Handler handler) {
    return [&database, needed, handler = std::move(handler)](const HttpRequest& request) {
        std::int64_t now = unix_now_seconds();
        auto principal = authenticate(database, request, now);
        if (!principal) {
            HttpResponse response = error_answer(principal.error(), request.request_id);
            response.headers.emplace_back("WWW-Authenticate", "Bearer");
            return response;
        }
        const store::ServiceAccount& account = principal.value().account;
        if (auto asked = query_value(request.query, "org"); asked && *asked != account.org) {
            // Another org's existence is not the caller's to learn.
            return error_answer({ErrorKind::not_found, "no org '" + *asked + "'"}, request.request_id);
        }
        if (!auth::allows(account.role, needed)) {
            api_log.warn("request refused",
                        {{"reason", "role"}, {"actor", actor_of(principal.value())}, {"needed", auth::to_string(needed)},
                         {"path", request.path}, {"request_id", request.request_id}});
            return error_answer({ErrorKind::permission_denied, std::string("this needs the ") + auth::to_string(needed) +
                                                                   " role; yours is " + auth::to_string(account.role)},
                                request.request_id);
        }
        auto org = store::find_org(database, account.org);
        if (!org) return error_answer(org.error(), request.request_id);
        auto answer = handler(Call{request, principal.value(), org.value(), now});
        return answer ? std::move(answer).value() : error_answer(answer.error(), request.request_id);
    };
}

Result<nlohmann::json> json_body(const HttpRequest& request, std::initializer_list<std::string_view> allowed) {
    auto parsed = parse_json(request.body.empty() ? "{}" : request.body);
    if (!parsed) return Error{ErrorKind::invalid_argument, "the request body is not valid JSON: " + parsed.error().message};
    nlohmann::json& body = parsed.value();
    if (!body.is_object()) {
        return Error{ErrorKind::invalid_argument,
                     std::string("the request body must be a JSON object, not ") + body.type_name()};
    }
    for (const auto& [key, value] : body.items()) {
        bool known = false;
        for (std::string_view name : allowed) known = known || key == name;
        if (!known) return Error{ErrorKind::invalid_argument, "unknown field '" + key + "'"};
    }
    return body;
}

Result<std::string> string_field(const nlohmann::json& body, const char* name) {
    if (!body.contains(name) || !body[name].is_string()) {
        return Error{ErrorKind::invalid_argument, std::string("field '") + name + "' (a string) is required"};
    }
    return body[name].get<std::string>();
}

Result<Done> check_name(std::string_view what, std::string_view name) {
    if (pki::is_valid_name(name)) return Done{};
    return Error{ErrorKind::invalid_argument,
                 std::string(what) + " names use a-z, 0-9 and '-' (not at either end), 1 to 63 characters"};
}

std::string actor_of(const Principal& principal) {
    return "service-account:" + principal.account.org + "/" + principal.account.name;
}

Result<Done> audit(const store::Database& database, const Call& call, std::string_view action, std::string target,
                   nlohmann::json detail) {
    auto appended = store::append_audit(
        database,
        {call.request.request_id, actor_of(call.principal), call.org.name, std::string(action), std::move(target),
         detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
        call.now);
    if (!appended) return appended.error();
    return Done{};
}

}  // namespace tether::server::api
