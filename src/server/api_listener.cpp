#include "tether/server/api_listener.h"

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
#include "tether/core/log.h"
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
};

std::string to_string(beast::string_view text) { return std::string(text.data(), text.size()); }

HttpRequest convert(const http::request<http::string_body>& in, std::string request_id, std::string peer) {
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
    out.body = in.body();
    out.request_id = std::move(request_id);
    out.peer = std::move(peer);
    return out;
}

http::response<http::string_body> render(const HttpResponse& in, unsigned version, const std::string& request_id) {
    http::response<http::string_body> out{static_cast<http::status>(in.status), version};
    out.set(http::field::content_type, in.content_type);
    out.set(http::field::cache_control, "no-store");
    out.set("X-Content-Type-Options", "nosniff");
    out.set("X-Request-Id", request_id);
    for (const auto& [name, value] : in.headers) out.set(name, value);
    out.body() = in.body;
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
    State(asio::io_context& io_, Router router_, ListenerLimits limits_, std::shared_ptr<asio::ssl::context> tls_)
        : io(io_), router(std::move(router_)), limits(limits_), tls(std::move(tls_)) {}

    asio::io_context& io;
    Router router;
    ListenerLimits limits;
    std::shared_ptr<asio::ssl::context> tls;
    std::optional<tcp::acceptor> acceptor;
    std::set<Connection*> connections;
    bool stopping = false;

    asio::awaitable<void> accept_loop(std::shared_ptr<State> self);
    asio::awaitable<void> serve_plain(std::shared_ptr<State> self, tcp::socket socket);
    asio::awaitable<void> serve_tls(std::shared_ptr<State> self, tcp::socket socket);
    template <typename Stream>
    asio::awaitable<void> exchange(Stream& stream, Connection& connection);
    template <typename Stream>
    asio::awaitable<bool> answer(Stream& stream, const HttpResponse& response, unsigned version, bool keep_alive,
                                 const std::string& request_id);
};

asio::awaitable<void> ApiListener::State::accept_loop(std::shared_ptr<State> self) {
    const std::function<void(tcp::socket)> take = [this, self](tcp::socket socket) {
        if (connections.size() >= limits.max_connections) {
            api_log.warn("connection refused: too many connections", {{"limit", limits.max_connections}});
            beast::error_code ec;
            socket.close(ec);
        } else if (tls) {
            asio::co_spawn(io, serve_tls(self, std::move(socket)), asio::detached);
        } else {
            asio::co_spawn(io, serve_plain(self, std::move(socket)), asio::detached);
        }
    };
    co_await accept_connections(*acceptor, stopping, take);
}

template <typename Stream>
asio::awaitable<bool> ApiListener::State::answer(Stream& stream, const HttpResponse& response, unsigned version,
                                                 bool keep_alive, const std::string& request_id) {
    auto message = render(response, version, request_id);
    message.keep_alive(keep_alive && !stopping);
    beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
    beast::error_code ec;
    co_await http::async_write(stream, message, asio::redirect_error(use_awaitable, ec));
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
        beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
        co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        connection.idle = false;
        if (!ec) {
            beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
            co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        }
        std::string request_id = crypto::random_hex(8);
        if (ec) {
            if (auto response = answer_for_read_error(ec, request_id)) {
                api_log.info("bad request",
                            {{"peer", connection.peer}, {"request_id", request_id}, {"error", ec.message()}});
                co_await answer(stream, *response, 11, false, request_id);
            }
            co_return;
        }

        auto started = std::chrono::steady_clock::now();
        const auto& message = parser.get();
        HttpRequest request = convert(message, request_id, connection.peer);
        HttpResponse response = router.dispatch(request);
        keep_going = co_await answer(stream, response, message.version(), message.keep_alive(), request_id);

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
asio::awaitable<void> ApiListener::State::serve_plain(std::shared_ptr<State> /*keep_alive*/, tcp::socket socket) {
    beast::error_code ec;
    std::string peer = to_string(socket.remote_endpoint(ec));
    beast::tcp_stream stream(std::move(socket));
    Connection connection{&stream, true, peer};
    connections.insert(&connection);
    co_await exchange(stream, connection);
    connections.erase(&connection);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
}

asio::awaitable<void> ApiListener::State::serve_tls(std::shared_ptr<State> /*keep_alive*/, tcp::socket socket) {
    beast::error_code ec;
    std::string peer = to_string(socket.remote_endpoint(ec));
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    Connection connection{&beast::get_lowest_layer(stream), false, peer};
    connections.insert(&connection);
    beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
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

ApiListener::ApiListener(asio::io_context& io, Router router, ListenerLimits limits,
                         std::shared_ptr<asio::ssl::context> tls)
    : state_(std::make_shared<State>(io, std::move(router), limits, std::move(tls))) {}

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
