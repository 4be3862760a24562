// Any bytes as untrusted JSON: parse_json and check_json agree, refusals
// say what and where, and what is accepted is shallow enough to dump (a
// recursion) and reads back the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tether/core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = tether::parse_json(text);
    auto checked = tether::check_json(text);
    if (parsed.ok() != checked.ok()) __builtin_trap();
    if (!parsed) {
        if (parsed.error().message != checked.error().message || parsed.error().message.empty()) __builtin_trap();
        return 0;
    }
    // nlohmann itself accepts what we accept.
    if (!nlohmann::json::accept(text)) __builtin_trap();
    std::string again = parsed.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto reread = tether::parse_json(again);
    if (!reread || reread.value() != parsed.value()) __builtin_trap();
    return 0;
}
