// Any bytes as a log message and field: the JSON line is always valid JSON
// with exactly one newline, at its end, and the text line has no newline
// but its last.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tether/core/log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::string message = input.substr(0, size / 2);
    std::string value = input.substr(size / 2);

    std::string json = tether::log::format_line(tether::log::Format::json, "2026-01-01T00:00:00.000Z",
                                                tether::log::Level::info, "fuzz", message, {{"field", value}});
    if (json.find('\n') != json.size() - 1) __builtin_trap();
    auto parsed = nlohmann::json::parse(json, nullptr, false);
    if (!parsed.is_object() || !parsed["msg"].is_string() || !parsed["field"].is_string()) __builtin_trap();

    std::string text = tether::log::format_line(tether::log::Format::text, "2026-01-01T00:00:00.000Z",
                                                tether::log::Level::info, "fuzz", message, {{"field", value}});
    if (text.find('\n') != text.size() - 1) __builtin_trap();
    return 0;
}
