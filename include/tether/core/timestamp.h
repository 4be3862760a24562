#pragma once

// RFC 3339 timestamps, the form every cloud API returns expirations in
// ("2026-11-29T15:00:00Z", "2011-07-15T23:28:33.359Z",
// "2026-11-29T17:00:00+02:00").
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "tether/core/error.h"

namespace tether {

// invalid_argument quotes the text (timestamps are not secrets) and says
// what is wrong with it. Fractions below a microsecond are dropped.
Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

// "2026-11-29T15:00:00Z": UTC, whole seconds.
std::string format_timestamp(std::chrono::system_clock::time_point time);

// Now, as the store keeps times: since the Unix epoch.
std::int64_t unix_now_ms();
std::int64_t unix_now_seconds();

}  // namespace tether
