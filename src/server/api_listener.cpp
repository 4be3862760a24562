#include "tether/server/api_listener.h"

#include <openssl/crypto.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <set>

#include "bind_acceptor.h"
#include "tether/server/connection_gate.h"
#include "tether/core/log.h"
#include "tether/core/secret.h"
#include "tether/core/text.h"
#include "tether/crypto/random.h"
#include "loggers.h"

namespace tether::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

struct Connection {
    beast::tcp_stream* stream;  // the TCP layer, plain or under TLS
    bool idle;
    std::string peer;
    ConnectionGate::Ticket ticket;  // proven once a request carried a valid key
};

std::string to_string(beast::string_view text) { return std::string(text.data(), text.size()); }

// The request without its body, which convert() adds once it is read.
HttpRequest convert_header(const http::request<http::string_body>& in, std::string request_id, std::string peer) {
    HttpRequest out;
    out.method = to_string(in.method_string());
    std::string target = to_string(in.target());
    std::size_t question = target.find('?');
    out.path = target.substr(0, question);
    out.query = question == std::string::npos ? "" : target.substr(question + 1);
    for (const auto& field : in) {
        auto [it, inserted] = out.headers.emplace(text::ascii_lower(to_string(field.name_string())), to_string(field.value()));
        if (!inserted) it->second += ", " + to_string(field.value());
    }
    out.request_id = std::move(request_id);
    out.peer = std::move(peer);
    return out;
}

// RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; none has two.
std::optional<HttpResponse> host_problem(const http::request<http::string_body>& in, const std::string& request_id) {
    std::size_t hosts = in.count(http::field::host);
    if (hosts > 1) return error_response(400, "invalid_argument", "the request has more than one Host header", request_id);
    if (hosts == 0 && in.version() >= 11) {
        return error_response(400, "invalid_argument", "an HTTP/1.1 request needs a Host header", request_id);
    }
    return std::nullopt;
}

// Takes the body: an answer is rendered once.
http::response<http::string_body> render(HttpResponse& in, unsigned version, const std::string& request_id) {
    http::response<http::string_body> out{static_cast<http::status>(in.status), version};
    out.set(http::field::content_type, in.content_type);
    out.set(http::field::cache_control, "no-store");
    out.set("X-Content-Type-Options", "nosniff");
    out.set("X-Request-Id", request_id);
    for (const auto& [name, value] : in.headers) out.set(name, value);
    out.body() = std::move(in.body);
    out.prepare_payload();
    return out;
}

// The answer to a request that could not be read, or nothing when the peer
// simply went away or timed out.
std::optional<HttpResponse> answer_for_read_error(const beast::error_code& ec, const std::string& request_id) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
        return std::nullopt;
    }
    if (ec == http::error::header_limit) {
        return error_response(431, "invalid_argument", "request headers are too large", request_id);
    }
    if (ec == http::error::body_limit) {
        return error_response(413, "invalid_argument", "request body is too large", request_id);
    }
    return error_response(400, "invalid_argument", "malformed HTTP request", request_id);
}

}  // namespace

struct ApiListener::State {
    State(asio::io_context& io_, Router router_, KeyCheck carries_valid_key_, ListenerLimits limits_,
          std::shared_ptr<asio::ssl::context> tls_)
        : io(io_),
          router(std::move(router_)),
          carries_valid_key(std::move(carries_valid_key_)),
          limits(limits_),
          tls(std::move(tls_)),
          gate(api_log, {limits.max_connections, limits.max_connections_per_address}) {}

    asio::io_context& io;
    Router router;
    KeyCheck carries_valid_key;
    ListenerLimits limits;
    std::shared_ptr<asio::ssl::context> tls;
    ConnectionGate gate;
    std::optional<tcp::acceptor> acceptor;
    std::set<Connection*> connections;
    bool stopping = false;

    asio::awaitable<void> accept_loop(std::shared_ptr<State> self);
    asio::awaitable<void> serve_plain(std::shared_ptr<State> self, tcp::socket socket, ConnectionGate::Ticket ticket);
    asio::awaitable<void> serve_tls(std::shared_ptr<State> self, tcp::socket socket, ConnectionGate::Ticket ticket);
    template <typename Stream>
    asio::awaitable<void> exchange(Stream& stream, Connection& connection);
    template <typename Stream>
    asio::awaitable<bool> answer(Stream& stream, HttpResponse& response, unsigned version, bool keep_alive,
                                 const std::string& request_id);
};

asio::awaitable<void> ApiListener::State::accept_loop(std::shared_ptr<State> self) {
    const std::function<void(tcp::socket)> take = [this, self](tcp::socket socket) {
        beast::error_code ec;
        auto ticket = gate.admit(socket.remote_endpoint(ec).address().to_string());
        if (!ticket) {
            socket.close(ec);
        } else if (tls) {
            asio::co_spawn(io, serve_tls(self, std::move(socket), std::move(*ticket)), asio::detached);
        } else {
            asio::co_spawn(io, serve_plain(self, std::move(socket), std::move(*ticket)), asio::detached);
        }
    };
    co_await accept_connections(*acceptor, stopping, take);
}

template <typename Stream>
asio::awaitable<bool> ApiListener::State::answer(Stream& stream, HttpResponse& response, unsigned version,
                                                 bool keep_alive, const std::string& request_id) {
    auto message = render(response, version, request_id);
    message.keep_alive(keep_alive && !stopping);
    beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
    beast::error_code ec;
    co_await http::async_write(stream, message, asio::redirect_error(use_awaitable, ec));
    if (response.sensitive) wipe(message.body());
    co_return !ec && message.keep_alive();
}

// Requests and answers on one connection, plain or TLS, until either side
// closes, a limit is hit, or the listener stops.
template <typename Stream>
asio::awaitable<void> ApiListener::State::exchange(Stream& stream, Connection& connection) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    for (bool keep_going = true; keep_going && !stopping;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        parser.body_limit(limits.max_body_bytes);
        connection.idle = true;
        bool proven = connection.ticket.is_proven();
        beast::get_lowest_layer(stream).expires_after(proven ? limits.idle_timeout : limits.unauthenticated_timeout);
        co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        connection.idle = false;
        std::string request_id = crypto::random_hex(8);
        auto started = std::chrono::steady_clock::now();
        HttpRequest request;
        std::optional<HttpResponse> refusal;
        if (!ec) {
            refusal = host_problem(parser.get(), request_id);
            request = convert_header(parser.get(), request_id, connection.peer);
        }
        // The key is checked on the headers, before the body is read: a peer
        // without one gets its 401 after a few KiB, not after 16 MiB.
        if (!ec && !refusal && carries_valid_key(request)) {
            connection.ticket.proven();
            // Held against the limit before any body is read: Beast 1.74's
            // string body reserves what Content-Length says (found by
            // tests/fuzz/http_answer_fuzz), and does not always check it.
            if (auto length = parser.content_length(); length && *length > limits.max_body_bytes) {
                refusal = error_response(413, "invalid_argument", "request body is too large", request_id);
            }
        } else if (!ec && !refusal) {
            auto length = parser.content_length();
            if (length && *length > limits.max_unauthenticated_body_bytes) {
                refusal = error_response(401, "unauthenticated",
                                         "missing or invalid API key (a request without one may carry at most " +
                                             std::to_string(limits.max_unauthenticated_body_bytes) + " bytes)",
                                         request_id);
                refusal->headers.emplace_back("WWW-Authenticate", "Bearer");
            }
            parser.body_limit(limits.max_unauthenticated_body_bytes);
        }
        if (!ec && !refusal && !parser.is_done()) {
            beast::get_lowest_layer(stream).expires_after(connection.ticket.is_proven() ? limits.request_timeout
                                                                                        : limits.unauthenticated_timeout);
            co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        }
        if (ec) {
            if (auto response = answer_for_read_error(ec, request_id)) {
                api_log.info("bad request",
                            {{"peer", connection.peer}, {"request_id", request_id}, {"error", ec.message()}});
                co_await answer(stream, *response, 11, false, request_id);
            }
            co_return;
        }

        const auto& message = parser.get();
        HttpResponse response;
        if (refusal) {
            // The body, if any, is unread: the connection cannot carry another request.
            response = std::move(*refusal);
            keep_going = false;
            co_await answer(stream, response, message.version(), false, request_id);
        } else {
            unsigned version = message.version();
            bool keep_alive = message.keep_alive();
            request.body = std::move(parser.get().body());
            response = router.dispatch(request);
            keep_going = co_await answer(stream, response, version, keep_alive, request_id);
            if (response.sensitive) {
                // What this listener held of the secret: the body it parsed
                // and the bytes it read them from (consumed, so the buffer's
                // storage starts over at its beginning).
                wipe(request.body);
                if (buffer.size() == 0) {
                    auto storage = buffer.prepare(buffer.capacity());
                    OPENSSL_cleanse(storage.data(), storage.size());
                }
            }
        }

        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
        // Probes arrive every few seconds; keep them out of the info log.
        bool probe = request.path == "/healthz" || request.path == "/readyz";
        api_log.write(probe ? log::Level::debug : log::Level::info, "request",
                     {{"method", request.method},
                      {"path", request.path},
                      {"status", response.status},
                      {"duration_us", static_cast<long long>(micros.count())},
                      {"peer", connection.peer},
                      {"request_id", request_id}});
    }
}

// The coroutine frames hold the shared_ptr, keeping the state alive while
// the connection lasts.
asio::awaitable<void> ApiListener::State::serve_plain(std::shared_ptr<State> /*keep_alive*/, tcp::socket socket,
                                                      ConnectionGate::Ticket ticket) {
    beast::error_code ec;
    std::string peer = to_string(socket.remote_endpoint(ec));
    beast::tcp_stream stream(std::move(socket));
    Connection connection{&stream, true, peer, std::move(ticket)};
    connections.insert(&connection);
    co_await exchange(stream, connection);
    connections.erase(&connection);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
}

asio::awaitable<void> ApiListener::State::serve_tls(std::shared_ptr<State> /*keep_alive*/, tcp::socket socket,
                                                    ConnectionGate::Ticket ticket) {
    beast::error_code ec;
    std::string peer = to_string(socket.remote_endpoint(ec));
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    Connection connection{&beast::get_lowest_layer(stream), false, peer, std::move(ticket)};
    connections.insert(&connection);
    beast::get_lowest_layer(stream).expires_after(limits.unauthenticated_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        // Scanners and wrong CAs land here; the reason helps the operator.
        api_log.info("TLS handshake failed", {{"peer", peer}, {"error", ec.message()}});
    } else {
        co_await exchange(stream, connection);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
        co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
    }
    connections.erase(&connection);
    beast::get_lowest_layer(stream).close();
}

ApiListener::ApiListener(asio::io_context& io, Router router, KeyCheck carries_valid_key, ListenerLimits limits,
                         std::shared_ptr<asio::ssl::context> tls)
    : state_(std::make_shared<State>(io, std::move(router), std::move(carries_valid_key), limits, std::move(tls))) {}

ApiListener::~ApiListener() { stop(); }

Result<HostPort> ApiListener::listen(const HostPort& address) {
    auto bound = bind_acceptor(state_->io, address);
    if (!bound) return bound.error();
    state_->acceptor.emplace(std::move(bound.value().first));
    asio::co_spawn(state_->io, state_->accept_loop(state_), asio::detached);
    return bound.value().second;
}

void ApiListener::stop() {
    state_->stopping = true;
    beast::error_code ec;
    if (state_->acceptor) state_->acceptor->close(ec);
    for (Connection* connection : state_->connections) {
        if (connection->idle) connection->stream->cancel();
    }
}

}  // namespace tether::server
