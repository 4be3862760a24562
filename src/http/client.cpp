#include "tether/http/client.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "tether/core/text.h"
#include "tether/http/proxy_connect.h"
#include "tether/pki/tls.h"

namespace tether::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

std::string to_string(beast::string_view text) { return std::string(text.data(), text.size()); }

Error failure(const beast::error_code& ec, const std::string& what) {
    if (ec == beast::error::timeout) return {ErrorKind::deadline_exceeded, what + ": no answer within the timeout"};
    return {ErrorKind::unavailable, what + ": " + ec.message()};
}

// Writes the request and reads the answer on a connected stream, plain or TLS.
template <typename Stream>
asio::awaitable<Result<Response>> exchange(Stream& stream, const Request& request) {
    std::string where = request.url.authority.to_string();
    bhttp::request<bhttp::string_body> message{bhttp::string_to_verb(request.method), request.url.target, 11};
    message.set(bhttp::field::host, where);
    message.set(bhttp::field::user_agent, "tether");
    for (const auto& [name, value] : request.headers) message.set(name, value);
    message.body() = request.body;
    message.prepare_payload();

    beast::error_code ec;
    co_await bhttp::async_write(stream, message, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failure(ec, "cannot send the request to " + where);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(request.max_response_bytes);
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failure(ec, "no valid answer from " + where);

    const auto& answer = parser.get();
    Response response;
    response.status = answer.result_int();
    for (const auto& field : answer) {
        response.headers[text::ascii_lower(to_string(field.name_string()))] = to_string(field.value());
    }
    response.body = answer.body();
    co_return response;
}

// Connects (through the proxy for https), does the TLS handshake when
// asked, and exchanges. The stream's deadline covers connect, CONNECT,
// handshake, write and read (the resolver has the system resolver's own
// timeouts).
asio::awaitable<Result<Response>> fetch_async(asio::io_context& io, const Request& request, asio::ssl::context* tls,
                                              const ProxyEnvironment& proxy) {
    const HostPort& authority = request.url.authority;
    beast::error_code ec;
    beast::tcp_stream tcp_stream(io);
    // HTTPS_PROXY is for https only; curl's HTTP_PROXY for http is not supported.
    const ProxyEnvironment direct;
    auto connected = co_await dial(tcp_stream, authority, tls ? proxy : direct, request.timeout);
    if (!connected) co_return connected.error();

    if (tls == nullptr) {
        auto response = co_await exchange(tcp_stream, request);
        tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return response;
    }

    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
    if (auto expected = pki::expect_server_name(stream.native_handle(), authority.host); !expected) {
        co_return expected.error();
    }
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failure(ec, "TLS handshake with " + authority.to_string() + " failed");
    auto response = co_await exchange(stream, request);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));  // best effort
    co_return response;
}

}  // namespace

Result<Response> fetch(const Request& request, const ProxyEnvironment& proxy) {
    if (bhttp::string_to_verb(request.method) == bhttp::verb::unknown) {
        return Error{ErrorKind::invalid_argument, "unknown HTTP method '" + request.method + "'"};
    }
    std::optional<asio::ssl::context> tls;
    if (request.url.scheme == "https") {
        if (request.ca == nullptr) {
            return Error{ErrorKind::invalid_argument,
                         "https needs the CA certificate that signed the server's (e.g. --ca DATA_DIR/ca.crt)"};
        }
        tls.emplace(asio::ssl::context::tls_client);
        if (auto configured = pki::configure_client_tls(tls->native_handle(), *request.ca); !configured) {
            return configured.error();
        }
    }
    asio::io_context io;
    std::optional<Result<Response>> outcome;
    // co_spawn's handler wants a default-constructible result, which Result
    // is not: the coroutine hands its result over through `outcome`.
    auto run = [&]() -> asio::awaitable<void> {
        outcome.emplace(co_await fetch_async(io, request, tls ? &*tls : nullptr, proxy));
    };
    asio::co_spawn(io, run(), [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
    });
    io.run();
    return std::move(*outcome);
}

}  // namespace tether::http
