// The runner's HTTP client for cloud APIs against tests/fakes/http_server.py
// (Python's http.server and ssl, not tether's code): connection reuse, the
// system trust store and SSL_CERT_FILE, client certificates, the proxy,
// limits and timeouts.
#include <doctest/doctest.h>
#include <unistd.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "common/connect_proxy.h"
#include "common/environment.h"
#include "common/files.h"
#include "tether/http/connection_pool.h"
#include "tether/pki/authority.h"
#include "tether/pki/tls.h"

using namespace tether;
using nlohmann::json;
using testing::ScriptServer;
using namespace std::chrono_literals;

using tether::testing::environment_of;

namespace {

const std::string fake_server = TETHER_SOURCE_DIR "/tests/fakes/http_server.py";

// A CA, a server certificate for 127.0.0.1 and localhost, and a client
// certificate, as PEM files.
struct Pki : tether::testing::TempDir {
    pki::CertificateAuthority ca = pki::create_authority("pool test CA", std::chrono::hours(1));
    pki::PrivateKey server_key = pki::PrivateKey::generate();
    pki::PrivateKey client_key = pki::PrivateKey::generate();
    pki::Certificate client_certificate =
        pki::issue_client_certificate(ca, client_key, "spiffe://test/client", "pool-client", std::chrono::hours(1)).value();
    std::string ca_file = write("ca.pem", ca.certificate.to_pem());
    std::string server_certificate_file = write(
        "server.pem", pki::issue_server_certificate(ca, server_key, {{"localhost"}, {"127.0.0.1"}}, std::chrono::hours(1))
                          .value()
                          .to_pem());
    std::string server_key_file = write("server.key", server_key.to_pem().reveal());

    std::vector<std::string> tls_args() const { return {"--tls-cert", server_certificate_file, "--tls-key", server_key_file}; }
};

std::shared_ptr<http::ConnectionPool> make_pool(boost::asio::io_context& io, const config::Environment& env,
                                                http::PoolOptions options = {}) {
    auto pool = http::ConnectionPool::create(io.get_executor(), std::move(options), env);
    REQUIRE_FALSE(pool->system_trust_error());
    return pool;
}

// Runs one send to completion on `io`.
Result<http::Response> send(boost::asio::io_context& io, http::ConnectionPool& pool, const http::Request& request,
                            http::TlsContext tls = nullptr) {
    std::optional<Result<http::Response>> outcome;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { outcome.emplace(co_await pool.send(request, tls)); },
        [](std::exception_ptr error) {
            if (error) std::rethrow_exception(error);
        });
    io.restart();
    io.run();
    REQUIRE(outcome);
    return std::move(*outcome);
}

http::Request request_for(const std::string& url) {
    http::Request request;
    request.url = parse_url(url).value();
    return request;
}

std::string base(const ScriptServer& server, const std::string& scheme = "https", const std::string& host = "127.0.0.1") {
    return scheme + "://" + host + ":" + std::to_string(server.port());
}

}  // namespace

TEST_CASE("connection pool: one kept-alive connection serves a run of requests, http and https") {
    Pki test;
    ScriptServer tls_server(fake_server, test.tls_args());
    ScriptServer plain_server(fake_server, {});
    boost::asio::io_context io;
    auto pool = make_pool(io, environment_of({{"SSL_CERT_FILE", test.ca_file}}));

    for (const auto& url : {base(tls_server) + "/a?x=1", base(plain_server, "http") + "/b"}) {
        std::set<int> connections;
        for (int i = 0; i < 3; ++i) {
            http::Request request = request_for(url);
            request.method = i == 1 ? "POST" : "GET";
            request.body = i == 1 ? "payload" : "";
            request.headers = {{"X-Test", std::to_string(i)}};
            auto response = send(io, *pool, request);
            REQUIRE_MESSAGE(response, response.error().message);
            CHECK(response.value().status == 200);
            json echo = json::parse(response.value().body);
            CHECK(echo["headers"]["x-test"] == std::to_string(i));
            CHECK(echo["headers"]["user-agent"].get<std::string>().starts_with("tether/"));
            if (i == 1) CHECK(echo["body"] == "payload");
            connections.insert(echo["connection"].get<int>());
        }
        CHECK(connections.size() == 1);
    }
    CHECK(pool->connections_opened() == 2);
    CHECK(pool->idle_connections() == 2);

    // localhost resolves, and the certificate carries the name.
    auto by_name = send(io, *pool, request_for(base(tls_server, "https", "localhost") + "/"));
    REQUIRE_MESSAGE(by_name, by_name.error().message);
}

TEST_CASE("connection pool: a keep-alive the server dropped is replaced without an error; Connection: close is honoured") {
    Pki test;
    ScriptServer server(fake_server, {"--idle-timeout", "0.2"});
    boost::asio::io_context io;
    auto pool = make_pool(io, environment_of({}));
    REQUIRE(send(io, *pool, request_for(base(server, "http") + "/one")));
    std::this_thread::sleep_for(600ms);  // the server drops the idle connection, unannounced
    auto again = send(io, *pool, request_for(base(server, "http") + "/two"));
    REQUIRE_MESSAGE(again, again.error().message);
    CHECK(json::parse(again.value().body)["path"] == "/two");
    CHECK(pool->connections_opened() == 2);

    REQUIRE(send(io, *pool, request_for(base(server, "http") + "/close")));
    CHECK(pool->idle_connections() == 0);
}

TEST_CASE("connection pool: trust comes from SSL_CERT_FILE or the system store, never from nowhere") {
    Pki test;
    Pki other;
    ScriptServer server(fake_server, test.tls_args());
    boost::asio::io_context io;

    // Another CA in SSL_CERT_FILE, or the system's bundle (which has
    // never heard of the test CA): the handshake fails.
    for (const auto& env : {environment_of({{"SSL_CERT_FILE", other.ca_file}}), environment_of({})}) {
        auto pool = make_pool(io, env);
        auto refused = send(io, *pool, request_for(base(server) + "/"));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::unavailable);
        CHECK(refused.error().message.starts_with("TLS handshake with 127.0.0.1:"));
        CHECK(refused.error().message.find("certificate verify failed") != std::string::npos);
    }
    // SSL_CERT_DIR alone is honoured too (an empty one trusts nothing).
    auto empty_dir = make_pool(io, environment_of({{"SSL_CERT_DIR", test.path.string()}}));
    CHECK_FALSE(send(io, *empty_dir, request_for(base(server) + "/")));

    // Without system CAs the pool still exists; what needed them fails saying why.
    auto missing = http::ConnectionPool::create(io.get_executor(), {}, environment_of({{"SSL_CERT_FILE", "/nonexistent/ca.pem"}}));
    REQUIRE(missing->system_trust_error());
    CHECK(missing->system_trust_error()->message.starts_with("cannot load the CAs of SSL_CERT_FILE /nonexistent/ca.pem"));
    auto untrusted = send(io, *missing, request_for(base(server) + "/"));
    REQUIRE_FALSE(untrusted);
    CHECK(untrusted.error().kind == ErrorKind::failed_precondition);
    CHECK(untrusted.error().message.starts_with("cannot load the CAs of SSL_CERT_FILE /nonexistent/ca.pem"));
}

TEST_CASE("connection pool: a peer's own TLS context carries its CA and a client certificate; pools stay apart") {
    Pki test;
    ScriptServer server(fake_server, {"--tls-cert", test.server_certificate_file, "--tls-key", test.server_key_file,
                                      "--client-ca", test.ca_file});
    boost::asio::io_context io;
    auto pool = make_pool(io, environment_of({{"SSL_CERT_FILE", test.ca_file}}));
    auto anonymous = send(io, *pool, request_for(base(server) + "/"));
    CHECK_FALSE(anonymous);  // the server wants a client certificate

    auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    REQUIRE(pki::configure_public_client_tls(tls->native_handle(), test.ca.certificate.to_pem(), environment_of({}),
                                             &test.client_certificate, &test.client_key));
    auto known = send(io, *pool, request_for(base(server) + "/"), tls);
    REQUIRE_MESSAGE(known, known.error().message);
    CHECK(json::parse(known.value().body)["client_subject"]["commonName"] == "pool-client");
    auto again = send(io, *pool, request_for(base(server) + "/"), tls);
    REQUIRE(again);
    CHECK(json::parse(again.value().body)["connection"] == json::parse(known.value().body)["connection"]);

    auto broken = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    auto not_pem = pki::configure_public_client_tls(broken->native_handle(), "not a certificate", environment_of({}));
    REQUIRE_FALSE(not_pem);
    CHECK(not_pem.error().message == "the CA certificates are not PEM");
}

TEST_CASE("connection pool: HTTPS_PROXY carries https (still verified); NO_PROXY exempts") {
    Pki test;
    ScriptServer server(fake_server, test.tls_args());
    testing::ConnectProxy proxy;
    boost::asio::io_context io;
    auto env = environment_of({{"SSL_CERT_FILE", test.ca_file}, {"HTTPS_PROXY", "http://" + proxy.address().to_string()}});
    http::PoolOptions options;
    options.proxy = http::ProxyEnvironment::from(env);
    auto pool = make_pool(io, env, options);
    auto through = send(io, *pool, request_for(base(server, "https", "localhost") + "/via"));
    REQUIRE_MESSAGE(through, through.error().message);
    CHECK(proxy.output().find("CONNECT localhost:" + std::to_string(server.port())) != std::string::npos);
}

TEST_CASE("connection pool: the answer's size limit and the timeout are errors that say so") {
    ScriptServer server(fake_server, {});
    boost::asio::io_context io;
    auto pool = make_pool(io, environment_of({}));
    http::Request big = request_for(base(server, "http") + "/big/5000");
    big.max_response_bytes = 1000;
    auto refused = send(io, *pool, big);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::invalid_argument);
    CHECK(refused.error().message == "the answer from 127.0.0.1:" + std::to_string(server.port()) +
                                         " is larger than the 1000-byte limit");
    big.max_response_bytes = 5000;
    CHECK(send(io, *pool, big).value().body.size() == 5000);

    http::Request slow = request_for(base(server, "http") + "/slow/3000");
    slow.timeout = std::chrono::milliseconds(300);
    auto late = send(io, *pool, slow);
    REQUIRE_FALSE(late);
    CHECK(late.error().kind == ErrorKind::deadline_exceeded);

    http::Request odd = request_for(base(server, "http") + "/");
    odd.method = "FROB";
    CHECK(send(io, *pool, odd).error().kind == ErrorKind::invalid_argument);
}
