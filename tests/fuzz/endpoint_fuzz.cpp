// Any bytes as a URL or host:port: refused with a reason, or parsed into a
// value that prints back to text which parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tether/core/endpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto host_port = tether::parse_host_port(text)) {
        auto again = tether::parse_host_port(host_port.value().to_string());
        if (!again || again.value().host != host_port.value().host || again.value().port != host_port.value().port) {
            __builtin_trap();
        }
    } else if (host_port.error().message.empty()) {
        __builtin_trap();
    }

    if (auto url = tether::parse_url(text)) {
        auto again = tether::parse_url(url.value().to_string());
        if (!again || again.value().to_string() != url.value().to_string()) __builtin_trap();
    } else if (url.error().message.empty()) {
        __builtin_trap();
    }
    return 0;
}
