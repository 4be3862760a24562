#include "tether/admin/operation_runner.h"

#include <iostream>
#include <thread>

#include "tether/admin/api_client.h"
#include "tether/core/duration.h"
#include "tether/core/error.h"

namespace tether::admin {

using nlohmann::json;

bool is_final_status(const std::string& status) {
    return status == "succeeded" || status == "failed" || status == "cancelled" || status == "timed_out";
}

std::chrono::milliseconds operation_timeout(const std::string& flag_value) {
    auto timeout = parse_duration(flag_value);
    if (!timeout || timeout->count() <= 0) {
        fail(ExitCode::usage, "--timeout takes a duration greater than zero, such as 30s or 5m");
    }
    return *timeout;
}

ExitCode exit_code_of(const json& operation) {
    std::string code = operation.contains("error") ? operation["error"].value("code", "") : "";
    if (code == "permission_denied" || code == "unauthenticated" || code == "revoked") return ExitCode::refused;
    if (code == "invalid_argument" || code == "unknown_operation" || code == "not_found" || code == "message_too_big") {
        return ExitCode::data;
    }
    if (code == "busy" || code == "deadline_exceeded" || code == "shutting_down" || code == "runner_disconnected" ||
        code == "unavailable" || code == "interrupted" || code == "cancelled") {
        return ExitCode::retry;
    }
    return ExitCode::internal;
}

// Polls until the operation ends: quickly at first (most answer within
// milliseconds), then every half second.
json wait_for_operation(const AdminConfig& config, const std::string& id, std::chrono::milliseconds timeout) {
    auto give_up = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(5);
    auto interval = std::chrono::milliseconds(10);
    for (;;) {
        json operation = call_or_fail(config, "GET", api_path({"operations", id}));
        if (is_final_status(operation.value("status", ""))) return operation;
        if (std::chrono::steady_clock::now() > give_up) {
            fail(ExitCode::retry, "operation " + id + " has not ended after its timeout; see tether admin op get " + id);
        }
        std::this_thread::sleep_for(interval);
        interval = std::min(interval * 2, std::chrono::milliseconds(500));
    }
}

json submit_and_wait(const AdminConfig& config, const json& body, std::chrono::milliseconds timeout) {
    json operation = call_or_fail(config, "POST", api_path({"operations"}), &body);
    if (is_final_status(operation.value("status", ""))) return operation;
    return wait_for_operation(config, operation.value("id", ""), timeout);
}

int report_failure(const json& operation) {
    std::string status = operation.value("status", "");
    if (status == "succeeded") return 0;
    const json error = operation.value("error", json::object());
    std::cerr << "operation " << operation.value("id", "") << " " << status << ": " << error.value("code", "")
              << ": " << error.value("message", "") << "\n";
    return to_int(exit_code_of(operation));
}

}  // namespace tether::admin
