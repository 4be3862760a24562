#pragma once

#include <chrono>
#include <nlohmann/json.hpp>

#include "tether/admin/config.h"
#include "tether/core/exit_code.h"

// Submitting an operation and waiting for its end, for `op run` and the
// helpers that build operations for people (`aws call`, `aws s3 ls`).
namespace tether::admin {

bool is_final_status(const std::string& status);

// An operation's --timeout: a duration greater than zero, or a usage error.
std::chrono::milliseconds operation_timeout(const std::string& flag_value);

// POST /v1/operations with `body`; polls until the operation ends (or its
// timeout and a margin pass: exit 75). Errors from the API end the command.
nlohmann::json submit_and_wait(const AdminConfig& config, const nlohmann::json& body, std::chrono::milliseconds timeout);

// Polls an operation until it ends.
nlohmann::json wait_for_operation(const AdminConfig& config, const std::string& id, std::chrono::milliseconds timeout);

// The exit code for an operation that did not succeed, by its error code.
ExitCode exit_code_of(const nlohmann::json& operation);

// For an operation that did not succeed: its typed error on stderr and the
// command's exit code. 0 when it succeeded.
int report_failure(const nlohmann::json& operation);

}  // namespace tether::admin
