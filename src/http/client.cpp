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

#include "exchange.h"
#include "tether/http/proxy_connect.h"
#include "tether/pki/tls.h"

namespace tether::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

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
    using detail::exchange;
    using detail::failure;
    auto connected = co_await dial(tcp_stream, authority, tls ? proxy : direct, request.timeout);
    if (!connected) co_return connected.error();

    if (tls == nullptr) {
        auto exchanged = co_await exchange(tcp_stream, request);
        tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return std::move(exchanged.response);
    }

    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
    if (auto expected = pki::expect_server_name(stream.native_handle(), authority.host); !expected) {
        co_return expected.error();
    }
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failure(ec, "TLS handshake with " + authority.to_string() + " failed");
    auto exchanged = co_await exchange(stream, request);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));  // best effort
    co_return std::move(exchanged.response);
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
