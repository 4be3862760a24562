#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tether {

// Parses durations the way Go and systemd users write them: one or more
// <number><unit> pairs, units ms, s, m, h, d ("90s", "1h30m", "500ms").
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest such text for a duration ("1h30m", "250ms", "0s").
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace tether
