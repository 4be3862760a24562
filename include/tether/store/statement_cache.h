#pragma once

// Prepared statements kept for reuse. Parsing and planning a statement
// costs more than running most of ours (a join over three tables is planned
// in tens of microseconds, and an operation's dispatch runs five), so a
// Statement gives its sqlite3_stmt back here, reset, instead of finalizing
// it, and the next Statement of the same SQL text takes it. A statement is
// owned by one Statement at a time, so threads sharing a Database never
// share one; the lock guards only the idle lists.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3_stmt;

namespace tether::store {

class StatementCache {
public:
    StatementCache() = default;
    StatementCache(const StatementCache&) = delete;
    StatementCache& operator=(const StatementCache&) = delete;
    ~StatementCache();  // finalizes every idle statement

    // An idle statement prepared from exactly `sql`, or nullptr.
    sqlite3_stmt* take(std::string_view sql);
    // Resets `stmt`, clears its bindings and keeps it idle; finalizes it
    // past the bounds below (statements built from filters vary).
    void give_back(sqlite3_stmt* stmt);

    static constexpr std::size_t max_texts = 256;
    static constexpr std::size_t max_idle_per_text = 4;

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
    };
    std::mutex mutex_;
    std::unordered_map<std::string, std::vector<sqlite3_stmt*>, Hash, std::equal_to<>> idle_;
};

}  // namespace tether::store
