#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "tether/core/error.h"
#include "tether/http/client.h"

// Answers of tether's own API (docs/api.md), read the same way by the admin
// CLI and by runners: JSON, and on failure
// {"error":{"code":…,"message":…},"request_id":…}.
namespace tether::http {

// The answer's JSON, parsed with `max_depth`, for a 2xx status (unavailable
// when it is not JSON). Otherwise the Error the body describes: the kind its
// code names (the status's when it names none), its message with the
// request id, or "HTTP <status>" when the body is not an error answer.
Result<nlohmann::json> read_api_answer(const Response& response, std::size_t max_depth);

}  // namespace tether::http
