#include "tether/store/statement.h"

#include <sqlite3.h>

#include <climits>
#include <utility>

#include "tether/store/statement_cache.h"

namespace tether::store {
namespace {

ErrorKind kind_of(int rc) {
    switch (rc & 0xFF) {
        case SQLITE_CONSTRAINT: return ErrorKind::already_exists;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL: return ErrorKind::unavailable;
        default: return ErrorKind::internal;
    }
}

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
    // Said the same way wherever it happens: the API shows this one.
    if ((rc & 0xFF) == SQLITE_FULL) return {ErrorKind::unavailable, std::string(disk_full_message)};
    std::string message = std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return {kind_of(rc), message};
}

}  // namespace

Statement::Statement(sqlite3_stmt* stmt, const Database& database)
    : stmt_(stmt), db_(database.handle()), cache_(&database.statements()) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), cache_(other.cache_), bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        release();
        stmt_ = std::exchange(other.stmt_, nullptr);
        db_ = other.db_;
        cache_ = other.cache_;
        bind_error_ = other.bind_error_;
    }
    return *this;
}

Statement::~Statement() { release(); }

void Statement::release() {
    if (stmt_ != nullptr) cache_->give_back(std::exchange(stmt_, nullptr));
}

Result<Statement> Statement::prepare(const Database& database, std::string_view sql) {
    if (sqlite3_stmt* cached = database.statements().take(sql)) return Statement(cached, database);
    sqlite3_stmt* stmt = nullptr;
    if (sql.size() > INT_MAX) return Error{ErrorKind::internal, "SQL text too long"};
    int rc = sqlite3_prepare_v3(database.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(database.handle(), rc, "cannot prepare a statement");
    return Statement(stmt, database);
}

Statement& Statement::bind(int index, std::int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
    return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
}

Statement& Statement::bind_optional_text(int index, const std::optional<std::string>& text) {
    return text ? bind(index, std::string_view(*text)) : bind(index, std::nullopt);
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
    return *this;
}

Result<bool> Statement::step() {
    if (bind_error_ != 0) return sqlite_error(nullptr, bind_error_, "cannot bind a value");
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, rc, "statement failed");
}

Result<Done> Statement::run() {
    while (true) {
        auto row = step();
        if (!row) return row.error();
        if (!row.value()) return Done{};
    }
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

std::optional<std::int64_t> Statement::column_optional_int64(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_int64(index);
}

std::string Statement::column_text(int index) const {
    const unsigned char* text = sqlite3_column_text(stmt_, index);
    int size = sqlite3_column_bytes(stmt_, index);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::column_optional_text(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_text(index);
}

std::string Statement::column_blob(int index) const {
    const void* data = sqlite3_column_blob(stmt_, index);
    int size = sqlite3_column_bytes(stmt_, index);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

Result<Done> execute(const Database& database, std::string_view sql) {
    std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
    char* message = nullptr;
    int rc = sqlite3_exec(database.handle(), text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return Done{};
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    if ((rc & 0xFF) == SQLITE_FULL) return Error{ErrorKind::unavailable, std::string(disk_full_message)};
    return Error{kind_of(rc), "SQL failed: " + detail};
}

namespace {

// BEGIN, COMMIT and ROLLBACK run often (each dispatch settles in one
// transaction): prepared and cached like any other statement.
Result<Done> run_statement(const Database& database, std::string_view sql) {
    auto statement = Statement::prepare(database, sql);
    if (!statement) return statement.error();
    return statement.value().run();
}

}  // namespace

Result<Transaction> Transaction::begin(const Database& database) {
    if (auto begun = run_statement(database, "BEGIN IMMEDIATE"); !begun) return begun.error();
    return Transaction(database);
}

Transaction::Transaction(Transaction&& other) noexcept
    : database_(other.database_), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
    if (open_) (void)run_statement(*database_, "ROLLBACK");
}

Result<Done> Transaction::commit() {
    auto committed = run_statement(*database_, "COMMIT");
    if (committed) open_ = false;
    return committed;
}

}  // namespace tether::store
