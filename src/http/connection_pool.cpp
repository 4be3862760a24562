#include "tether/http/connection_pool.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

#include "exchange.h"
#include "tether/http/proxy_connect.h"
#include "tether/pki/tls.h"

namespace tether::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::use_awaitable;

namespace {

using Clock = std::chrono::steady_clock;

// One open connection: plain for http, TLS for https.
struct Connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    Clock::time_point idle_since;

    beast::tcp_stream& tcp() { return plain ? *plain : beast::get_lowest_layer(*secure); }
};

// Who a connection talks to, and how: never shared across TLS settings.
using PeerKey = std::tuple<std::string, std::string, std::uint16_t, const void*>;

}  // namespace

struct ConnectionPool::State {
    asio::any_io_executor executor;
    PoolOptions options;
    TlsContext system_tls;  // null when the system has no CAs: system_trust_error says why
    std::optional<Error> system_trust_error;
    std::map<PeerKey, std::deque<std::unique_ptr<Connection>>> idle;
    std::size_t opened = 0;

    std::unique_ptr<Connection> take_idle(const PeerKey& key) {
        auto found = idle.find(key);
        if (found == idle.end()) return nullptr;
        auto& queue = found->second;
        Clock::time_point now = Clock::now();
        std::unique_ptr<Connection> taken;
        // Newest first: the likeliest to be still open at the far end.
        while (!queue.empty() && !taken) {
            std::unique_ptr<Connection> candidate = std::move(queue.back());
            queue.pop_back();
            if (now - candidate->idle_since < options.idle_timeout && candidate->tcp().socket().is_open()) {
                taken = std::move(candidate);
            }
        }
        // What is left is older still: drop what has expired.
        while (!queue.empty() && now - queue.front()->idle_since >= options.idle_timeout) queue.pop_front();
        if (queue.empty()) idle.erase(found);
        return taken;
    }

    void put_idle(const PeerKey& key, std::unique_ptr<Connection> connection) {
        connection->tcp().expires_never();
        connection->idle_since = Clock::now();
        auto& queue = idle[key];
        queue.push_back(std::move(connection));
        while (queue.size() > options.max_idle_per_peer) queue.pop_front();
    }

    asio::awaitable<Result<std::unique_ptr<Connection>>> open(const Request& request, asio::ssl::context* tls) {
        auto connection = std::make_unique<Connection>();
        beast::tcp_stream stream(executor);
        // HTTPS_PROXY is for https only, as in fetch().
        const ProxyEnvironment direct;
        auto connected = co_await dial(stream, request.url.authority, tls ? options.proxy : direct, request.timeout);
        if (!connected) co_return connected.error();
        ++opened;
        if (tls == nullptr) {
            connection->plain.emplace(std::move(stream));
            co_return connection;
        }
        connection->secure.emplace(std::move(stream), *tls);
        const std::string& host = request.url.authority.host;
        if (auto expected = pki::expect_server_name(connection->secure->native_handle(), host); !expected) {
            co_return expected.error();
        }
        beast::error_code ec;
        co_await connection->secure->async_handshake(asio::ssl::stream_base::client,
                                                     asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return Error{ec == beast::error::timeout ? ErrorKind::deadline_exceeded : ErrorKind::unavailable,
                            "TLS handshake with " + request.url.authority.to_string() + " failed: " + ec.message()};
        }
        co_return connection;
    }
};

std::shared_ptr<ConnectionPool> ConnectionPool::create(asio::any_io_executor executor, PoolOptions options,
                                                      const config::Environment& env) {
    auto state = std::make_unique<State>();
    state->executor = std::move(executor);
    state->options = std::move(options);
    auto system_tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    if (auto configured = pki::configure_public_client_tls(system_tls->native_handle(), "", env); !configured) {
        state->system_trust_error = configured.error();
    } else {
        state->system_tls = std::move(system_tls);
    }
    return std::shared_ptr<ConnectionPool>(new ConnectionPool(std::move(state)));
}

const std::optional<Error>& ConnectionPool::system_trust_error() const { return state_->system_trust_error; }

ConnectionPool::ConnectionPool(std::unique_ptr<State> state) : state_(std::move(state)) {}
ConnectionPool::~ConnectionPool() = default;

asio::awaitable<Result<Response>> ConnectionPool::send(const Request& request, TlsContext tls) {
    if (beast::http::string_to_verb(request.method) == beast::http::verb::unknown) {
        co_return Error{ErrorKind::invalid_argument, "unknown HTTP method '" + request.method + "'"};
    }
    bool https = request.url.scheme == "https";
    if (https && !tls) {
        if (state_->system_trust_error) co_return *state_->system_trust_error;
        tls = state_->system_tls;
    }
    if (!https) tls.reset();
    PeerKey key{request.url.scheme, request.url.authority.host, request.url.authority.port, tls.get()};

    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Connection> connection = attempt == 0 ? state_->take_idle(key) : nullptr;
        bool reused = connection != nullptr;
        if (!connection) {
            auto opened = co_await state_->open(request, tls.get());
            if (!opened) co_return opened.error();
            connection = std::move(opened).value();
        }
        connection->tcp().expires_after(request.timeout);
        // Not a conditional expression: GCC 12 destroys the result of a
        // co_await in one of its arms twice.
        detail::Exchanged exchanged;
        if (connection->plain) {
            exchanged = co_await detail::exchange(*connection->plain, request);
        } else {
            exchanged = co_await detail::exchange(*connection->secure, request);
        }
        if (!exchanged.response && reused && exchanged.closed_before_answer) continue;  // a stale keep-alive
        if (exchanged.response && exchanged.keep_alive) state_->put_idle(key, std::move(connection));
        co_return std::move(exchanged.response);
    }
}

std::size_t ConnectionPool::idle_connections() const {
    std::size_t count = 0;
    for (const auto& [key, queue] : state_->idle) count += queue.size();
    return count;
}

std::size_t ConnectionPool::connections_opened() const { return state_->opened; }

}  // namespace tether::http
