#include <doctest/doctest.h>

#include "tether/store/connections.h"
#include "tether/store/identities.h"
#include "tether/store/statement.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;

namespace {

struct ConnectionDatabase : testing::TempDatabase {
    Org acme = create_org(*db, "acme", 1).value();
    Org other = create_org(*db, "other", 1).value();

    Connection make(const Org& org, const std::string& name, const std::string& mode,
                    std::optional<std::string> sealed = std::nullopt) {
        return {0, org.id, org.name, name, "aws", mode, R"({"region":"eu-west-1"})", std::move(sealed),
                "service-account:acme/admin", 5};
    }
};

}  // namespace

TEST_CASE("connections: one live name per org, found by org and name only") {
    ConnectionDatabase store;
    auto created = insert_connection(*store.db, store.make(store.acme, "prod", "runner-delegated"));
    REQUIRE(created);
    CHECK(created.value().org == "acme");
    CHECK(created.value().provider == "aws");
    CHECK(created.value().settings == R"({"region":"eu-west-1"})");
    CHECK_FALSE(created.value().sealed_credentials);

    auto duplicate = insert_connection(*store.db, store.make(store.acme, "prod", "cross-account"));
    REQUIRE_FALSE(duplicate);
    CHECK(duplicate.error().kind == ErrorKind::already_exists);
    CHECK(duplicate.error().message == "connection 'prod' already exists");

    // Another org may use the name, and does not see acme's.
    REQUIRE(insert_connection(*store.db, store.make(store.other, "prod", "runner-delegated")));
    CHECK(find_connection(*store.db, store.other.id, "prod").value().id != created.value().id);
    auto missing = find_connection(*store.db, store.acme.id, "staging");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK(missing.error().message == "no connection 'staging'");
    CHECK(list_connections(*store.db, store.acme.id).value().size() == 1);
}

TEST_CASE("connections: inline ones keep their sealed record until deleted; others can hold none") {
    ConnectionDatabase store;
    std::string sealed("te1\x00\x01sealed", 11);
    auto created = insert_connection(*store.db, store.make(store.acme, "inline-one", "inline", sealed));
    REQUIRE(created);
    REQUIRE(created.value().sealed_credentials);
    CHECK(*created.value().sealed_credentials == sealed);  // a blob: embedded NULs survive

    // The schema refuses an inline connection without credentials and
    // credentials on any other mode.
    CHECK_FALSE(insert_connection(*store.db, store.make(store.acme, "bare", "inline")));
    CHECK_FALSE(insert_connection(*store.db, store.make(store.acme, "delegated", "runner-delegated", sealed)));
    CHECK_FALSE(insert_connection(*store.db, store.make(store.acme, "Upper", "runner-delegated")));
    CHECK_FALSE(insert_connection(*store.db, store.make(store.acme, "x", "sideways")));

    REQUIRE(delete_connection(*store.db, created.value().id, 9));
    CHECK(find_connection(*store.db, store.acme.id, "inline-one").error().kind == ErrorKind::not_found);
    CHECK(list_connections(*store.db, store.acme.id).value().empty());
    auto row = Statement::prepare(*store.db, "SELECT sealed_credentials IS NULL, deleted_at FROM connections WHERE id = ?");
    REQUIRE(row);
    row.value().bind(1, created.value().id);
    REQUIRE(row.value().step().value());
    CHECK(row.value().column_int64(0) == 1);
    CHECK(row.value().column_int64(1) == 9);

    // The name is free again.
    REQUIRE(insert_connection(*store.db, store.make(store.acme, "inline-one", "inline", sealed)));
}
