#include "tether/server/router.h"

#include <nlohmann/json.hpp>

namespace tether::server {

HttpResponse error_response(unsigned status, const std::string& code, const std::string& message,
                            const std::string& request_id) {
    nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}, {"request_id", request_id}};
    return {status, body.dump() + "\n"};
}

void Router::add(std::string method, std::string path, Handler handler) {
    routes_[std::move(path)][std::move(method)] = std::move(handler);
}

HttpResponse Router::dispatch(const HttpRequest& request) const {
    auto by_path = routes_.find(request.path);
    if (by_path == routes_.end()) return error_response(404, "not_found", "no such route", request.request_id);
    const auto& methods = by_path->second;
    auto handler = methods.find(request.method);
    if (handler == methods.end()) {
        std::string allow;
        for (const auto& [method, unused] : methods) allow += (allow.empty() ? "" : ", ") + method;
        HttpResponse response = error_response(405, "method_not_allowed", "use " + allow, request.request_id);
        response.headers.emplace_back("Allow", allow);
        return response;
    }
    return handler->second(request);
}

}  // namespace tether::server
