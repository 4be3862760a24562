#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "tether/store/migrations.h"
#include "tether/store/statement.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;
using tether::testing::TempDatabase;

namespace {


std::int64_t count(const Database& db, const std::string& sql) {
    auto statement = Statement::prepare(db, sql);
    REQUIRE(statement);
    REQUIRE(statement.value().step().value());
    return statement.value().column_int64(0);
}

}  // namespace

TEST_CASE("a new database migrates to the latest version with every table") {
    TempDatabase temp(false);
    auto version = migrate(*temp.db);
    REQUIRE(version);
    CHECK(version.value() == latest_schema_version());
    CHECK(schema_version(*temp.db).value() == latest_schema_version());
    for (const char* table : {"settings", "orgs", "service_accounts", "api_keys", "runners", "certificates", "audit_log",
                              "operations", "tunnels", "connections"}) {
        CHECK_MESSAGE(count(*temp.db, std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") + table + "'") == 1,
                      table);
    }
    // Again: nothing to do, same version.
    CHECK(migrate(*temp.db).value() == latest_schema_version());
}

TEST_CASE("every earlier version migrates to the latest and keeps its data") {
    for (int start = 0; start < latest_schema_version(); ++start) {
        CAPTURE(start);
        TempDatabase temp(false);
        REQUIRE(migrate(*temp.db, start).value() == start);
        if (start >= 1) REQUIRE(execute(*temp.db, "INSERT INTO orgs (name, created_at) VALUES ('acme', 1)"));
        REQUIRE(migrate(*temp.db).value() == latest_schema_version());
        if (start >= 1) CHECK(count(*temp.db, "SELECT count(*) FROM orgs WHERE name = 'acme'") == 1);
    }
}

TEST_CASE("a database from a newer tether is refused and left untouched") {
    TempDatabase temp(false);
    int newer = latest_schema_version() + 1;
    REQUIRE(execute(*temp.db, "PRAGMA user_version = " + std::to_string(newer)));
    auto result = migrate(*temp.db);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::failed_precondition);
    CHECK(result.error().message.find("newer than this tether knows") != std::string::npos);
    CHECK(schema_version(*temp.db).value() == newer);
    CHECK(count(*temp.db, "SELECT count(*) FROM sqlite_schema") == 0);
}

TEST_CASE("constraints hold: unique live names, and only 32-byte key hashes") {
    TempDatabase temp(false);
    REQUIRE(migrate(*temp.db));
    REQUIRE(execute(*temp.db, "INSERT INTO orgs (name, created_at) VALUES ('acme', 1)"));
    auto duplicate = execute(*temp.db, "INSERT INTO orgs (name, created_at) VALUES ('acme', 2)");
    CHECK_FALSE(duplicate);
    REQUIRE(execute(*temp.db, "INSERT INTO service_accounts (org_id, name, kind, role, created_at) "
                              "VALUES (1, 'ci', 'bot', 'admin', 1)"));
    auto short_hash = Statement::prepare(*temp.db,
                                         "INSERT INTO api_keys (key_id, service_account_id, secret_sha256, created_at) "
                                         "VALUES ('k1', 1, ?, 1)");
    REQUIRE(short_hash);
    auto inserted = short_hash.value().bind_blob(1, "too short").run();
    REQUIRE_FALSE(inserted);
    CHECK(inserted.error().kind == ErrorKind::already_exists);  // a constraint, as SQLite reports it
    CHECK(count(*temp.db, "SELECT count(*) FROM api_keys") == 0);
}

TEST_CASE("a transaction dropped without commit rolls back; a committed one stays") {
    TempDatabase temp(false);
    REQUIRE(migrate(*temp.db));
    {
        auto transaction = Transaction::begin(*temp.db);
        REQUIRE(transaction);
        REQUIRE(execute(*temp.db, "INSERT INTO orgs (name, created_at) VALUES ('gone', 1)"));
    }
    CHECK(count(*temp.db, "SELECT count(*) FROM orgs") == 0);
    {
        auto transaction = Transaction::begin(*temp.db);
        REQUIRE(transaction);
        REQUIRE(execute(*temp.db, "INSERT INTO orgs (name, created_at) VALUES ('kept', 1)"));
        REQUIRE(transaction.value().commit());
    }
    CHECK(count(*temp.db, "SELECT count(*) FROM orgs") == 1);
}

TEST_CASE("statements bind and read back text, integers, nulls and blobs") {
    TempDatabase temp(false);
    REQUIRE(execute(*temp.db, "CREATE TABLE t (a TEXT, b INTEGER, c INTEGER, d BLOB)"));
    auto insert = Statement::prepare(*temp.db, "INSERT INTO t VALUES (?, ?, ?, ?)");
    REQUIRE(insert);
    REQUIRE(insert.value().bind(1, std::string_view("text")).bind(2, std::int64_t{42}).bind(3, std::nullopt)
                .bind_blob(4, std::string("\0\1\2", 3)).run());
    auto select = Statement::prepare(*temp.db, "SELECT a, b, c, d FROM t");
    REQUIRE(select);
    REQUIRE(select.value().step().value());
    CHECK(select.value().column_text(0) == "text");
    CHECK(select.value().column_int64(1) == 42);
    CHECK_FALSE(select.value().column_optional_int64(2).has_value());
    CHECK(select.value().column_blob(3) == std::string("\0\1\2", 3));
    CHECK_FALSE(select.value().step().value());
}
