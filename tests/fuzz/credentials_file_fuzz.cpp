// Any bytes as a runner credentials file: refused with a message that
// quotes none of it, or read into a file that writes back to the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tether/auth/credentials_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto file = tether::auth::parse_credentials_file(text);
    if (!file) {
        if (file.error().message.empty()) __builtin_trap();
        return 0;
    }
    auto again = tether::auth::parse_credentials_file(tether::auth::to_json(file.value()));
    if (!again || again.value().runner != file.value().runner || again.value().certificate != file.value().certificate) {
        __builtin_trap();
    }
    return 0;
}
