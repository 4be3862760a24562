#include "tether/server/api_routes.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "tether/server/authenticator.h"

namespace tether::server {
namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

HttpResponse json_response(unsigned status, const nlohmann::json& body) { return {status, body.dump() + "\n"}; }

using AuthenticatedHandler = std::function<HttpResponse(const HttpRequest&, const Principal&)>;

// Wraps a handler so that it runs only for an authenticated principal.
Handler authenticated(const store::Database& database, AuthenticatedHandler handler) {
    return [&database, handler = std::move(handler)](const HttpRequest& request) {
        auto principal = authenticate(database, request, now_seconds());
        if (!principal) {
            HttpResponse response = error_response(401, "unauthenticated", principal.error().message, request.request_id);
            response.headers.emplace_back("WWW-Authenticate", "Bearer");
            return response;
        }
        return handler(request, principal.value());
    };
}

}  // namespace

void add_api_routes(Router& router, const store::Database& database) {
    router.add("GET", "/v1/whoami", authenticated(database, [](const HttpRequest&, const Principal& principal) {
                   const store::ServiceAccount& account = principal.account;
                   return json_response(200, {{"service_account", account.name},
                                              {"org", account.org},
                                              {"kind", store::to_string(account.kind)},
                                              {"role", auth::to_string(account.role)},
                                              {"key_id", principal.key_id}});
               }));
}

}  // namespace tether::server
