#include "tether/tunnel/websocket_channel.h"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "tether/core/secret.h"

namespace tether::tunnel {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;

namespace {

// Text messages queued together are joined into one frame up to this size:
// small enough to keep latency flat, large enough for a burst of answers.
constexpr std::size_t batch_bytes = 64 * 1024;
// A read buffer that grew for a large message is given back past this.
constexpr std::size_t kept_buffer_bytes = 64 * 1024;

class WebsocketChannel final : public Channel, public std::enable_shared_from_this<WebsocketChannel> {
public:
    WebsocketChannel(WebsocketStream stream, const ChannelLimits& limits, std::string peer)
        : ws_(std::move(stream)), limits_(limits), peer_(std::move(peer)) {
        beast::get_lowest_layer(ws_).expires_never();  // the WebSocket timeout below takes over
        websocket::stream_base::timeout timeout{};
        timeout.handshake_timeout = std::chrono::seconds(10);  // also bounds the closing handshake
        timeout.idle_timeout = limits.liveness_timeout;
        timeout.keep_alive_pings = true;
        ws_.set_option(timeout);
        ws_.read_message_max(limits.max_message_bytes);
        ws_.auto_fragment(false);
    }

    asio::awaitable<Result<Frame>> receive() override {
        beast::error_code ec;
        co_await ws_.async_read(buffer_, asio::redirect_error(use_awaitable, ec));
        if (ec) co_return describe(ec);
        Frame frame{!ws_.got_text(), beast::buffers_to_string(buffer_.data())};
        if (limits_.wipe_received) OPENSSL_cleanse(buffer_.data().data(), buffer_.size());
        buffer_.consume(buffer_.size());
        if (buffer_.capacity() > kept_buffer_bytes) buffer_.shrink_to_fit();
        co_return frame;
    }

    void send(std::string text) override { enqueue(Frame{false, std::move(text)}); }
    void send_binary(std::string data) override { enqueue(Frame{true, std::move(data)}); }
    void send_sensitive(std::string text) override { enqueue(Frame{false, std::move(text), true}); }

    void close(std::uint16_t code, std::string reason) override {
        if (close_requested_) return;
        close_requested_ = true;
        close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason.substr(0, 120));  // a close frame holds 123 bytes
        start_writer();
    }

    std::size_t queued_bytes() const override { return queued_bytes_; }
    void on_drained(std::function<void()> callback) override { drained_ = std::move(callback); }
    const std::string& peer() const override { return peer_; }

private:
    void enqueue(Frame frame) {
        if (close_requested_ || failed_) return;
        queued_bytes_ += frame.data.size();
        queue_.push_back(std::move(frame));
        start_writer();
    }

    void start_writer() {
        if (writing_) return;
        writing_ = true;
        asio::co_spawn(ws_.get_executor(), write_loop(shared_from_this()), asio::detached);
    }

    Frame next_batch() {
        Frame frame = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= frame.data.size();
        if (frame.binary || frame.sensitive) return frame;  // a sensitive one is never copied into a batch
        while (!queue_.empty() && !queue_.front().binary && !queue_.front().sensitive &&
               frame.data.size() + 1 + queue_.front().data.size() <= batch_bytes) {
            frame.data += '\n';
            frame.data += queue_.front().data;
            queued_bytes_ -= queue_.front().data.size();
            queue_.pop_front();
        }
        return frame;
    }

    asio::awaitable<void> write_loop(std::shared_ptr<WebsocketChannel> /*keep_alive*/) {
        beast::error_code ec;
        while (!queue_.empty() && !failed_) {
            Frame frame = next_batch();
            ws_.binary(frame.binary);
            co_await ws_.async_write(asio::buffer(frame.data), asio::redirect_error(use_awaitable, ec));
            if (frame.sensitive) wipe(frame.data);
            if (ec) fail_writes();
        }
        if (!failed_ && !close_requested_ && drained_) drained_();
        if (close_requested_ && !close_sent_ && !failed_ && ws_.is_open()) {
            close_sent_ = true;
            co_await ws_.async_close(close_reason_, asio::redirect_error(use_awaitable, ec));
            if (ec) beast::get_lowest_layer(ws_).close();
        }
        writing_ = false;
        // A close requested while the last write was in flight.
        if (close_requested_ && !close_sent_ && !failed_) start_writer();
    }

    void fail_writes() {
        failed_ = true;
        for (Frame& frame : queue_) {
            if (frame.sensitive) wipe(frame.data);
        }
        queue_.clear();
        queued_bytes_ = 0;
        beast::get_lowest_layer(ws_).close();  // the pending read ends too
    }

    Error describe(const beast::error_code& ec) const {
        if (ec == websocket::error::closed) {
            const auto& reason = ws_.reason();
            return {ErrorKind::unavailable, "closed by the peer (WebSocket code " + std::to_string(reason.code) +
                                                (reason.reason.empty() ? "" : ": " + std::string(reason.reason)) +
                                                ")"};
        }
        if (ec == beast::error::timeout) {
            return {ErrorKind::deadline_exceeded,
                    "the peer was silent for " + std::to_string(limits_.liveness_timeout.count()) + " ms"};
        }
        if (ec == websocket::error::message_too_big) {
            return {ErrorKind::invalid_argument,
                    "a message exceeded the " + std::to_string(limits_.max_message_bytes) + "-byte limit"};
        }
        return {ErrorKind::unavailable, "connection lost: " + ec.message()};
    }

    WebsocketStream ws_;
    ChannelLimits limits_;
    std::string peer_;
    beast::flat_buffer buffer_;
    std::deque<Frame> queue_;
    std::size_t queued_bytes_ = 0;
    std::function<void()> drained_;
    bool writing_ = false;
    bool failed_ = false;
    bool close_requested_ = false;
    bool close_sent_ = false;
    websocket::close_reason close_reason_;
};

}  // namespace

std::shared_ptr<Channel> make_websocket_channel(WebsocketStream stream, const ChannelLimits& limits, std::string peer) {
    return std::make_shared<WebsocketChannel>(std::move(stream), limits, std::move(peer));
}

void prepare_tunnel_stream(beast::ssl_stream<beast::tcp_stream>& stream) {
    // Idle tunnels are the common case: without this each holds ~34 KiB of
    // OpenSSL record buffers it is not using.
    SSL_set_mode(stream.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    beast::error_code ec;
    beast::get_lowest_layer(stream).socket().set_option(asio::ip::tcp::no_delay(true), ec);
}

}  // namespace tether::tunnel
