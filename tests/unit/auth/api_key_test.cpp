#include <doctest/doctest.h>

#include <set>

#include "tether/auth/api_key.h"
#include "tether/auth/role.h"

using namespace tether;
using namespace tether::auth;

TEST_CASE("a generated key parses back to its id, and its secret matches the stored hash") {
    NewApiKey key = generate_api_key();
    std::string_view token = key.token.reveal();
    CHECK(token.substr(0, 4) == "tth_");
    CHECK(token.size() == 4 + key_id_length + 1 + key_secret_length);
    auto parsed = parse_api_key(token);
    REQUIRE(parsed);
    CHECK(parsed.value().key_id == key.key_id);
    std::string stored(reinterpret_cast<const char*>(key.secret_hash.data()), key.secret_hash.size());
    CHECK(key_secret_matches(parsed.value().secret.reveal(), stored));
    std::string altered(parsed.value().secret.reveal());
    altered[0] = altered[0] == 'x' ? 'y' : 'x';  // always a different first character
    CHECK_FALSE(key_secret_matches(altered, stored));
}

TEST_CASE("generated keys differ in id and secret") {
    std::set<std::string> ids;
    std::set<std::string> tokens;
    for (int i = 0; i < 200; ++i) {
        NewApiKey key = generate_api_key();
        ids.insert(key.key_id);
        tokens.insert(std::string(key.token.reveal()));
    }
    CHECK(ids.size() == 200);
    CHECK(tokens.size() == 200);
}

TEST_CASE("malformed keys are refused without repeating them") {
    std::string good(generate_api_key().token.reveal());
    for (std::string bad : {std::string(""), std::string("tth_"), good.substr(0, good.size() - 1), good + "x",
                            "xth_" + good.substr(4), good.substr(0, 16) + "-" + good.substr(17),
                            good.substr(0, 20) + "!" + good.substr(21)}) {
        auto parsed = parse_api_key(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == ErrorKind::unauthenticated);
        CHECK(parsed.error().message == "malformed API key");
    }
}

TEST_CASE("roles include the ones below them") {
    CHECK(allows(Role::admin, Role::viewer));
    CHECK(allows(Role::operator_, Role::operator_));
    CHECK_FALSE(allows(Role::viewer, Role::operator_));
    CHECK(parse_role("operator") == Role::operator_);
    CHECK_FALSE(parse_role("root").has_value());
    CHECK(std::string(to_string(Role::admin)) == "admin");
}
