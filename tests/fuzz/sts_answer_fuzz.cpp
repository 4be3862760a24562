// Any bytes as an STS answer (XML), under each status a server may send:
// credentials with every field, or an error that says what was wrong.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tether/providers/aws/sts.h"

namespace aws = tether::providers::aws;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    unsigned status = data[0] % 2 == 0 ? 200 : 400 + data[0] % 200;
    std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto check = [](const auto& answer) {
        if (!answer && answer.error().message.empty()) __builtin_trap();
        if (answer && answer.value().credentials.access_key_id.empty()) __builtin_trap();
    };
    check(aws::parse_assume_role_response(status, body));
    check(aws::parse_assume_role_with_web_identity_response(status, body));
    return 0;
}
