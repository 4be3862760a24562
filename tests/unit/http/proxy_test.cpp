#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>

#include "tether/http/proxy.h"
#include "common/environment.h"

using namespace tether;

using tether::testing::environment_of;

namespace {

http::ProxyEnvironment proxy_env(std::string https_proxy, std::string no_proxy = "") {
    http::ProxyEnvironment env;
    env.https_proxy = std::move(https_proxy);
    env.no_proxy = std::move(no_proxy);
    return env;
}

// The proxy for server.example:443 under HTTPS_PROXY=text; the test fails if there is none.
http::Proxy parsed(const std::string& text) {
    auto proxy = http::proxy_for(proxy_env(text), "server.example", 443);
    REQUIRE_MESSAGE(proxy, text, ": ", proxy.error().message);
    REQUIRE_MESSAGE(proxy.value().has_value(), text);
    return std::move(*proxy.value());
}

Error rejected(const std::string& text) {
    auto proxy = http::proxy_for(proxy_env(text), "server.example", 443);
    REQUIRE_MESSAGE(!proxy, text);
    return proxy.error();
}

bool exempt(const std::string& no_proxy, const std::string& host, std::uint16_t port = 443) {
    return http::no_proxy_matches(no_proxy, host, port);
}

}  // namespace

TEST_CASE("proxy: HTTPS_PROXY wins over https_proxy, and an empty one counts as unset") {
    auto env = http::ProxyEnvironment::from(environment_of({{"HTTPS_PROXY", "http://upper:1"},
                                                    {"https_proxy", "http://lower:2"},
                                                    {"NO_PROXY", "upper.example"},
                                                    {"no_proxy", "lower.example"}}));
    CHECK(env.https_proxy == "http://upper:1");
    CHECK(env.https_proxy_name == "HTTPS_PROXY");
    CHECK(env.no_proxy == "upper.example");

    auto lower = http::ProxyEnvironment::from(
        environment_of({{"HTTPS_PROXY", ""}, {"https_proxy", "http://lower:2"}, {"no_proxy", "lower.example"}}));
    CHECK(lower.https_proxy == "http://lower:2");
    CHECK(lower.https_proxy_name == "https_proxy");
    CHECK(lower.no_proxy == "lower.example");

    auto none = http::ProxyEnvironment::from(environment_of({{"HTTP_PROXY", "http://plain:3"}}));
    CHECK(none.https_proxy.empty());
    CHECK(none.no_proxy.empty());
}

TEST_CASE("proxy: no HTTPS_PROXY, or only blanks, means a direct connection") {
    for (std::string text : {"", "   "}) {
        auto proxy = http::proxy_for(proxy_env(text), "server.example", 443);
        REQUIRE(proxy);
        CHECK_FALSE(proxy.value().has_value());
    }
}

TEST_CASE("proxy: http:// URLs, scheme-less host:port and IPv6 literals parse to host and port") {
    CHECK(parsed("http://proxy.corp:3128").address.to_string() == "proxy.corp:3128");
    CHECK(parsed("http://proxy.corp").address.port == 80);
    CHECK(parsed("HTTP://Proxy.Corp:3128/ignored/path").address.to_string() == "Proxy.Corp:3128");
    CHECK(parsed(" proxy.corp:8080 ").address.to_string() == "proxy.corp:8080");
    CHECK(parsed("http://[::1]:3128").address.host == "::1");
    CHECK(parsed("[fd00::5]:3128").address.port == 3128);
    CHECK_FALSE(parsed("http://proxy.corp:3128").credentials.has_value());
}

TEST_CASE("proxy: user:password@ is percent-decoded into the credentials") {
    CHECK(parsed("http://alice:s3cret@proxy.corp:3128").credentials->reveal() == "alice:s3cret");
    CHECK(parsed("http://al%40ce:p%3Ass%25@proxy.corp:3128").credentials->reveal() == "al@ce:p:ss%");
    CHECK(parsed("alice:pa:ss@proxy.corp:3128").credentials->reveal() == "alice:pa:ss");
    // Up to the last '@' is user info, so a raw '@' or '/' stays in the password.
    CHECK(parsed("http://alice:p@/ss@proxy.corp:3128").credentials->reveal() == "alice:p@/ss");
    CHECK(parsed("http://alice@proxy.corp:3128").credentials->reveal() == "alice:");
    CHECK(parsed("http://alice:s3cret@proxy.corp:3128").address.to_string() == "proxy.corp:3128");
}

TEST_CASE("proxy: https and socks proxies, other schemes and malformed values are refused, naming the variable") {
    CHECK(rejected("https://proxy.corp:3128").message.find("https:// proxies") != std::string::npos);
    CHECK(rejected("socks5://proxy.corp:1080").message.find("SOCKS") != std::string::npos);
    CHECK(rejected("socks5h://proxy.corp:1080").message.find("SOCKS") != std::string::npos);
    CHECK(rejected("ftp://proxy.corp:21").message.find("ftp://") != std::string::npos);
    CHECK(rejected("proxy.corp").message.find("give the proxy's port") != std::string::npos);
    CHECK(rejected("[::1]").message.find("give the proxy's port") != std::string::npos);
    CHECK(rejected("http://proxy.corp:99999").message.find("port") != std::string::npos);
    CHECK(rejected("http://proxy.corp:0").message.find("port") != std::string::npos);
    CHECK(rejected("http://").kind == ErrorKind::invalid_argument);
    CHECK(rejected("http://:pw@proxy.corp:3128").message.find("user name") != std::string::npos);
    for (std::string text : {"https://proxy.corp:3128", "proxy.corp", "http://proxy corp:1"}) {
        Error error = rejected(text);
        CHECK(error.kind == ErrorKind::invalid_argument);
        CHECK(error.message.rfind("HTTPS_PROXY ", 0) == 0);
    }
    http::ProxyEnvironment lower = proxy_env("socks5://x:1");
    lower.https_proxy_name = "https_proxy";
    CHECK(http::proxy_for(lower, "h", 1).error().message.rfind("https_proxy ", 0) == 0);
}

TEST_CASE("proxy: a refused value never repeats the password") {
    for (std::string text : {"http://alice:Hunter2pw@proxy.corp:99999", "http://alice:Hunter2pw%zz@proxy.corp:1",
                             "https://alice:Hunter2pw@proxy.corp:1", "alice:Hunter2pw@proxy corp:1",
                             "http://alice:Hunter2pw/x@proxy.corp:http", "socks5://alice:Hunter2pw@proxy.corp"}) {
        Error error = rejected(text);
        CHECK_MESSAGE(error.message.find("Hunter2pw") == std::string::npos, error.message);
        CHECK_MESSAGE(error.message.find("Hunter2") == std::string::npos, error.message);
    }
}

TEST_CASE("proxy: NO_PROXY * and an exempt host mean a direct connection; a bad HTTPS_PROXY fails even then") {
    auto all = http::proxy_for(proxy_env("http://proxy.corp:3128", "*"), "server.example", 443);
    REQUIRE(all);
    CHECK_FALSE(all.value().has_value());
    auto listed = http::proxy_for(proxy_env("http://proxy.corp:3128", "other.example, server.example"),
                                  "server.example", 443);
    REQUIRE(listed);
    CHECK_FALSE(listed.value().has_value());
    auto unlisted = http::proxy_for(proxy_env("http://proxy.corp:3128", "other.example"), "server.example", 443);
    REQUIRE(unlisted);
    CHECK(unlisted.value().has_value());
    CHECK_FALSE(http::proxy_for(proxy_env("https://proxy.corp:3128", "*"), "server.example", 443));
}

TEST_CASE("no_proxy: * alone or as an entry exempts every host") {
    CHECK(exempt("*", "server.example"));
    CHECK(exempt(" * ", "10.0.0.1"));
    CHECK(exempt("a.example,*", "server.example"));
    CHECK_FALSE(exempt("", "server.example"));
    CHECK_FALSE(exempt("*.*", "server.example"));
}

TEST_CASE("no_proxy: a domain, with or without a leading . or *., matches itself and its subdomains") {
    for (std::string entry : {"example.com", ".example.com", "*.example.com"}) {
        CHECK_MESSAGE(exempt(entry, "example.com"), entry);
        CHECK_MESSAGE(exempt(entry, "api.example.com"), entry);
        CHECK_MESSAGE(exempt(entry, "a.b.example.com"), entry);
        CHECK_FALSE_MESSAGE(exempt(entry, "notexample.com"), entry);
        CHECK_FALSE_MESSAGE(exempt(entry, "example.com.evil"), entry);
        CHECK_FALSE_MESSAGE(exempt(entry, "example.org"), entry);
    }
    CHECK_FALSE(exempt("api.example.com", "example.com"));
}

TEST_CASE("no_proxy: matching ignores case, trailing dots and whitespace around entries") {
    CHECK(exempt("Example.COM", "API.example.com"));
    CHECK(exempt("example.com.", "example.com"));
    CHECK(exempt("example.com", "example.com."));
    CHECK(exempt("  a.example ,\texample.com  ,", "x.example.com"));
    CHECK(exempt(",,example.com,,", "example.com"));
}

TEST_CASE("no_proxy: IP literals match exactly, IPv6 with or without brackets") {
    CHECK(exempt("10.1.2.3", "10.1.2.3"));
    CHECK_FALSE(exempt("10.1.2.3", "10.1.2.30"));
    CHECK_FALSE(exempt("10.1.2.3", "10.1.2.4"));
    CHECK(exempt("::1", "::1"));
    CHECK(exempt("[::1]", "::1"));
    CHECK(exempt("[::1]", "[::1]"));
    CHECK(exempt("fd00:0:0::1", "FD00::1"));  // the same address written two ways
    CHECK_FALSE(exempt("::1", "::2"));
    CHECK(exempt("10.1.2.3", "::ffff:10.1.2.3"));  // an IPv4-mapped IPv6 address is the IPv4 address
}

TEST_CASE("no_proxy: an IP host matches only IP and CIDR entries, a name only name entries") {
    CHECK_FALSE(exempt("2.3", "10.1.2.3"));  // not a domain suffix of an address
    CHECK_FALSE(exempt("localhost", "127.0.0.1"));
    CHECK_FALSE(exempt("127.0.0.1", "localhost"));
    CHECK_FALSE(exempt("server.example", "127.0.0.1"));
}

TEST_CASE("no_proxy: CIDR blocks match the addresses inside them") {
    CHECK(exempt("10.0.0.0/8", "10.200.3.4"));
    CHECK_FALSE(exempt("10.0.0.0/8", "11.0.0.1"));
    CHECK(exempt("192.168.1.0/25", "192.168.1.127"));
    CHECK_FALSE(exempt("192.168.1.0/25", "192.168.1.128"));
    CHECK(exempt("10.1.2.3/32", "10.1.2.3"));
    CHECK(exempt("0.0.0.0/0", "203.0.113.9"));
    CHECK(exempt("::1/128", "::1"));
    CHECK(exempt("fd00::/8", "fdab::17"));
    CHECK_FALSE(exempt("fd00::/8", "fe80::1"));
    CHECK_FALSE(exempt("10.0.0.0/8", "::ffff:b00:1"));  // 11.0.0.1, mapped
    CHECK(exempt("10.0.0.0/8", "::ffff:a00:1"));        // 10.0.0.1, mapped
    CHECK_FALSE(exempt("10.0.0.0/8", "server.example"));
    CHECK_FALSE(exempt("10.0.0.0/33", "10.0.0.1"));  // no such block
    CHECK_FALSE(exempt("::/129", "::1"));
}

TEST_CASE("no_proxy: an entry with :port exempts only that port") {
    CHECK(exempt("example.com:8443", "api.example.com", 8443));
    CHECK_FALSE(exempt("example.com:8443", "api.example.com", 443));
    CHECK(exempt("10.1.2.3:443", "10.1.2.3", 443));
    CHECK_FALSE(exempt("10.1.2.3:443", "10.1.2.3", 444));
    CHECK(exempt("[::1]:7443", "::1", 7443));
    CHECK_FALSE(exempt("[::1]:7443", "::1", 443));
    CHECK(exempt("10.0.0.0/8:443", "10.9.9.9", 443));
    CHECK_FALSE(exempt("10.0.0.0/8:443", "10.9.9.9", 80));
}

TEST_CASE("no_proxy: entries that are neither names, addresses nor blocks never match, and do not fail") {
    CHECK_FALSE(exempt("192.168.*", "192.168.1.1"));
    CHECK_FALSE(exempt("<local>", "server"));
    CHECK_FALSE(exempt("example.com:http", "example.com"));
    CHECK_FALSE(exempt("[::1", "::1"));
    CHECK_FALSE(exempt(".", "example.com"));
    CHECK(exempt("192.168.*, [::1, example.com", "example.com"));  // the rest of the list still counts
}

TEST_CASE("proxy: localhost and loopback go through the proxy unless NO_PROXY lists them") {
    CHECK_FALSE(exempt("", "localhost"));
    CHECK_FALSE(exempt("", "127.0.0.1"));
    CHECK(exempt("localhost,127.0.0.0/8,::1", "127.0.0.1"));
}

TEST_CASE("connect_request: the CONNECT head names the target twice, brackets IPv6, and adds Basic credentials") {
    CHECK(http::connect_request({"server.example", 7443}, std::nullopt).reveal() ==
          "CONNECT server.example:7443 HTTP/1.1\r\nHost: server.example:7443\r\n\r\n");
    CHECK(http::connect_request({"::1", 443}, std::nullopt).reveal() ==
          "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
    // RFC 7617's example.
    CHECK(http::connect_request({"10.0.0.1", 443}, Secret("Aladdin:open sesame")).reveal() ==
          "CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: 10.0.0.1:443\r\n"
          "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
    CHECK(http::connect_request({"h", 1}, Secret("u:")).reveal().find("Basic dTo=\r\n") != std::string::npos);
}
