#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

#include "tether/http/client.h"
#include "tether/server/api_listener.h"

using namespace tether;

namespace {

// A real ApiListener on 127.0.0.1:0, run on its own thread.
struct LiveListener {
    boost::asio::io_context io;
    server::ApiListener listener;
    HostPort address;
    std::thread thread;

    explicit LiveListener(server::Router router) : listener(io, std::move(router)) {
        address = listener.listen({"127.0.0.1", 0}).value();
        thread = std::thread([this] { io.run(); });
    }
    ~LiveListener() {
        boost::asio::post(io, [this] { listener.stop(); });
        thread.join();
    }
};

// A socket that listens but never accepts: connects succeed, nothing answers.
struct SilentPort {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    std::uint16_t port = 0;
    SilentPort() {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd, 8) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
    ~SilentPort() { ::close(fd); }
};

http::Request get(const std::string& url) {
    http::Request request;
    request.url = parse_url(url).value();
    return request;
}

}  // namespace

TEST_CASE("fetch talks HTTP/1.1 to a real listener and returns status, headers and body") {
    server::Router router;
    router.add("POST", "/echo", [](const server::HttpRequest& r) {
        return server::HttpResponse{202, r.method + " " + r.query + " " + r.body + " " + r.headers.at("x-test")};
    });
    LiveListener live(std::move(router));

    http::Request request = get("http://" + live.address.to_string() + "/echo?a=1");
    request.method = "POST";
    request.body = "hello";
    request.headers = {{"X-Test", "yes"}};
    auto response = http::fetch(request);
    REQUIRE(response);
    CHECK(response.value().status == 202);
    CHECK(response.value().body == "POST a=1 hello yes");
    CHECK(response.value().headers.at("x-request-id").size() == 16);
    CHECK(response.value().headers.at("cache-control") == "no-store");
}

TEST_CASE("the listener answers oversized and malformed requests with 431, 413 and 400") {
    server::Router router;
    router.add("POST", "/", [](const server::HttpRequest&) { return server::HttpResponse{}; });
    LiveListener live(std::move(router));

    http::Request big_header = get("http://" + live.address.to_string() + "/");
    big_header.headers = {{"X-Big", std::string(20'000, 'a')}};
    CHECK(http::fetch(big_header).value().status == 431);

    http::Request big_body = get("http://" + live.address.to_string() + "/");
    big_body.method = "POST";
    big_body.body = std::string(2 * 1024 * 1024, 'b');
    auto response = http::fetch(big_body);
    // The server may answer 413 before the client has sent everything, and
    // close: either way the request is refused, never accepted.
    if (response) CHECK(response.value().status == 413);
    else CHECK(response.error().kind == ErrorKind::unavailable);

    // And it still serves the next one.
    http::Request ok = get("http://" + live.address.to_string() + "/");
    ok.method = "POST";
    CHECK(http::fetch(ok).value().status == 200);
}

TEST_CASE("fetch reports a refused connection as unavailable") {
    std::uint16_t port;
    {
        SilentPort closed;  // bound then closed: nothing listens there now
        port = closed.port;
    }
    auto response = http::fetch(get("http://127.0.0.1:" + std::to_string(port) + "/"));
    REQUIRE_FALSE(response);
    CHECK(response.error().kind == ErrorKind::unavailable);
    CHECK(response.error().message.find("cannot connect to 127.0.0.1:") == 0);
}

TEST_CASE("fetch gives up after its timeout on a silent server") {
    SilentPort silent;
    http::Request request = get("http://127.0.0.1:" + std::to_string(silent.port) + "/");
    request.timeout = std::chrono::milliseconds(300);
    auto response = http::fetch(request);
    REQUIRE_FALSE(response);
    CHECK(response.error().kind == ErrorKind::deadline_exceeded);
}

TEST_CASE("fetch resolves localhost through the system resolver") {
    server::Router router;
    router.add("GET", "/", [](const server::HttpRequest&) { return server::HttpResponse{200, "hi"}; });
    LiveListener live(std::move(router));
    auto response = http::fetch(get("http://localhost:" + std::to_string(live.address.port) + "/"));
    REQUIRE(response);
    CHECK(response.value().body == "hi");
}

TEST_CASE("fetch refuses https until it has a TLS client, and unknown methods") {
    auto response = http::fetch(get("https://127.0.0.1:1/"));
    REQUIRE_FALSE(response);
    CHECK(response.error().kind == ErrorKind::invalid_argument);
    http::Request odd = get("http://127.0.0.1:1/");
    odd.method = "FROB";
    CHECK(http::fetch(odd).error().kind == ErrorKind::invalid_argument);
}
