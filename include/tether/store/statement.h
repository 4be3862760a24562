#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

struct sqlite3_stmt;

namespace tether::store {

// One prepared SQL statement. Binding is by 1-based position; every SQLite
// failure becomes an Error whose message names the statement's purpose.
// Prepared statements are reused: one of the same SQL text is taken from
// the database's cache when there is one, and given back, reset, when the
// Statement goes.
class Statement {
public:
    static Result<Statement> prepare(const Database& database, std::string_view sql);

    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::nullopt_t);
    Statement& bind(int index, const std::optional<std::int64_t>& value);
    // Named apart: a bind(optional<string>) overload would make bind(i, std::string) ambiguous.
    Statement& bind_optional_text(int index, const std::optional<std::string>& text);
    Statement& bind_blob(int index, std::string_view bytes);

    // true: a row is ready to read; false: done.
    Result<bool> step();
    // Runs to completion, for statements that return no rows.
    Result<Done> run();

    std::int64_t column_int64(int index) const;
    std::optional<std::int64_t> column_optional_int64(int index) const;
    std::string column_text(int index) const;
    std::optional<std::string> column_optional_text(int index) const;
    std::string column_blob(int index) const;
    bool column_is_null(int index) const;

private:
    Statement(sqlite3_stmt* stmt, const Database& database);
    void release();

    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
    StatementCache* cache_ = nullptr;
    int bind_error_ = 0;  // first failed bind, reported by step()
};

// BEGIN IMMEDIATE … COMMIT, or ROLLBACK when dropped uncommitted.
// IMMEDIATE takes the write lock up front, so two writers queue on the busy
// timeout instead of failing halfway.
class Transaction {
public:
    static Result<Transaction> begin(const Database& database);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();

    Result<Done> commit();

private:
    explicit Transaction(const Database& database) : database_(&database) {}
    const Database* database_;
    bool open_ = true;
};

// Runs SQL text holding one or more statements that return no rows.
Result<Done> execute(const Database& database, std::string_view sql);

// Prepares `sql`, lets `bind` bind its parameters, and runs it to completion.
template <typename Bind>
Result<Done> execute(const Database& database, std::string_view sql, Bind bind) {
    auto statement = Statement::prepare(database, sql);
    if (!statement) return statement.error();
    bind(statement.value());
    return statement.value().run();
}

// Every row of `query`, each turned into a T by `read`.
template <typename T, typename Read>
Result<std::vector<T>> read_all(Statement& query, Read read) {
    std::vector<T> out;
    while (true) {
        auto row = query.step();
        if (!row) return row.error();
        if (!row.value()) return out;
        out.push_back(read(query));
    }
}

// The first row of `query` as a T, or not_found with the message `missing`.
template <typename T, typename Read>
Result<T> read_one(Statement& query, Read read, const std::string& missing) {
    auto row = query.step();
    if (!row) return row.error();
    if (!row.value()) return Error{ErrorKind::not_found, missing};
    return read(query);
}

}  // namespace tether::store
