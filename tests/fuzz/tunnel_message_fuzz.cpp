// Any bytes as a tunnel message from a peer: refused with a reason, or
// parsed into a message whose re-serialisation parses to the same thing.
// Also as a binary chunk frame.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tether/tunnel/protocol.h"

namespace tunnel = tether::tunnel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    auto message = tunnel::parse_message(text);
    if (!message) {
        if (message.error().message.empty()) __builtin_trap();
    } else if (message.value().type == tunnel::MessageType::request) {
        const auto& m = message.value();
        auto again = tunnel::parse_message(
            tunnel::request_message(m.id, m.operation, m.params, m.connection, m.timeout_ms.value_or(0)));
        if (!again || again.value().id != m.id || again.value().params != m.params) __builtin_trap();
    } else if (message.value().type == tunnel::MessageType::response && message.value().error) {
        const auto& m = message.value();
        auto again = tunnel::parse_message(tunnel::error_message(m.id, m.error->code, m.error->message));
        if (!again || !again.value().error || again.value().error->code != m.error->code) __builtin_trap();
    }

    if (auto chunk = tunnel::parse_chunk_frame(text)) {
        // The payload is a view into its frame: keep the frame alive.
        const std::string frame = tunnel::chunk_frame(chunk.value().id, chunk.value().last, chunk.value().payload);
        auto again = tunnel::parse_chunk_frame(frame);
        if (!again || again.value().id != chunk.value().id || again.value().payload != chunk.value().payload) {
            __builtin_trap();
        }
    }
    return 0;
}
