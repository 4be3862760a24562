#include <doctest/doctest.h>

#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <thread>

#include "common/connect_proxy.h"
#include "tether/http/client.h"
#include "tether/pki/authority.h"
#include "tether/pki/tls.h"
#include "tether/core/text.h"
#include "tether/server/api_listener.h"

using namespace tether;

namespace {

// A real ApiListener on 127.0.0.1:0, run on its own thread; HTTPS when
// given a TLS context.
struct LiveListener {
    boost::asio::io_context io;
    server::ApiListener listener;
    HostPort address;
    std::thread thread;

    explicit LiveListener(server::Router router, std::shared_ptr<boost::asio::ssl::context> tls = nullptr)
        : listener(io, std::move(router), [](const server::HttpRequest&) { return true; }, {}, std::move(tls)) {
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

TEST_CASE("fetch refuses a target or header holding CR, LF or another control character, before sending a byte") {
    std::atomic<int> served{0};
    server::Router router;
    router.add("GET", "/{name}", [&served](const server::HttpRequest&) {
        ++served;
        return server::HttpResponse{};
    });
    LiveListener live(std::move(router));
    std::string base = "http://" + live.address.to_string();

    http::Request smuggling = get(base + "/x");
    smuggling.url.target = "/x HTTP/1.1\r\nHost: a\r\n\r\nGET /y";
    auto refused = http::fetch(smuggling);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::invalid_argument);
    CHECK(refused.error().message.find("control characters") != std::string::npos);

    http::Request header = get(base + "/x");
    header.headers = {{"Authorization", "Bearer secret-value\r\nX-Injected: 1"}};
    auto refused_header = http::fetch(header);
    REQUIRE_FALSE(refused_header);
    CHECK(refused_header.error().message.find("header 'Authorization'") != std::string::npos);
    CHECK(refused_header.error().message.find("secret-value") == std::string::npos);

    http::Request tab = get(base + "/x");
    tab.headers = {{"X-Tab", "a\tb"}};
    CHECK(http::fetch(tab));
    CHECK(served == 1);
}

TEST_CASE("path segments arrive percent-decoded; a broken escape is a 400") {
    server::Router router;
    router.add("GET", "/v1/runners/{name}", [](const server::HttpRequest& r) {
        return server::HttpResponse{200, r.params.at("name")};
    });
    LiveListener live(std::move(router));
    std::string base = "http://" + live.address.to_string();
    auto decoded = http::fetch(get(base + "/v1/runners/" + text::percent_encode("a/b c\r\n")));
    REQUIRE(decoded);
    CHECK(decoded.value().body == "a/b c\r\n");
    CHECK(http::fetch(get(base + "/v1/runners/%zz")).value().status == 400);
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

TEST_CASE("fetch refuses https without a CA to trust, and unknown methods") {
    auto response = http::fetch(get("https://127.0.0.1:1/"));
    REQUIRE_FALSE(response);
    CHECK(response.error().kind == ErrorKind::invalid_argument);
    CHECK(response.error().message.find("CA certificate") != std::string::npos);
    http::Request odd = get("http://127.0.0.1:1/");
    odd.method = "FROB";
    CHECK(http::fetch(odd).error().kind == ErrorKind::invalid_argument);
}

namespace {

// A CA and a server certificate, by default for localhost and 127.0.0.1 as
// `server init` makes them.
struct TestPki {
    pki::CertificateAuthority ca = pki::create_authority("tether test CA", std::chrono::hours(1));
    pki::PrivateKey server_key = pki::PrivateKey::generate();
    pki::Certificate server_certificate;

    explicit TestPki(pki::ServerNames names = {{"localhost"}, {"127.0.0.1"}})
        : server_certificate(pki::issue_server_certificate(ca, server_key, names, std::chrono::hours(1)).value()) {}

    std::shared_ptr<boost::asio::ssl::context> server_context() const {
        auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
        REQUIRE(pki::configure_server_tls(context->native_handle(), server_certificate, server_key));
        return context;
    }
};

server::Router hello_router() {
    server::Router router;
    router.add("GET", "/", [](const server::HttpRequest&) { return server::HttpResponse{200, "hello over TLS"}; });
    return router;
}

}  // namespace

TEST_CASE("https: the client verifies the server against the given CA, by IP and by name") {
    TestPki test_pki;
    LiveListener live(hello_router(), test_pki.server_context());
    for (std::string host : {"127.0.0.1", "localhost"}) {
        http::Request request = get("https://" + host + ":" + std::to_string(live.address.port) + "/");
        request.ca = &test_pki.ca.certificate;
        auto response = http::fetch(request);
        REQUIRE_MESSAGE(response, host, ": ", response.error().message);
        CHECK(response.value().body == "hello over TLS");
    }
}

TEST_CASE("https: another CA, or a name the certificate does not carry, fails the handshake") {
    TestPki test_pki;
    TestPki other;
    LiveListener live(hello_router(), test_pki.server_context());

    http::Request wrong_ca = get("https://127.0.0.1:" + std::to_string(live.address.port) + "/");
    wrong_ca.ca = &other.ca.certificate;
    auto refused = http::fetch(wrong_ca);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::unavailable);
    CHECK(refused.error().message.find("TLS handshake with 127.0.0.1:") == 0);

    // A certificate for localhost only, asked for as 127.0.0.1.
    TestPki name_only({{"localhost"}, {}});
    LiveListener named(hello_router(), name_only.server_context());
    http::Request wrong_name = get("https://127.0.0.1:" + std::to_string(named.address.port) + "/");
    wrong_name.ca = &name_only.ca.certificate;
    auto mismatch = http::fetch(wrong_name);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().message.find("TLS handshake") != std::string::npos);

    // And the listener is still serving.
    http::Request good = get("https://127.0.0.1:" + std::to_string(live.address.port) + "/");
    good.ca = &test_pki.ca.certificate;
    CHECK(http::fetch(good));
}

TEST_CASE("https: plain HTTP to the TLS listener gets no answer, and the listener keeps serving") {
    TestPki test_pki;
    LiveListener live(hello_router(), test_pki.server_context());
    auto plain = http::fetch(get("http://127.0.0.1:" + std::to_string(live.address.port) + "/"));
    CHECK_FALSE(plain);
    http::Request good = get("https://127.0.0.1:" + std::to_string(live.address.port) + "/");
    good.ca = &test_pki.ca.certificate;
    CHECK(http::fetch(good));
}

namespace {

http::ProxyEnvironment proxy_at(const HostPort& proxy) {
    http::ProxyEnvironment env;
    env.https_proxy = "http://" + proxy.to_string();
    return env;
}

}  // namespace

TEST_CASE("https: fetch goes through HTTPS_PROXY with CONNECT and still verifies the server") {
    TestPki test_pki;
    LiveListener live(hello_router(), test_pki.server_context());
    testing::ConnectProxy proxy;
    http::Request request = get("https://127.0.0.1:" + std::to_string(live.address.port) + "/");
    request.ca = &test_pki.ca.certificate;
    auto response = http::fetch(request, proxy_at(proxy.address()));
    REQUIRE_MESSAGE(response, response.error().message);
    CHECK(response.value().body == "hello over TLS");
    CHECK(proxy.printed("CONNECT " + live.address.to_string() + " 200"));

    TestPki other;
    request.ca = &other.ca.certificate;
    auto refused = http::fetch(request, proxy_at(proxy.address()));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("TLS handshake with 127.0.0.1:") == 0);
}

TEST_CASE("fetch: http:// ignores HTTPS_PROXY, and https through a dead proxy is unavailable naming it") {
    server::Router router;
    router.add("GET", "/", [](const server::HttpRequest&) { return server::HttpResponse{200, "direct"}; });
    LiveListener plain(std::move(router));
    std::uint16_t dead;
    {
        SilentPort closed;  // bound then closed: nothing listens there now
        dead = closed.port;
    }
    HostPort dead_proxy{"127.0.0.1", dead};
    auto direct = http::fetch(get("http://" + plain.address.to_string() + "/"), proxy_at(dead_proxy));
    REQUIRE_MESSAGE(direct, direct.error().message);
    CHECK(direct.value().body == "direct");

    TestPki test_pki;
    http::Request request = get("https://127.0.0.1:1/");
    request.ca = &test_pki.ca.certificate;
    auto response = http::fetch(request, proxy_at(dead_proxy));
    REQUIRE_FALSE(response);
    CHECK(response.error().kind == ErrorKind::unavailable);
    CHECK(response.error().message.find("cannot connect to proxy " + dead_proxy.to_string()) == 0);
}
