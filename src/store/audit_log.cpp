#include "tether/store/audit_log.h"

#include <nlohmann/json.hpp>

#include "tether/crypto/hash.h"
#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view select_columns =
    "SELECT id, at, request_id, actor, org, action, target, detail, prev_hash, hash FROM audit_log ";

AuditEntry read_entry(const Statement& row) {
    AuditEntry entry;
    entry.id = row.column_int64(0);
    entry.at = row.column_int64(1);
    entry.record = {row.column_text(2), row.column_text(3), row.column_text(4),
                    row.column_text(5), row.column_text(6), row.column_text(7)};
    entry.prev_hash = row.column_text(8);
    entry.hash = row.column_text(9);
    return entry;
}

}  // namespace

const std::string& audit_genesis_hash() {
    static const std::string genesis(64, '0');
    return genesis;
}

std::string audit_hash(const std::string& prev_hash, std::int64_t id, std::int64_t at, const AuditRecord& record) {
    // A JSON array fixes field order and escapes every separator, so no two
    // different rows serialise to the same bytes.
    nlohmann::json fields = {prev_hash,     id,           at,           record.request_id, record.actor,
                             record.org,    record.action, record.target, record.detail};
    return crypto::sha256_hex(fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<AuditEntry> append_audit(const Database& database, const AuditRecord& record, std::int64_t at) {
    auto last = Statement::prepare(database, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (!last) return last.error();
    auto has_last = last.value().step();
    if (!has_last) return has_last.error();
    std::int64_t id = has_last.value() ? last.value().column_int64(0) + 1 : 1;
    std::string prev_hash = has_last.value() ? last.value().column_text(1) : audit_genesis_hash();

    AuditEntry entry{id, at, record, prev_hash, audit_hash(prev_hash, id, at, record)};
    auto insert = Statement::prepare(database,
                                     "INSERT INTO audit_log (id, at, request_id, actor, org, action, target, detail, "
                                     "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    insert.value()
        .bind(1, entry.id)
        .bind(2, entry.at)
        .bind(3, record.request_id)
        .bind(4, record.actor)
        .bind(5, record.org)
        .bind(6, record.action)
        .bind(7, record.target)
        .bind(8, record.detail)
        .bind(9, entry.prev_hash)
        .bind(10, entry.hash);
    if (auto inserted = insert.value().run(); !inserted) return inserted.error();
    return entry;
}

Result<std::vector<AuditEntry>> list_audit(const Database& database, const std::optional<std::string>& org,
                                           std::int64_t after_id, int limit) {
    std::string sql(select_columns);
    sql += org ? "WHERE id > ? AND org = ? ORDER BY id LIMIT ?" : "WHERE id > ? ORDER BY id LIMIT ?";
    auto query = Statement::prepare(database, sql);
    if (!query) return query.error();
    query.value().bind(1, after_id);
    if (org) query.value().bind(2, *org);
    query.value().bind(org ? 3 : 2, std::int64_t{limit});
    std::vector<AuditEntry> entries;
    while (true) {
        auto row = query.value().step();
        if (!row) return row.error();
        if (!row.value()) return entries;
        entries.push_back(read_entry(query.value()));
    }
}

Result<ChainCheck> verify_audit_chain(const Database& database) {
    auto query = Statement::prepare(database, std::string(select_columns) + "ORDER BY id");
    if (!query) return query.error();
    ChainCheck check;
    std::string expected_prev = audit_genesis_hash();
    std::int64_t expected_id = 1;
    while (true) {
        auto row = query.value().step();
        if (!row) return row.error();
        if (!row.value()) return check;
        AuditEntry entry = read_entry(query.value());
        ++check.rows_checked;
        auto broken = [&](std::string reason) {
            check.broken_at = entry.id;
            check.reason = std::move(reason);
            return check;
        };
        if (entry.id != expected_id) {
            return broken("row " + std::to_string(expected_id) + " is missing (next row is " +
                          std::to_string(entry.id) + ")");
        }
        if (entry.prev_hash != expected_prev) return broken("its link to the previous row does not match");
        if (entry.hash != audit_hash(entry.prev_hash, entry.id, entry.at, entry.record)) {
            return broken("its content does not match its hash (the row was edited)");
        }
        expected_prev = entry.hash;
        ++expected_id;
    }
}

}  // namespace tether::store
