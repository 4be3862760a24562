#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "tether/auth/api_key.h"
#include "tether/store/identities.h"
#include "tether/store/migrations.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;
using tether::testing::TempDatabase;

namespace {


}  // namespace

TEST_CASE("orgs: create, find, list, and a duplicate name is already_exists") {
    TempDatabase ids;
    auto acme = create_org(*ids.db, "acme", 100);
    REQUIRE(acme);
    CHECK(acme.value().name == "acme");
    CHECK(acme.value().created_at == 100);
    REQUIRE(create_org(*ids.db, "beta", 101));
    auto again = create_org(*ids.db, "acme", 102);
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::already_exists);
    CHECK(again.error().message == "org 'acme' already exists");
    CHECK(find_org(*ids.db, "beta").value().name == "beta");
    CHECK(find_org(*ids.db, "gamma").error().kind == ErrorKind::not_found);
    CHECK(list_orgs(*ids.db).value().size() == 2);
}

TEST_CASE("service accounts: names are unique per org among live accounts only") {
    TempDatabase ids;
    Org acme = create_org(*ids.db, "acme", 1).value();
    Org beta = create_org(*ids.db, "beta", 1).value();
    auto ci = create_service_account(*ids.db, acme, "ci", AccountKind::bot, auth::Role::operator_, 5);
    REQUIRE(ci);
    CHECK(ci.value().org == "acme");
    CHECK(ci.value().role == auth::Role::operator_);
    CHECK(ci.value().kind == AccountKind::bot);
    CHECK(ci.value().active);
    CHECK(create_service_account(*ids.db, acme, "ci", AccountKind::bot, auth::Role::viewer, 6).error().kind ==
          ErrorKind::already_exists);
    REQUIRE(create_service_account(*ids.db, beta, "ci", AccountKind::bot, auth::Role::viewer, 6));

    REQUIRE(set_service_account_active(*ids.db, ci.value().id, false));
    CHECK_FALSE(find_service_account(*ids.db, acme.id, "ci").value().active);

    REQUIRE(delete_service_account(*ids.db, ci.value().id, 7));
    CHECK(find_service_account(*ids.db, acme.id, "ci").error().kind == ErrorKind::not_found);
    CHECK(list_service_accounts(*ids.db, acme.id).value().empty());
    // The name is free again once the old account is deleted.
    REQUIRE(create_service_account(*ids.db, acme, "ci", AccountKind::bot, auth::Role::viewer, 8));
}

TEST_CASE("API keys: only the hash is stored; revocation, and deleting an account revokes its keys") {
    TempDatabase ids;
    Org acme = create_org(*ids.db, "acme", 1).value();
    ServiceAccount ci = create_service_account(*ids.db, acme, "ci", AccountKind::bot, auth::Role::admin, 1).value();
    auth::NewApiKey first = auth::generate_api_key();
    auth::NewApiKey second = auth::generate_api_key();
    REQUIRE(insert_api_key(*ids.db, first.key_id, ci.id, first.secret_hash, 10, std::nullopt));
    auto stored = insert_api_key(*ids.db, second.key_id, ci.id, second.secret_hash, 11, 1000);
    REQUIRE(stored);
    CHECK(stored.value().expires_at == 1000);
    CHECK(stored.value().secret_sha256.size() == 32);

    auto found = find_api_key(*ids.db, first.key_id);
    REQUIRE(found);
    auto presented = auth::parse_api_key(first.token.reveal()).value();
    CHECK(auth::key_secret_matches(presented.secret.reveal(), found.value().secret_sha256));

    REQUIRE(touch_api_key(*ids.db, found.value().id, 50));
    CHECK(find_api_key(*ids.db, first.key_id).value().last_used_at == 50);

    REQUIRE(revoke_api_key(*ids.db, first.key_id, 60));
    CHECK(find_api_key(*ids.db, first.key_id).value().revoked_at == 60);
    CHECK_FALSE(find_api_key(*ids.db, second.key_id).value().revoked_at.has_value());

    REQUIRE(delete_service_account(*ids.db, ci.id, 70));
    CHECK(find_api_key(*ids.db, second.key_id).value().revoked_at == 70);
    CHECK(find_api_key(*ids.db, first.key_id).value().revoked_at == 60);  // the earlier revocation stands
    CHECK(list_api_keys(*ids.db, ci.id).value().size() == 2);
}

TEST_CASE("revoke_api_keys_of can keep one key") {
    TempDatabase ids;
    Org acme = create_org(*ids.db, "acme", 1).value();
    ServiceAccount ci = create_service_account(*ids.db, acme, "ci", AccountKind::bot, auth::Role::admin, 1).value();
    std::vector<std::int64_t> key_ids;
    for (int i = 0; i < 3; ++i) {
        auth::NewApiKey key = auth::generate_api_key();
        key_ids.push_back(insert_api_key(*ids.db, key.key_id, ci.id, key.secret_hash, i, std::nullopt).value().id);
    }
    REQUIRE(revoke_api_keys_of(*ids.db, ci.id, 9, key_ids[2]));
    auto keys = list_api_keys(*ids.db, ci.id).value();
    CHECK(keys[0].revoked_at == 9);
    CHECK(keys[1].revoked_at == 9);
    CHECK_FALSE(keys[2].revoked_at.has_value());
}
