#pragma once

#include <filesystem>
#include <string_view>
#include <memory>

#include "tether/core/error.h"

struct sqlite3;

namespace tether::store {

class StatementCache;

// The embedded SQLite database file of a server: WAL journal, full fsync on
// commit (writes that grant or revoke access must be durable before they
// are acknowledged), foreign keys on. The file is created 0600 and SQLite's
// -wal and -shm files inherit that mode.
// What any write says when the disk under the database is full; safe to
// show to API clients (no path, no SQL).
inline constexpr std::string_view disk_full_message =
    "no space left on the server's data disk; new work is refused until there is";

class Database {
public:
    static Result<Database> open(const std::filesystem::path& path);

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    // A round trip through SQLite, for the readiness check.
    Result<Done> ping() const;

    // Takes the write lock and lets it go: a database another process holds
    // fails here, at start, after the busy timeout (a brief hold, such as a
    // backup's, is waited out) instead of on every write later.
    Result<Done> check_writable() const;

    const std::filesystem::path& path() const { return path_; }
    sqlite3* handle() const { return db_.get(); }
    // Prepared statements for reuse (statement.h takes and returns them).
    StatementCache& statements() const { return *statements_; }

private:
    struct Close {
        void operator()(sqlite3* db) const;
    };
    Database(std::filesystem::path path, sqlite3* db);

    std::filesystem::path path_;
    std::unique_ptr<sqlite3, Close> db_;
    // After db_: destroyed first, finalizing its statements before the close.
    std::unique_ptr<StatementCache> statements_;
};

}  // namespace tether::store
