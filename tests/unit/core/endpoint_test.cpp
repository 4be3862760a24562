#include <doctest/doctest.h>

#include "tether/core/endpoint.h"

using namespace tether;

TEST_CASE("host:port parses names, IPv4 and bracketed IPv6") {
    auto a = parse_host_port("localhost:8443");
    REQUIRE(a);
    CHECK(a.value().host == "localhost");
    CHECK(a.value().port == 8443);
    auto b = parse_host_port("[::1]:0");
    REQUIRE(b);
    CHECK(b.value().host == "::1");
    CHECK(b.value().to_string() == "[::1]:0");
}

TEST_CASE("bad host:port values say what is wrong") {
    CHECK(parse_host_port("localhost").error().message == "'localhost' is not a valid host:port: missing :port");
    CHECK(parse_host_port(":80").error().message == "':80' is not a valid host:port: missing host");
    CHECK(parse_host_port("::1:80").error().message.find("in brackets") != std::string::npos);
    CHECK(parse_host_port("a:65536").error().message.find("0 to 65535") != std::string::npos);
    CHECK(parse_host_port("a b:1").error().kind == ErrorKind::invalid_argument);
    CHECK_FALSE(parse_host_port("[::1"));
    CHECK_FALSE(parse_host_port("a:"));
}

TEST_CASE("URLs: scheme, default port, target") {
    auto url = parse_url("https://api.example.com/v1?x=1");
    REQUIRE(url);
    CHECK(url.value().scheme == "https");
    CHECK(url.value().authority.port == 443);
    CHECK(url.value().target == "/v1?x=1");
    auto bare = parse_url("http://127.0.0.1:8443");
    REQUIRE(bare);
    CHECK(bare.value().target == "/");
    CHECK(bare.value().to_string() == "http://127.0.0.1:8443/");
}

TEST_CASE("bad URLs are refused with the reason") {
    CHECK(parse_url("127.0.0.1:8443").error().message.find("expected http:// or https://") != std::string::npos);
    CHECK(parse_url("ftp://x").error().message.find("scheme must be http or https") != std::string::npos);
    CHECK(parse_url("http://user:pw@host/").error().message.find("not supported") != std::string::npos);
    CHECK(parse_url("http:///path").error().message.find("missing host") != std::string::npos);
    CHECK_FALSE(parse_url("http://host/a b"));
}
