#include "tether/store/statement_cache.h"

#include <sqlite3.h>

namespace tether::store {

StatementCache::~StatementCache() {
    for (auto& [sql, statements] : idle_) {
        for (sqlite3_stmt* stmt : statements) sqlite3_finalize(stmt);
    }
}

sqlite3_stmt* StatementCache::take(std::string_view sql) {
    std::lock_guard lock(mutex_);
    auto found = idle_.find(sql);
    if (found == idle_.end() || found->second.empty()) return nullptr;
    sqlite3_stmt* stmt = found->second.back();
    found->second.pop_back();
    return stmt;
}

void StatementCache::give_back(sqlite3_stmt* stmt) {
    if (stmt == nullptr) return;
    // Reset ends the statement's read of the database (an unreset one would
    // hold the WAL back from checkpointing); clearing drops bound copies.
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    const char* sql = sqlite3_sql(stmt);
    {
        std::lock_guard lock(mutex_);
        auto found = idle_.find(std::string_view(sql));
        if (found == idle_.end() && idle_.size() < max_texts) found = idle_.emplace(sql, std::vector<sqlite3_stmt*>()).first;
        if (found != idle_.end() && found->second.size() < max_idle_per_text) {
            found->second.push_back(stmt);
            return;
        }
    }
    sqlite3_finalize(stmt);
}

}  // namespace tether::store
