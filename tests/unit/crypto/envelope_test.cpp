#include <doctest/doctest.h>

#include <string>

#include "tether/crypto/envelope.h"
#include "tether/crypto/random.h"

using namespace tether;

namespace {

Secret fresh_master_key() { return std::move(crypto::parse_master_key(crypto::random_hex(32))).value(); }

}  // namespace

TEST_CASE("a sealed value opens under the same master key and record, and holds no plaintext") {
    Secret master = fresh_master_key();
    std::string secret = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    auto sealed = crypto::seal(master, "org:acme\nconnection:prod", secret);
    REQUIRE(sealed);
    CHECK(sealed.value().find("wJalrXUtnFEMI") == std::string::npos);
    CHECK(sealed.value().size() == 3 + 8 + 12 + 32 + 16 + 12 + secret.size() + 16);
    auto opened = crypto::open(master, "org:acme\nconnection:prod", sealed.value());
    REQUIRE(opened);
    CHECK(opened.value().reveal() == secret);

    SUBCASE("every seal is different: fresh data key and nonces") {
        auto again = crypto::seal(master, "org:acme\nconnection:prod", secret);
        REQUIRE(again);
        CHECK(again.value() != sealed.value());
    }
    SUBCASE("another record's identity does not open it") {
        auto moved = crypto::open(master, "org:other\nconnection:prod", sealed.value());
        REQUIRE_FALSE(moved);
        CHECK(moved.error().kind == ErrorKind::invalid_argument);
        CHECK(moved.error().message.find("another record") != std::string::npos);
    }
    SUBCASE("any altered byte is refused") {
        for (std::size_t at = 0; at < sealed.value().size(); ++at) {
            std::string altered = sealed.value();
            altered[at] = static_cast<char>(altered[at] ^ 0x01);
            CAPTURE(at);
            CHECK_FALSE(crypto::open(master, "org:acme\nconnection:prod", altered));
        }
    }
    SUBCASE("a truncated record is refused") {
        CHECK_FALSE(crypto::open(master, "org:acme\nconnection:prod", sealed.value().substr(0, sealed.value().size() - 1)));
        CHECK_FALSE(crypto::open(master, "org:acme\nconnection:prod", sealed.value().substr(0, 40)));
        CHECK_FALSE(crypto::open(master, "org:acme\nconnection:prod", ""));
    }
    SUBCASE("another master key is named as the cause") {
        Secret other = fresh_master_key();
        auto opened_elsewhere = crypto::open(other, "org:acme\nconnection:prod", sealed.value());
        REQUIRE_FALSE(opened_elsewhere);
        CHECK(opened_elsewhere.error().kind == ErrorKind::permission_denied);
        CHECK(opened_elsewhere.error().message.find(crypto::master_key_id(master)) != std::string::npos);
        CHECK(opened_elsewhere.error().message.find(crypto::master_key_id(other)) != std::string::npos);
    }
}

TEST_CASE("an empty value seals and opens") {
    Secret master = fresh_master_key();
    auto sealed = crypto::seal(master, "record", "");
    REQUIRE(sealed);
    auto opened = crypto::open(master, "record", sealed.value());
    REQUIRE(opened);
    CHECK(opened.value().empty());
}

TEST_CASE("the master key file form: 64 hex characters, a trailing newline allowed") {
    std::string hex = crypto::random_hex(32);
    CHECK(crypto::parse_master_key(hex));
    CHECK(crypto::parse_master_key(hex + "\n"));
    CHECK_FALSE(crypto::parse_master_key(hex.substr(0, 62)));
    CHECK_FALSE(crypto::parse_master_key(hex + "00"));
    std::string bad = hex;
    bad[10] = 'g';
    auto refused = crypto::parse_master_key(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("not hex") != std::string::npos);
    CHECK(crypto::master_key_id(std::move(crypto::parse_master_key(hex)).value()).size() == 16);
}

TEST_CASE("rewrap moves a record to a new master key and leaves its ciphertext as it was") {
    Secret old_master = fresh_master_key();
    Secret new_master = fresh_master_key();
    std::string secret = "db-password-7f3a";
    auto sealed = crypto::seal(old_master, "org:1\nsecret:db\nversion:1", secret);
    REQUIRE(sealed);
    auto moved = crypto::rewrap(old_master, new_master, "org:1\nsecret:db\nversion:1", sealed.value());
    REQUIRE(moved);
    // Only the key id, the key nonce and the sealed data key change.
    constexpr std::size_t data_part = 3 + 8 + 12 + 32 + 16;
    CHECK(moved.value().size() == sealed.value().size());
    CHECK(moved.value().substr(data_part) == sealed.value().substr(data_part));
    CHECK(moved.value().substr(3, 8) != sealed.value().substr(3, 8));

    auto opened = crypto::open(new_master, "org:1\nsecret:db\nversion:1", moved.value());
    REQUIRE(opened);
    CHECK(opened.value().reveal() == secret);
    auto stale = crypto::open(old_master, "org:1\nsecret:db\nversion:1", moved.value());
    REQUIRE_FALSE(stale);
    CHECK(stale.error().kind == ErrorKind::permission_denied);

    SUBCASE("the old key must be the one it was sealed under, and the record its own") {
        CHECK(crypto::rewrap(new_master, old_master, "org:1\nsecret:db\nversion:1", sealed.value()).error().kind ==
              ErrorKind::permission_denied);
        CHECK(crypto::rewrap(old_master, new_master, "org:2\nsecret:db\nversion:1", sealed.value()).error().kind ==
              ErrorKind::invalid_argument);
        CHECK_FALSE(crypto::rewrap(old_master, new_master, "record", "te1 not a record"));
    }
}

TEST_CASE("a new key is 32 random bytes and can serve as the key above a record") {
    Secret org_key = crypto::new_key();
    CHECK(org_key.size() == 32);
    CHECK(org_key.reveal() != crypto::new_key().reveal());
    auto sealed = crypto::seal(org_key, "value", "text");
    REQUIRE(sealed);
    CHECK(crypto::open(org_key, "value", sealed.value()).value().reveal() == "text");
}
