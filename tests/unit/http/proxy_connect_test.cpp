#include <doctest/doctest.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <thread>
#include <vector>

#include "common/connect_proxy.h"
#include "tether/core/log.h"
#include "tether/http/proxy_connect.h"

using namespace tether;
using tether::testing::ConnectProxy;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// A TCP server on 127.0.0.1:0 on its own thread; `handler` runs per connection.
class TestServer {
public:
    using Handler = std::function<asio::awaitable<void>(tcp::socket)>;

    explicit TestServer(Handler handler) : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(io_, accept_loop(std::move(handler)), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~TestServer() {
        io_.stop();
        thread_.join();
    }

    HostPort address() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }

private:
    asio::awaitable<void> accept_loop(Handler handler) {
        for (;;) {
            beast::error_code ec;
            tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            asio::co_spawn(io_, handler(std::move(socket)), asio::detached);
        }
    }

    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

asio::awaitable<void> echo(tcp::socket socket) {
    char data[4096];
    for (;;) {
        beast::error_code ec;
        std::size_t n =
            co_await socket.async_read_some(asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        co_await asio::async_write(socket, asio::buffer(data, n), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
    }
}

// A fake proxy that reads the request head, sends `answer`, and then waits
// for the client to hang up.
TestServer::Handler canned(std::string answer) {
    return [answer](tcp::socket socket) -> asio::awaitable<void> {
        beast::error_code ec;
        std::string request;
        co_await asio::async_read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n",
                                        asio::redirect_error(asio::use_awaitable, ec));
        co_await asio::async_write(socket, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
        char sink[256];
        while (!ec) co_await socket.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    };
}

// A client side: a stream, and dial() run to completion on it.
struct Client {
    asio::io_context io;
    beast::tcp_stream stream{io};

    Result<Done> dial(const HostPort& target, const http::ProxyEnvironment& env,
                      std::chrono::milliseconds timeout = 5s) {
        std::optional<Result<Done>> outcome;
        // co_spawn wants a default-constructible result, which Result is not.
        auto run = [&]() -> asio::awaitable<void> {
            outcome.emplace(co_await http::dial(stream, target, env, timeout));
        };
        asio::co_spawn(io, run(), asio::detached);
        io.run();
        io.restart();
        return std::move(*outcome);
    }

    // Sends `text` and reads as many bytes back, blocking.
    std::string round_trip(const std::string& text) {
        asio::write(stream.socket(), asio::buffer(text));
        std::string back(text.size(), '\0');
        asio::read(stream.socket(), asio::buffer(back));
        return back;
    }
};

http::ProxyEnvironment via(const std::string& https_proxy, const std::string& no_proxy = "") {
    http::ProxyEnvironment env;
    env.https_proxy = https_proxy;
    env.no_proxy = no_proxy;
    return env;
}

std::string url_of(const HostPort& address) { return "http://" + address.to_string(); }

// A port nothing listens on: bound, then closed.
std::uint16_t dead_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

// Captures the process logger's lines at info level while it lives.
struct Capture {
    std::vector<std::string> lines;
    Capture() {
        log::set_level(log::Level::info);
        log::set_sink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~Capture() {
        log::set_sink({});
        log::set_level(log::Level::error);
    }
};

}  // namespace

TEST_CASE("dial: bytes reach an echo server through connect_proxy.py, which logs the CONNECT") {
    TestServer echo_server(echo);
    ConnectProxy proxy;
    Client client;
    Capture capture;
    auto dialed = client.dial(echo_server.address(), via(url_of(proxy.address())));
    REQUIRE_MESSAGE(dialed, dialed.error().message);
    CHECK(client.round_trip("ping through the tunnel") == "ping through the tunnel");
    CHECK(client.round_trip(std::string(100'000, 'x')) == std::string(100'000, 'x'));
    CHECK(proxy.printed("CONNECT " + echo_server.address().to_string() + " 200"));
    REQUIRE(capture.lines.size() == 1);
    CHECK(capture.lines[0].find("connecting through a proxy") != std::string::npos);
    CHECK(capture.lines[0].find(echo_server.address().to_string()) != std::string::npos);
    CHECK(capture.lines[0].find(proxy.address().to_string()) != std::string::npos);
}

TEST_CASE("dial: a proxy that wants a password gets it from the URL, and it is never logged") {
    TestServer echo_server(echo);
    ConnectProxy proxy({"--user", "alice:Hunter2pw"});
    Client client;
    Capture capture;
    auto dialed = client.dial(echo_server.address(), via("http://alice:Hunter2pw@" + proxy.address().to_string()));
    REQUIRE_MESSAGE(dialed, dialed.error().message);
    CHECK(client.round_trip("authenticated") == "authenticated");
    CHECK(proxy.printed("CONNECT " + echo_server.address().to_string() + " 200"));
    for (const auto& line : capture.lines) {
        CHECK(line.find("Hunter2pw") == std::string::npos);
        CHECK(line.find("alice") == std::string::npos);
    }
}

TEST_CASE("dial: a 407 without or with wrong credentials is unauthenticated and says what to do") {
    TestServer echo_server(echo);
    ConnectProxy proxy({"--user", "alice:Hunter2pw"});
    std::string target = echo_server.address().to_string();

    Client anonymous;
    auto refused = anonymous.dial(echo_server.address(), via(url_of(proxy.address())));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::unauthenticated);
    CHECK(refused.error().message == "proxy " + proxy.address().to_string() + " refused CONNECT to " + target +
                                         ": 407 Proxy Authentication Required; it wants a user and password: "
                                         "give them in HTTPS_PROXY as "
                                         "http://user:password@host:port");
    CHECK(proxy.printed("CONNECT " + target + " 407"));

    Client wrong;
    auto denied = wrong.dial(echo_server.address(), via("http://alice:wrong@" + proxy.address().to_string()));
    REQUIRE_FALSE(denied);
    CHECK(denied.error().kind == ErrorKind::unauthenticated);
    CHECK(denied.error().message.find("407 Proxy Authentication Required; it did not accept") != std::string::npos);
    CHECK(denied.error().message.find("wrong") == std::string::npos);
}

TEST_CASE("dial: a proxy that cannot reach the target answers 502, reported as unavailable") {
    ConnectProxy proxy;
    Client client;
    HostPort nowhere{"127.0.0.1", dead_port()};
    auto dialed = client.dial(nowhere, via(url_of(proxy.address())));
    REQUIRE_FALSE(dialed);
    CHECK(dialed.error().kind == ErrorKind::unavailable);
    CHECK(dialed.error().message.find("refused CONNECT to " + nowhere.to_string() + ": 502 Bad Gateway") !=
          std::string::npos);
}

TEST_CASE("dial: a dead proxy port is unavailable, naming the proxy") {
    TestServer echo_server(echo);
    HostPort dead{"127.0.0.1", dead_port()};
    Client client;
    auto dialed = client.dial(echo_server.address(), via(url_of(dead)));
    REQUIRE_FALSE(dialed);
    CHECK(dialed.error().kind == ErrorKind::unavailable);
    CHECK(dialed.error().message == "cannot connect to proxy " + dead.to_string() + ": Connection refused");
}

TEST_CASE("dial: a proxy that accepts but never answers runs into the deadline") {
    TestServer echo_server(echo);
    asio::io_context idle;
    tcp::acceptor silent(idle, {asio::ip::make_address("127.0.0.1"), 0});  // connects succeed, nothing answers
    Client client;
    HostPort silent_address{"127.0.0.1", silent.local_endpoint().port()};
    auto dialed = client.dial(echo_server.address(), via(url_of(silent_address)), 300ms);
    REQUIRE_FALSE(dialed);
    CHECK(dialed.error().kind == ErrorKind::deadline_exceeded);
}

TEST_CASE("dial: NO_PROXY and an empty HTTPS_PROXY connect directly, even with a dead proxy configured") {
    TestServer echo_server(echo);
    std::string dead = "http://127.0.0.1:" + std::to_string(dead_port());
    for (const auto& env : {via(""), via(dead, "127.0.0.1"), via(dead, "127.0.0.0/8"), via(dead, "*")}) {
        Client client;
        auto dialed = client.dial(echo_server.address(), env);
        REQUIRE_MESSAGE(dialed, dialed.error().message);
        CHECK(client.round_trip("direct") == "direct");
    }
}

TEST_CASE("dial: a malformed HTTPS_PROXY fails before any connection") {
    TestServer echo_server(echo);
    Client client;
    auto dialed = client.dial(echo_server.address(), via("socks5://127.0.0.1:1080"));
    REQUIRE_FALSE(dialed);
    CHECK(dialed.error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("dial: 403, a non-HTTP answer, an oversized head and early tunnel bytes are refused") {
    HostPort target{"server.example", 7443};
    struct Case {
        std::string answer;
        ErrorKind kind;
        std::string says;
    };
    std::vector<Case> cases = {
        {"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden", ErrorKind::permission_denied,
         "refused CONNECT to server.example:7443: 403 Forbidden"},
        {"SSH-2.0-OpenSSH_9.2\r\n\r\n", ErrorKind::unavailable, "not HTTP"},
        {"HTTP/1.1 200 OK\r\nX-Padding: " + std::string(20'000, 'a') + "\r\n\r\n", ErrorKind::unavailable,
         "over 16 KiB"},
        {"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01", ErrorKind::unavailable, "sent data after"},
    };
    for (const Case& c : cases) {
        TestServer fake(canned(c.answer));
        Client client;
        auto dialed = client.dial(target, via(url_of(fake.address())));
        REQUIRE_FALSE(dialed);
        CHECK_MESSAGE(dialed.error().kind == c.kind, dialed.error().message);
        CHECK_MESSAGE(dialed.error().message.find(c.says) != std::string::npos, dialed.error().message);
    }
}

TEST_CASE("dial: an HTTP/1.0 200 with headers is accepted and the tunnel starts right after it") {
    TestServer fake(canned("HTTP/1.0 200 Connection established\r\nProxy-Agent: test\r\n\r\n"));
    Client client;
    auto dialed = client.dial({"server.example", 7443}, via(url_of(fake.address())));
    CHECK_MESSAGE(dialed, dialed.error().message);
}
