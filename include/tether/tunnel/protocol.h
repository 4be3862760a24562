#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"

// The messages of the tunnel (docs/protocol.md): JSON objects in WebSocket
// text frames, multiplexed by request id, plus binary `chunk` frames for
// streamed results. This file is the one place that spells them.
namespace tether::tunnel {

inline constexpr int protocol_version = 1;
inline constexpr std::string_view subprotocol = "tether.v1";
inline constexpr std::string_view upgrade_path = "/v1/tunnel";
inline constexpr std::size_t default_max_message_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t max_request_id_bytes = 64;

enum class MessageType { hello, welcome, request, response, cancel, chunk, close };
const char* to_string(MessageType type);

// The typed error codes of `response` and `close` messages.
namespace error_code {
inline constexpr std::string_view invalid_argument = "invalid_argument";
inline constexpr std::string_view unknown_operation = "unknown_operation";
inline constexpr std::string_view permission_denied = "permission_denied";
inline constexpr std::string_view unauthenticated = "unauthenticated";
inline constexpr std::string_view revoked = "revoked";
inline constexpr std::string_view busy = "busy";
inline constexpr std::string_view deadline_exceeded = "deadline_exceeded";
inline constexpr std::string_view cancelled = "cancelled";
inline constexpr std::string_view shutting_down = "shutting_down";
inline constexpr std::string_view runner_disconnected = "runner_disconnected";
inline constexpr std::string_view unavailable = "unavailable";
inline constexpr std::string_view protocol_error = "protocol_error";
inline constexpr std::string_view message_too_big = "message_too_big";
inline constexpr std::string_view internal = "internal";
}  // namespace error_code

// The code a failed operation reports for an Error of this kind.
std::string_view error_code_for(ErrorKind kind);

struct ErrorBody {
    std::string code;
    std::string message;
};

// What the runner announces first.
struct Hello {
    std::vector<int> versions{protocol_version};
    std::string runner_version;
    std::string hostname;
    std::vector<std::string> operations;    // the catalog this runner executes
    std::vector<std::string> capabilities;  // e.g. "cancel", "chunk"
    std::size_t max_in_flight = 0;          // requests it accepts at once
    std::size_t max_message_bytes = 0;      // the largest message it reads; 0: the default
};

// The server's answer to a valid hello.
struct Welcome {
    int version = protocol_version;
    std::string server_version;
    std::string tunnel_id;
    std::string org;
    std::string runner;
    std::size_t max_message_bytes = default_max_message_bytes;
    std::size_t max_in_flight = 0;  // what the server will send at once on this tunnel
    std::int64_t liveness_timeout_ms = 0;
    std::vector<std::string> capabilities;
};

// One parsed text frame. Which members are set depends on `type`; parsing
// checks that each type has what it needs and nothing malformed.
struct Message {
    MessageType type = MessageType::close;
    std::string id;                       // request, response, cancel
    std::string operation;                // request
    nlohmann::json params;                // request: always an object
    std::optional<std::string> connection;   // request: the connection's name
    // request: what the server resolved the connection to (always there
    // when `connection` is), a JSON object the tunnel does not read:
    // provider, auth mode, settings and, for inline, the credentials.
    Secret connection_config;
    std::optional<std::int64_t> timeout_ms;  // request: time left to its deadline
    nlohmann::json result;                   // response that succeeded
    std::optional<ErrorBody> error;          // response that failed; close
    bool streamed = false;                   // response: result came as chunks
    Hello hello;
    Welcome welcome;
};

// invalid_argument naming the problem: not JSON, not an object, unknown
// type, a missing or mistyped field.
Result<Message> parse_message(std::string_view text);

std::string hello_message(const Hello& hello);
std::string welcome_message(const Welcome& welcome);
std::string request_message(std::string_view id, std::string_view operation, const nlohmann::json& params,
                            const std::optional<std::string>& connection, std::int64_t timeout_ms,
                            const nlohmann::json& connection_config = nullptr);
// The same from params already serialized as a JSON object (as the store
// keeps them): no parse and dump on the dispatch path. `connection_config`
// is the resolved connection as a JSON object, or empty.
std::string request_message_raw(std::string_view id, std::string_view operation, std::string_view params_json,
                                const std::optional<std::string>& connection, std::int64_t timeout_ms,
                                std::string_view connection_config_json = {});
std::string result_message(std::string_view id, const nlohmann::json& result, bool streamed = false);
// A result already serialized as JSON text.
std::string result_message_raw(std::string_view id, std::string_view result_json);
// The response that ends a result sent as chunk frames.
std::string streamed_result_message(std::string_view id);

// Results whose JSON is larger than this go as chunk frames of at most
// this many payload bytes each.
inline constexpr std::size_t stream_threshold = 1024 * 1024;
std::string error_message(std::string_view id, std::string_view code, std::string_view message);
std::string cancel_message(std::string_view id);
std::string close_message(std::string_view code, std::string_view message);

// A binary `chunk` frame: one byte 0x01, one flags byte (bit 0: last), one
// byte id length, the id, then the payload.
struct Chunk {
    std::string id;
    bool last = false;
    std::string_view payload;  // points into the frame
};
std::string chunk_frame(std::string_view id, bool last, std::string_view payload);
Result<Chunk> parse_chunk_frame(std::string_view frame);

}  // namespace tether::tunnel
