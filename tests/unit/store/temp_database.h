#pragma once

// A database in a fresh temporary directory, removed afterwards; migrated
// to the latest schema unless asked not to be.
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "common/files.h"
#include "tether/store/database.h"
#include "tether/store/migrations.h"

namespace tether::testing {

struct TempDatabase {
    TempDir scratch;
    std::filesystem::path dir = scratch.path;
    std::optional<store::Database> db;  // closed before `scratch` is removed

    explicit TempDatabase(bool migrated = true) {
        db.emplace(std::move(store::Database::open(dir / "tether.db")).value());
        if (migrated) REQUIRE(store::migrate(*db));
    }
};

}  // namespace tether::testing
