#pragma once

// A database in a fresh temporary directory, removed afterwards; migrated
// to the latest schema unless asked not to be.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "tether/store/database.h"
#include "tether/store/migrations.h"

namespace tether::store::testing {

struct TempDatabase {
    std::filesystem::path dir;
    std::optional<Database> db;

    explicit TempDatabase(bool migrated = true) {
        std::string pattern = (std::filesystem::temp_directory_path() / "tether-store-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        dir = pattern;
        db.emplace(std::move(Database::open(dir / "tether.db")).value());
        if (migrated) REQUIRE(migrate(*db));
    }
    ~TempDatabase() {
        db.reset();
        std::filesystem::remove_all(dir);
    }
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;
};

}  // namespace tether::store::testing
