#include "tether/store/server_settings.h"

#include "tether/store/statement.h"

namespace tether::store {

Result<Done> put_setting(const Database& database, std::string_view key, std::string_view value) {
    return execute(database, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   [&](Statement& s) { s.bind(1, key).bind(2, value); });
}

Result<std::string> get_setting(const Database& database, std::string_view key) {
    auto query = Statement::prepare(database, "SELECT value FROM settings WHERE key = ?");
    if (!query) return query.error();
    query.value().bind(1, key);
    return read_one<std::string>(query.value(), [](const Statement& row) { return row.column_text(0); },
                                 "no setting '" + std::string(key) + "'");
}

}  // namespace tether::store
