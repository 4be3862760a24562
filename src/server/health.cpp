#include "tether/server/health.h"

#include <nlohmann/json.hpp>

#include "tether/core/log.h"
#include "loggers.h"

namespace tether::server {

void add_health_routes(Router& router, const store::Database& database, std::function<bool()> accepting) {
    router.add("GET", "/healthz", [](const HttpRequest&) { return json_response(200, {{"status", "ok"}}); });

    router.add("GET", "/readyz", [&database, accepting = std::move(accepting)](const HttpRequest& request) {
        nlohmann::json checks;
        bool ready = true;
        if (auto ping = database.ping(); ping) {
            checks["store"] = "ok";
        } else {
            // The reason goes to the log; the unauthenticated prober learns only that it failed.
            health_log.error("store check failed", {{"error", ping.error().message}, {"request_id", request.request_id}});
            checks["store"] = "failing";
            ready = false;
        }
        if (accepting()) {
            checks["api"] = "ok";
        } else {
            checks["api"] = "stopping";
            ready = false;
        }
        return json_response(ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
    });
}

}  // namespace tether::server
