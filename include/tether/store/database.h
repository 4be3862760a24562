#pragma once

#include <filesystem>
#include <memory>

#include "tether/core/error.h"

struct sqlite3;

namespace tether::store {

class StatementCache;

// The embedded SQLite database file of a server: WAL journal, full fsync on
// commit (writes that grant or revoke access must be durable before they
// are acknowledged), foreign keys on. The file is created 0600 and SQLite's
// -wal and -shm files inherit that mode.
class Database {
public:
    static Result<Database> open(const std::filesystem::path& path);

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    // A round trip through SQLite, for the readiness check.
    Result<Done> ping() const;

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
