#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tether/admin/config.h"
#include "tether/core/error.h"

namespace tether::admin {

// One call to the server's API over TLS (the configured CA), with the
// admin's API key unless `authenticated` is false. Returns the JSON body of
// a 2xx answer; any other answer becomes an Error of the matching kind
// (401 unauthenticated, 403 permission_denied, 404 not_found, 409
// already_exists, 400/413/422 invalid_argument, else unavailable) carrying
// the server's message and request id.
Result<nlohmann::json> call_api(const AdminConfig& config, const std::string& method, const std::string& target,
                                const nlohmann::json* body = nullptr, bool authenticated = true);

// call_api for the commands: the path is scoped to the configured org
// (`?org=NAME`, so the server refuses any other), and an error ends the
// command with its exit code and message.
nlohmann::json call_or_fail(const AdminConfig& config, const std::string& method, const std::string& path,
                            const nlohmann::json* body = nullptr);

}  // namespace tether::admin
