#include "tether/server/router.h"

#include <nlohmann/json.hpp>

#include "tether/core/text.h"

namespace tether::server {
namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 1;  // paths start with '/'
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        segments.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

bool is_placeholder(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Whether `path` fits `pattern`; fills `params` when it does.
bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
    if (pattern.size() != path.size()) return false;
    std::map<std::string, std::string> found;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_placeholder(pattern[i])) {
            if (path[i].empty()) return false;
            found[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

HttpResponse json_response(unsigned status, const nlohmann::json& body) {
    return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

HttpResponse error_response(unsigned status, const std::string& code, const std::string& message,
                            const std::string& request_id) {
    return json_response(status, {{"error", {{"code", code}, {"message", message}}}, {"request_id", request_id}});
}

void Router::add(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), split_path(pattern), std::move(handler)});
}

HttpResponse Router::dispatch(HttpRequest request) const {
    if (request.path.empty() || request.path.front() != '/') {
        return error_response(404, "not_found", "no such route", request.request_id);
    }
    std::vector<std::string> path = split_path(request.path);
    // Matched and handed over decoded: clients encode names and ids, and a
    // "%2F" in one stays part of it rather than a separator.
    for (std::string& segment : path) {
        std::string decoded;
        if (!text::append_percent_decoded(decoded, segment)) {
            return error_response(400, "invalid_argument", "the path holds a '%' that is not followed by two hex digits",
                                  request.request_id);
        }
        segment = std::move(decoded);
    }
    std::string allow;
    for (const Route& route : routes_) {
        std::map<std::string, std::string> params;
        if (!match(route.segments, path, params)) continue;
        if (route.method == request.method) {
            request.params = std::move(params);
            return route.handler(request);
        }
        if (allow.find(route.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + route.method;
    }
    if (allow.empty()) return error_response(404, "not_found", "no such route", request.request_id);
    HttpResponse response = error_response(405, "method_not_allowed", "use " + allow, request.request_id);
    response.headers.emplace_back("Allow", allow);
    return response;
}

}  // namespace tether::server
