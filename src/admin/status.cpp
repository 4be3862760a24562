#include <iostream>
#include <nlohmann/json.hpp>

#include "tether/admin/commands.h"
#include "tether/admin/output.h"
#include "tether/core/error.h"
#include "tether/core/json.h"
#include "tether/http/client.h"

namespace tether::admin {

int show_status(const AdminConfig& config) {
    http::Request request;
    request.url = config.server;
    request.url.target = "/readyz";
    request.timeout = config.timeout;
    request.ca = config.ca ? &*config.ca : nullptr;
    auto response = http::fetch(request);
    if (!response) fail(response.error());

    auto answer = parse_json(response.value().body);
    nlohmann::json body = answer ? std::move(answer).value() : nlohmann::json();
    bool answered = body.is_object() && body.contains("status") && body["status"].is_string();
    if (!answered) {
        fail(ExitCode::unavailable, config.server.to_string() + " did not answer like a tether server (HTTP " +
                                        std::to_string(response.value().status) + ")");
    }
    bool ready = response.value().status == 200 && body["status"] == "ready";

    if (config.output == Output::json) {
        nlohmann::json out = {{"server", config.server.to_string()}, {"ready", ready}, {"status", body["status"]}};
        if (body.contains("checks")) out["checks"] = body["checks"];
        std::cout << out.dump(2) << "\n";
    } else {
        std::vector<std::pair<std::string, std::string>> rows = {{"server", config.server.to_string()},
                                                                 {"status", body["status"].get<std::string>()}};
        if (body.contains("checks") && body["checks"].is_object()) {
            for (const auto& [name, value] : body["checks"].items()) {
                rows.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
            }
        }
        std::cout << format_pairs(rows);
    }
    return ready ? 0 : to_int(ExitCode::unavailable);
}

}  // namespace tether::admin
