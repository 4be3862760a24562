#include <doctest/doctest.h>

#include "tether/store/connections.h"
#include "tether/store/identities.h"
#include "tether/store/secrets.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;

namespace {

struct ValueDatabase : testing::TempDatabase {
    Org acme = create_org(*db, "acme", 1).value();
    Org other = create_org(*db, "other", 1).value();

    ValueVersion add(const Org& org, ValueKind kind, const std::string& name, const std::string& content,
                     std::int64_t now = 10, std::optional<std::string> description = std::nullopt) {
        auto version = next_version(*db, org.id, kind, name);
        REQUIRE(version);
        NewVersion added{org.id, kind, name, std::move(description), content,
                         static_cast<std::int64_t>(content.size()), "fp-" + content, "service-account:acme/admin", now};
        auto stored = add_version(*db, added, version.value());
        REQUIRE_MESSAGE(stored, stored.error().message);
        return stored.value();
    }
};

}  // namespace

TEST_CASE("values: versions number from 1 per name, kind and org; latest is the highest enabled") {
    ValueDatabase store;
    CHECK(store.add(store.acme, ValueKind::secret, "db", "sealed-1", 10, "the app's password").version == 1);
    CHECK(store.add(store.acme, ValueKind::secret, "db", "sealed-2", 20).version == 2);
    CHECK(store.add(store.acme, ValueKind::variable, "db", "text").version == 1);  // another kind
    CHECK(store.add(store.other, ValueKind::secret, "db", "theirs").version == 1);  // another org

    auto db = find_value(*store.db, store.acme.id, ValueKind::secret, "db");
    REQUIRE(db);
    CHECK(db.value().versions == 2);
    CHECK(db.value().latest_enabled == 2);
    CHECK(db.value().description == "the app's password");  // kept when a version brings none
    CHECK(db.value().updated_at == 20);
    CHECK(find_version(*store.db, db.value().id, std::nullopt).value().content == "sealed-2");
    CHECK(find_version(*store.db, db.value().id, 1).value().content == "sealed-1");

    SUBCASE("disabling the newest makes latest the one before; a pinned read still finds it") {
        CHECK(set_version_state(*store.db, db.value().id, 2, VersionState::disabled, 30).value());
        CHECK_FALSE(set_version_state(*store.db, db.value().id, 2, VersionState::disabled, 31).value());
        CHECK(find_version(*store.db, db.value().id, std::nullopt).value().version == 1);
        auto pinned = find_version(*store.db, db.value().id, 2).value();
        CHECK(pinned.state == VersionState::disabled);
        CHECK(pinned.changed_at == 30);
        CHECK(set_version_state(*store.db, db.value().id, 2, VersionState::enabled, 40).value());
        CHECK(find_version(*store.db, db.value().id, std::nullopt).value().version == 2);
    }
    SUBCASE("a destroyed version loses its content for good and keeps its history") {
        CHECK(set_version_state(*store.db, db.value().id, 1, VersionState::destroyed, 30).value());
        auto gone = find_version(*store.db, db.value().id, 1).value();
        CHECK(gone.state == VersionState::destroyed);
        CHECK_FALSE(gone.content);
        CHECK(gone.fingerprint == "fp-sealed-1");
        auto again = set_version_state(*store.db, db.value().id, 1, VersionState::enabled, 31);
        REQUIRE_FALSE(again);
        CHECK(again.error().kind == ErrorKind::failed_precondition);
        // A new version after destruction continues the numbering.
        CHECK(store.add(store.acme, ValueKind::secret, "db", "sealed-3").version == 3);
    }
    SUBCASE("destroying all leaves no enabled version, and says how many it destroyed") {
        CHECK(destroy_all_versions(*store.db, db.value().id, 30).value() == 2);
        CHECK(destroy_all_versions(*store.db, db.value().id, 31).value() == 0);
        auto latest = find_version(*store.db, db.value().id, std::nullopt);
        REQUIRE_FALSE(latest);
        CHECK(latest.error().kind == ErrorKind::not_found);
        CHECK(find_value(*store.db, store.acme.id, ValueKind::secret, "db").value().latest_enabled == std::nullopt);
    }
    SUBCASE("a missing name or version is not_found naming it") {
        auto missing = find_value(*store.db, store.acme.id, ValueKind::secret, "nope");
        REQUIRE_FALSE(missing);
        CHECK(missing.error().message == "no secret 'nope'");
        CHECK(find_version(*store.db, db.value().id, 9).error().message == "no version 9");
        CHECK(set_version_state(*store.db, db.value().id, 9, VersionState::disabled, 1).error().kind ==
              ErrorKind::not_found);
    }
    SUBCASE("lists hold one org and one kind") {
        auto secrets = list_values(*store.db, store.acme.id, ValueKind::secret).value();
        REQUIRE(secrets.size() == 1);
        CHECK(secrets[0].name == "db");
        auto versions = list_versions(*store.db, db.value().id).value();
        REQUIRE(versions.size() == 2);
        CHECK(versions[0].version == 2);  // newest first
        CHECK(list_values(*store.db, store.other.id, ValueKind::variable).value().empty());
    }
}

TEST_CASE("values: a version number taken by another writer is already_exists, not a second row") {
    ValueDatabase store;
    store.add(store.acme, ValueKind::secret, "db", "one");
    NewVersion late{store.acme.id, ValueKind::secret, "db", std::nullopt, "two", 3, "fp", "x", 11};
    auto clash = add_version(*store.db, late, 1);
    REQUIRE_FALSE(clash);
    CHECK(clash.error().kind == ErrorKind::already_exists);
}

TEST_CASE("org keys and master-sealed records: one key per org, and every record the master key seals") {
    ValueDatabase store;
    CHECK_FALSE(find_org_key(*store.db, store.acme.id).value());
    REQUIRE(insert_org_key(*store.db, store.acme.id, "sealed-acme-key", 5));
    CHECK(find_org_key(*store.db, store.acme.id).value() == std::optional<std::string>("sealed-acme-key"));
    CHECK(insert_org_key(*store.db, store.acme.id, "second", 6).error().kind == ErrorKind::already_exists);

    Connection inline_connection{0, store.other.id, "other", "prod", "aws", "inline", "{}", "sealed-creds", "x", 5};
    REQUIRE(insert_connection(*store.db, inline_connection));
    Connection delegated{0, store.other.id, "other", "dev", "aws", "runner-delegated", "{}", std::nullopt, "x", 5};
    REQUIRE(insert_connection(*store.db, delegated));

    auto records = list_master_sealed(*store.db).value();
    REQUIRE(records.size() == 2);
    CHECK(records[0].table == SealedRecord::Table::org_key);
    CHECK(records[0].org == "acme");
    CHECK(records[1].table == SealedRecord::Table::connection);
    CHECK(records[1].name == "prod");
    CHECK(records[1].sealed == "sealed-creds");

    records[0].sealed = "rewrapped-key";
    records[1].sealed = "rewrapped-creds";
    REQUIRE(update_master_sealed(*store.db, records[0]));
    REQUIRE(update_master_sealed(*store.db, records[1]));
    CHECK(find_org_key(*store.db, store.acme.id).value() == std::optional<std::string>("rewrapped-key"));
    CHECK(find_connection(*store.db, store.other.id, "prod").value().sealed_credentials == "rewrapped-creds");
}
