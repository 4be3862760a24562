#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "tether/pki/identity.h"

using tether::ErrorKind;
using tether::pki::is_valid_name;
using tether::pki::is_valid_trust_domain;
using tether::pki::parse_runner_identity;
using tether::pki::RunnerIdentity;

TEST_CASE("a runner identity prints as spiffe://<trust-domain>/org/<org>/runner/<runner> and parses back") {
    RunnerIdentity identity{"tether.example.com", "acme", "build-01"};
    CHECK(identity.uri() == "spiffe://tether.example.com/org/acme/runner/build-01");
    auto parsed = parse_runner_identity(identity.uri());
    REQUIRE(parsed);
    CHECK(parsed.value() == identity);
}

TEST_CASE("parse_runner_identity accepts well-formed identities at the edges of the rules") {
    std::string name63(63, 'a');
    std::string domain255 = std::string(127, 'd') + "." + std::string(127, 'd');
    REQUIRE(domain255.size() == 255);
    for (const std::string& uri : {
             std::string("spiffe://a/org/b/runner/c"),
             std::string("spiffe://example.test/org/acme/runner/r1"),
             std::string("spiffe://0-9.x-y/org/0/runner/9"),
             std::string("spiffe://td/org/a-b-c/runner/x--y"),
             "spiffe://td/org/" + name63 + "/runner/" + name63,
             "spiffe://" + domain255 + "/org/o/runner/r",
         }) {
        CAPTURE(uri);
        auto parsed = parse_runner_identity(uri);
        REQUIRE(parsed);
        CHECK(parsed.value().uri() == uri);
    }
}

TEST_CASE("parse_runner_identity refuses everything but the exact shape, as invalid_argument") {
    std::string name64(64, 'a');
    std::string domain256 = std::string(128, 'd') + "." + std::string(127, 'd');
    using namespace std::string_literals;
    for (const std::string& uri : {
             ""s,
             "spiffe://"s,
             "spiffe:"s,
             "SPIFFE://td/org/o/runner/r"s,
             "Spiffe://td/org/o/runner/r"s,
             "spiffe:/td/org/o/runner/r"s,
             "spiffe:td/org/o/runner/r"s,
             "https://td/org/o/runner/r"s,
             " spiffe://td/org/o/runner/r"s,
             "spiffe://td/org/o/runner/r "s,
             "spiffe://td/org/o/runner/r/"s,
             "spiffe://td/org/o/runner/r?x=1"s,
             "spiffe://td/org/o/runner/r#frag"s,
             "spiffe://td/org/o%2Fx/runner/r"s,
             "spiffe://td/org/o/runner/r%41"s,
             "spiffe://td//org/o/runner/r"s,
             "spiffe://td/org//runner/r"s,
             "spiffe://td/org/o/runner/"s,
             "spiffe://td/org/o/runner"s,
             "spiffe://td/org/o"s,
             "spiffe://td"s,
             "spiffe:///org/o/runner/r"s,
             "spiffe://td/orgs/o/runner/r"s,
             "spiffe://td/ORG/o/runner/r"s,
             "spiffe://td/org/o/runners/r"s,
             "spiffe://td/runner/r/org/o"s,
             "spiffe://td/org/o/runner/r/extra"s,
             "spiffe://td/org/o/runner/r/runner/s"s,
             "spiffe://td/org/./runner/r"s,
             "spiffe://td/org/../runner/r"s,
             "spiffe://TD/org/o/runner/r"s,
             "spiffe://.td/org/o/runner/r"s,
             "spiffe://td./org/o/runner/r"s,
             "spiffe://t..d/org/o/runner/r"s,
             "spiffe://td:8443/org/o/runner/r"s,
             "spiffe://user@td/org/o/runner/r"s,
             "spiffe://t_d/org/o/runner/r"s,
             "spiffe://td/org/Acme/runner/r"s,
             "spiffe://td/org/-o/runner/r"s,
             "spiffe://td/org/o-/runner/r"s,
             "spiffe://td/org/o/runner/-"s,
             "spiffe://td/org/o_x/runner/r"s,
             "spiffe://td/org/o.x/runner/r"s,
             "spiffe://td/org/o/runner/r x"s,
             "spiffe://td/org/o/runner/r\n"s,
             "spiffe://td/org/o/runner/r\0"s,
             "spiffe://td/org/o/runner/\xc3\xa9"s,
             "spiffe://td/org/" + name64 + "/runner/r",
             "spiffe://td/org/o/runner/" + name64,
             "spiffe://" + domain256 + "/org/o/runner/r",
             "/org/o/runner/r"s,
         }) {
        CAPTURE(uri);
        auto parsed = parse_runner_identity(uri);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == ErrorKind::invalid_argument);
        CHECK(parsed.error().message.find("is not a runner identity") != std::string::npos);
    }
}

TEST_CASE("a refused identity is quoted in the error, cut short when it is long") {
    auto short_one = parse_runner_identity("spiffe://td/org/o/runner/R");
    REQUIRE_FALSE(short_one);
    CHECK(short_one.error().message.find("\"spiffe://td/org/o/runner/R\"") != std::string::npos);

    auto long_one = parse_runner_identity("spiffe://td/org/o/runner/" + std::string(10000, 'x'));
    REQUIRE_FALSE(long_one);
    CHECK(long_one.error().message.size() < 600);
    CHECK(long_one.error().message.find("...\"") != std::string::npos);
}

TEST_CASE("is_valid_name is the rule for org, runner and service-account names") {
    for (std::string_view name : {"a", "0", "acme", "build-01", "a-b", "a--b", "123",
                                  "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz"}) {
        CAPTURE(name);
        CHECK(name.size() <= 63);
        CHECK(is_valid_name(name));
    }
    for (std::string_view name : {"", "-", "-a", "a-", "A", "aB", "a_b", "a.b", "a b", "a/b", "é",
                                  "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz0"}) {
        CAPTURE(name);
        CHECK_FALSE(is_valid_name(name));
    }
    CHECK_FALSE(is_valid_name(std::string_view("a\0b", 3)));
}

TEST_CASE("is_valid_trust_domain allows lower-case host names of up to 255 characters") {
    for (std::string_view domain : {"a", "example.com", "tether.internal", "a-b.c-d", "10.0.0.1", "-x", "x-"}) {
        CAPTURE(domain);
        CHECK(is_valid_trust_domain(domain));
    }
    for (std::string_view domain : {"", ".", ".a", "a.", "a..b", "Example.com", "a_b", "a b", "a:1", "a/b", "a@b"}) {
        CAPTURE(domain);
        CHECK_FALSE(is_valid_trust_domain(domain));
    }
    CHECK(is_valid_trust_domain(std::string(255, 'a')));
    CHECK_FALSE(is_valid_trust_domain(std::string(256, 'a')));
}
