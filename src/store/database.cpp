#include "tether/store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tether/store/statement_cache.h"

namespace tether::store {
namespace {

Error sqlite_error(sqlite3* db, const std::string& what) {
    return {ErrorKind::unavailable, what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory")};
}

// Creates the file with its final mode before SQLite opens it, so that it
// never exists with the umask's looser one.
Result<Done> create_private_file(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return Error{ErrorKind::unavailable, "cannot create database " + path.string() + ": " + std::strerror(errno)};
    }
    ::close(fd);
    return Done{};
}

}  // namespace

void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(std::filesystem::path path, sqlite3* db)
    : path_(std::move(path)), db_(db), statements_(std::make_unique<StatementCache>()) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::filesystem::path& path) {
    if (auto created = create_private_file(path); !created) return created.error();

    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
    Database db(path, raw);
    if (rc != SQLITE_OK) return sqlite_error(raw, "cannot open database " + path.string());

    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 5000);
    const char* pragmas =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "PRAGMA foreign_keys=ON;";
    char* message = nullptr;
    if (sqlite3_exec(raw, pragmas, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message != nullptr ? message : "unknown error";
        sqlite3_free(message);
        return Error{ErrorKind::unavailable, "cannot configure database " + path.string() + ": " + text};
    }
    return db;
}

Result<Done> Database::check_writable() const {
    char* message = nullptr;
    int rc = sqlite3_exec(db_.get(), "BEGIN IMMEDIATE; ROLLBACK;", nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc == SQLITE_OK) return Done{};
    if ((rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED) {
        return Error{ErrorKind::unavailable, "database " + path_.string() +
                                                 " is locked by another process (a second tether server on this data "
                                                 "dir, or a tool holding it open): stop it and start again"};
    }
    return sqlite_error(db_.get(), "cannot write to database " + path_.string());
}

Result<Done> Database::ping() const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "SELECT count(*) FROM sqlite_schema", -1, &stmt, nullptr) != SQLITE_OK) {
        return sqlite_error(db_.get(), "database check failed");
    }
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return sqlite_error(db_.get(), "database check failed");
    return Done{};
}

}  // namespace tether::store
