#pragma once

#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

namespace tether::store {

// The schema, as an ordered list of steps; step N takes a database from
// version N-1 to N. Steps are append-only: once released, never edited.
struct Migration {
    int version;
    std::string_view description;
    std::string_view sql;
};

const std::vector<Migration>& migrations();

// The version this build writes: the last migration's.
int latest_schema_version();

// The database's schema version (PRAGMA user_version; 0 for a new file).
Result<int> schema_version(const Database& database);

// Brings the database up to `target` (default: the latest), each step in its
// own transaction together with the version bump, so that a crash leaves a
// consistent, resumable database. A database newer than this build knows is
// refused with failed_precondition and left untouched.
Result<int> migrate(Database& database, int target = latest_schema_version());

}  // namespace tether::store
