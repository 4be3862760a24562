#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "tether/core/error.h"

// One tunnel's message pipe, whichever side holds it: frames in, frames out,
// a clean close. The WebSocket-over-TLS implementation keeps Beast out of
// the code that speaks the protocol.
namespace tether::tunnel {

struct Frame {
    bool binary = false;
    std::string data;
    bool sensitive = false;  // holds credentials: sent alone and wiped once written
};

// WebSocket close codes the tunnel uses (RFC 6455 §7.4).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
}  // namespace close_code

struct ChannelLimits {
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    // A peer silent this long is gone: a ping goes out halfway through.
    std::chrono::milliseconds liveness_timeout{30'000};
    // Wipe the read buffer after each message: on the runner, requests may
    // carry inline credentials.
    bool wipe_received = false;
};

class Channel {
public:
    virtual ~Channel() = default;

    // The next frame; or the error that ended the channel: unavailable when
    // the peer closed (its code and reason in the message) or the
    // connection broke, deadline_exceeded when the peer fell silent past
    // the liveness timeout, invalid_argument for a frame over the size
    // limit. Only one receive at a time.
    virtual boost::asio::awaitable<Result<Frame>> receive() = 0;

    // Queue a frame; frames go out in order, one write at a time. Text
    // messages queued together go out as one frame joined by newlines
    // (docs/protocol.md), so a burst costs one TLS record, not one each.
    virtual void send(std::string text) = 0;
    virtual void send_binary(std::string data) = 0;
    // A text message that holds credentials: it goes out in a frame of its
    // own and its bytes are wiped once written (or once the channel fails).
    virtual void send_sensitive(std::string text) = 0;

    // Sends the queued frames, then a WebSocket close; receive() ends.
    virtual void close(std::uint16_t code, std::string reason) = 0;

    // Frames queued but not yet written, in bytes (for back-pressure).
    virtual std::size_t queued_bytes() const = 0;
    // Called, on the channel's executor, each time the queue empties after
    // writes: a peer that fell behind in reading has caught up.
    virtual void on_drained(std::function<void()> callback) = 0;
    virtual const std::string& peer() const = 0;
};

}  // namespace tether::tunnel
