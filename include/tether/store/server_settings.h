#pragma once

#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/store/database.h"

// Server-wide facts fixed at init (hostname, trust domain), kept in the
// settings table. Never secrets: those live in files of the data dir.
namespace tether::store {

Result<Done> put_setting(const Database& database, std::string_view key, std::string_view value);
// not_found when unset.
Result<std::string> get_setting(const Database& database, std::string_view key);

}  // namespace tether::store
