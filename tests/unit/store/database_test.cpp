#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>

#include "tether/store/database.h"
#include "common/files.h"

using tether::store::Database;

using tether::testing::mode_of;

namespace {

std::string pragma(const Database& db, const char* name) {
    sqlite3_stmt* stmt = nullptr;
    std::string sql = std::string("PRAGMA ") + name;
    REQUIRE(sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return value;
}

using tether::testing::TempDir;

}  // namespace

TEST_CASE("a new database is created 0600, in WAL mode with full sync, whatever the umask") {
    TempDir dir;
    mode_t old_umask = ::umask(0);  // the loosest umask: SQLite alone would create 0644
    auto db = Database::open(dir.path / "tether.db");
    ::umask(old_umask);
    REQUIRE(db);
    CHECK(db.value().ping());
    CHECK(pragma(db.value(), "journal_mode") == "wal");
    CHECK(pragma(db.value(), "synchronous") == "2");  // FULL
    CHECK(pragma(db.value(), "foreign_keys") == "1");
    CHECK(mode_of(dir.path / "tether.db") == 0600);
    CHECK(mode_of(dir.path / "tether.db-wal") == 0600);
}

TEST_CASE("opening a database in a missing directory is an unavailable error naming the path") {
    auto db = Database::open("/nonexistent-dir/tether.db");
    REQUIRE_FALSE(db);
    CHECK(db.error().kind == tether::ErrorKind::unavailable);
    CHECK(db.error().message.find("/nonexistent-dir/tether.db") != std::string::npos);
}

TEST_CASE("a file that is not a database is refused") {
    TempDir dir;
    auto path = dir.path / "tether.db";
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("this is not an SQLite database, just some text long enough to be read as a header.....", f);
    std::fclose(f);
    auto db = Database::open(path);
    CHECK_FALSE(db);
}
