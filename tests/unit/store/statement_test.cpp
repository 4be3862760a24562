// Prepared statements are cached per database: these pin down what reuse
// must never change (bindings, open reads, one owner at a time) and that
// the cache stays bounded.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <optional>

#include "temp_database.h"
#include "tether/store/statement.h"
#include "tether/store/statement_cache.h"

using tether::store::Statement;
using tether::testing::TempDatabase;

namespace {

// Statements the connection holds, cached or in use.
int prepared_count(const tether::store::Database& db) {
    int count = 0;
    for (sqlite3_stmt* stmt = sqlite3_next_stmt(db.handle(), nullptr); stmt != nullptr;
         stmt = sqlite3_next_stmt(db.handle(), stmt)) {
        ++count;
    }
    return count;
}

bool any_statement_reading(const tether::store::Database& db) {
    for (sqlite3_stmt* stmt = sqlite3_next_stmt(db.handle(), nullptr); stmt != nullptr;
         stmt = sqlite3_next_stmt(db.handle(), stmt)) {
        if (sqlite3_stmt_busy(stmt) != 0) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("a statement prepared again reuses the cached one, with its bindings cleared") {
    TempDatabase temp;
    const auto& db = *temp.db;
    int before = prepared_count(db);
    {
        auto first = Statement::prepare(db, "SELECT ?1");
        REQUIRE(first);
        first.value().bind(1, std::string_view("secret-value"));
        REQUIRE(first.value().step().value());
        CHECK(first.value().column_text(0) == "secret-value");
    }
    CHECK(prepared_count(db) == before + 1);
    auto again = Statement::prepare(db, "SELECT ?1");
    REQUIRE(again);
    CHECK(prepared_count(db) == before + 1);  // the same one, not a second
    REQUIRE(again.value().step().value());
    CHECK(again.value().column_is_null(0));  // the earlier binding is gone
}

TEST_CASE("two statements of the same text alive at once each have their own") {
    TempDatabase temp;
    const auto& db = *temp.db;
    int before = prepared_count(db);
    auto one = Statement::prepare(db, "SELECT ?1");
    auto two = Statement::prepare(db, "SELECT ?1");
    REQUIRE(one);
    REQUIRE(two);
    CHECK(prepared_count(db) == before + 2);
    one.value().bind(1, std::int64_t{1});
    two.value().bind(1, std::int64_t{2});
    REQUIRE(one.value().step().value());
    REQUIRE(two.value().step().value());
    CHECK(one.value().column_int64(0) == 1);
    CHECK(two.value().column_int64(0) == 2);
}

TEST_CASE("a statement given back halfway through its rows holds no read open") {
    TempDatabase temp;
    const auto& db = *temp.db;
    REQUIRE(tether::store::execute(db, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
    {
        auto query = Statement::prepare(db, "SELECT x FROM t");
        REQUIRE(query);
        REQUIRE(query.value().step().value());  // one row of three read, then dropped
        CHECK(any_statement_reading(db));
    }
    CHECK_FALSE(any_statement_reading(db));
    // With no read open, a checkpoint can empty the WAL completely.
    int log_frames = -1, checkpointed = -1;
    CHECK(sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &checkpointed) ==
          SQLITE_OK);
}

TEST_CASE("a failed statement goes back to the cache in a usable state") {
    TempDatabase temp;
    const auto& db = *temp.db;
    REQUIRE(tether::store::execute(db, "CREATE TABLE u (x INTEGER UNIQUE)"));
    REQUIRE(tether::store::execute(db, "INSERT INTO u VALUES (1)"));
    {
        auto insert = Statement::prepare(db, "INSERT INTO u VALUES (?1)");
        REQUIRE(insert);
        insert.value().bind(1, std::int64_t{1});
        auto failed = insert.value().run();
        REQUIRE_FALSE(failed);
        CHECK(failed.error().kind == tether::ErrorKind::already_exists);
    }
    auto insert = Statement::prepare(db, "INSERT INTO u VALUES (?1)");
    REQUIRE(insert);
    insert.value().bind(1, std::int64_t{2});
    CHECK(insert.value().run());
}

TEST_CASE("the cache is bounded: statements built from varying text do not pile up") {
    TempDatabase temp;
    const auto& db = *temp.db;
    int before = prepared_count(db);
    constexpr int texts = static_cast<int>(tether::store::StatementCache::max_texts) + 100;
    for (int index = 0; index < texts; ++index) {
        auto query = Statement::prepare(db, "SELECT " + std::to_string(index));
        REQUIRE(query);
        REQUIRE(query.value().step());
    }
    CHECK(prepared_count(db) <= before + static_cast<int>(tether::store::StatementCache::max_texts));
}

TEST_CASE("many statements of one text at once: only a few stay idle once they go") {
    TempDatabase temp;
    const auto& db = *temp.db;
    int before = prepared_count(db);
    {
        std::vector<Statement> held;
        for (int index = 0; index < 10; ++index) held.push_back(std::move(Statement::prepare(db, "SELECT 'held'")).value());
        CHECK(prepared_count(db) == before + 10);
    }
    int idle = static_cast<int>(tether::store::StatementCache::max_idle_per_text);
    CHECK(prepared_count(db) == before + idle);
    auto one = Statement::prepare(db, "SELECT 'held'");
    CHECK(prepared_count(db) == before + idle);  // taken from the idle ones
}
