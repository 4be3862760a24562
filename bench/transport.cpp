#include "transport.h"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

#include "measure.h"
#include "tether/pki/tls.h"
#include "tether/tunnel/protocol.h"
#include "tether/tunnel/websocket_channel.h"

namespace tether::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

// Runs `body` on `io` and rethrows what it threw.
void run(asio::io_context& io, asio::awaitable<void> body) {
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(body), [&](std::exception_ptr error) { failure = error; });
    io.run();
    if (failure) std::rethrow_exception(failure);
}

// The server's end: receives `bytes` of chunk payloads, answers one text
// message, then reads until the client closes.
asio::awaitable<void> receive_stream(tcp::acceptor& acceptor, asio::ssl::context& tls, std::size_t bytes) {
    tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
    tunnel::prepare_tunnel_stream(stream);
    co_await stream.async_handshake(asio::ssl::stream_base::server, use_awaitable);
    tunnel::WebsocketStream ws(std::move(stream));
    co_await ws.async_accept(use_awaitable);
    auto channel = tunnel::make_websocket_channel(std::move(ws), {}, "client");
    std::size_t received = 0;
    while (received < bytes) {
        auto frame = co_await channel->receive();
        if (!frame) die("the channel stream broke: " + frame.error().message);
        auto chunk = tunnel::parse_chunk_frame(frame.value().data);
        if (!chunk) die(chunk.error().message);
        received += chunk.value().payload.size();
    }
    channel->send("done");
    while (co_await channel->receive()) {
    }
}

// The client's end, as the runner sends a streamed result: every chunk
// frame queued at once, then the wait for the answer.
asio::awaitable<double> send_stream(asio::io_context& io, asio::ssl::context& tls, std::uint16_t port,
                                    std::size_t bytes) {
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    co_await beast::get_lowest_layer(stream).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                                           use_awaitable);
    tunnel::prepare_tunnel_stream(stream);
    if (!pki::expect_server_name(stream.native_handle(), "127.0.0.1")) die("cannot expect the server name");
    co_await stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    tunnel::WebsocketStream ws(std::move(stream));
    co_await ws.async_handshake("127.0.0.1", "/", use_awaitable);
    auto channel = tunnel::make_websocket_channel(std::move(ws), {}, "server");

    std::string payload(tunnel::stream_threshold, 'x');
    auto start = Clock::now();
    for (std::size_t sent = 0; sent < bytes; sent += payload.size()) {
        std::string_view piece = std::string_view(payload).substr(0, std::min(payload.size(), bytes - sent));
        channel->send_binary(tunnel::chunk_frame("op_bench", sent + piece.size() >= bytes, piece));
    }
    auto answer = co_await channel->receive();
    if (!answer) die("no answer to the channel stream: " + answer.error().message);
    double rate = static_cast<double>(bytes) / 1e6 / seconds_since(start);
    channel->close(tunnel::close_code::normal, "done");
    while (co_await channel->receive()) {
    }
    co_return rate;
}

}  // namespace

void channel_stream(const Identities& identities, std::size_t bytes, int repeat) {
    std::vector<double> rates;
    for (int repetition = 0; repetition < repeat; ++repetition) {
        asio::io_context server_io, client_io;
        asio::ssl::context server_tls(asio::ssl::context::tls_server), client_tls(asio::ssl::context::tls_client);
        if (!pki::configure_server_tls(server_tls.native_handle(), identities.server_certificate, identities.server_key,
                                       &identities.ca) ||
            !pki::configure_client_tls(client_tls.native_handle(), identities.runner.ca, &identities.runner.certificate,
                                       &identities.runner.key)) {
            die("cannot configure TLS");
        }
        tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        std::uint16_t port = acceptor.local_endpoint().port();
        std::thread server([&] { run(server_io, receive_stream(acceptor, server_tls, bytes)); });
        double rate = 0;
        run(client_io, [&]() -> asio::awaitable<void> { rate = co_await send_stream(client_io, client_tls, port, bytes); }());
        server.join();
        rates.push_back(rate);
    }
    emit("channel_stream", {{"bytes", bytes}, {"frame_bytes", tunnel::stream_threshold}, {"mb_per_second", median(rates)},
                            {"runs", rates}});
}

}  // namespace tether::bench
