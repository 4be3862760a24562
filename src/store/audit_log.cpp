#include "tether/store/audit_log.h"

#include <nlohmann/json.hpp>

#include "tether/crypto/hash.h"
#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view select_columns =
    "SELECT id, seq, at, request_id, actor, org, action, target, detail, prev_hash, hash, chain FROM audit_log ";

struct StoredEntry {
    std::int64_t id = 0;  // the table's, across orgs
    bool legacy = false;  // written before schema 4, in the one chain across orgs
    AuditEntry entry;
};

StoredEntry read_entry(const Statement& row) {
    StoredEntry stored;
    stored.id = row.column_int64(0);
    AuditEntry& entry = stored.entry;
    entry.seq = row.column_int64(1);
    entry.at = row.column_int64(2);
    entry.record = {row.column_text(3), row.column_text(4), row.column_text(5),
                    row.column_text(6), row.column_text(7), row.column_text(8)};
    entry.prev_hash = row.column_text(9);
    entry.hash = row.column_text(10);
    stored.legacy = row.column_text(11) == "global";
    return stored;
}

}  // namespace

const std::string& audit_genesis_hash() {
    static const std::string genesis(64, '0');
    return genesis;
}

std::string audit_hash(const std::string& prev_hash, std::int64_t number, std::int64_t at, const AuditRecord& record) {
    // A JSON array fixes field order and escapes every separator, so no two
    // different rows serialise to the same bytes.
    nlohmann::json fields = {prev_hash,     number,        at,           record.request_id, record.actor,
                             record.org,    record.action, record.target, record.detail};
    return crypto::sha256_hex(fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<AuditEntry> append_audit(const Database& database, const AuditRecord& record, std::int64_t at) {
    auto last = Statement::prepare(database, "SELECT seq, hash FROM audit_log WHERE org = ? ORDER BY seq DESC LIMIT 1");
    if (!last) return last.error();
    last.value().bind(1, record.org);
    auto has_last = last.value().step();
    if (!has_last) return has_last.error();
    std::int64_t seq = has_last.value() ? last.value().column_int64(0) + 1 : 1;
    std::string prev_hash = has_last.value() ? last.value().column_text(1) : audit_genesis_hash();

    AuditEntry entry{seq, at, record, prev_hash, audit_hash(prev_hash, seq, at, record)};
    auto insert = Statement::prepare(database,
                                     "INSERT INTO audit_log (seq, at, request_id, actor, org, action, target, detail, "
                                     "prev_hash, hash, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'org')");
    if (!insert) return insert.error();
    insert.value()
        .bind(1, entry.seq)
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

Result<std::vector<AuditEntry>> list_audit(const Database& database, const std::string& org, std::int64_t after_seq,
                                           int limit) {
    auto query = Statement::prepare(database, std::string(select_columns) + "WHERE org = ? AND seq > ? ORDER BY seq LIMIT ?");
    if (!query) return query.error();
    query.value().bind(1, org).bind(2, after_seq).bind(3, std::int64_t{limit});
    std::vector<AuditEntry> entries;
    while (true) {
        auto row = query.value().step();
        if (!row) return row.error();
        if (!row.value()) return entries;
        entries.push_back(read_entry(query.value()).entry);
    }
}

// The org's rows in order: each must follow the one before it in the org
// (seq + 1, prev_hash its hash) and match its own hash. Rows from before
// schema 4 link to the previous row of the whole table instead, so the
// walk reads the legacy rows of every org to check those links, and counts
// and reports the given org's rows only.
Result<ChainCheck> verify_audit_chain(const Database& database, const std::string& org) {
    auto query = Statement::prepare(database, std::string(select_columns) + "WHERE org = ? OR chain = 'global' ORDER BY id");
    if (!query) return query.error();
    query.value().bind(1, org);
    ChainCheck check;
    std::string org_prev = audit_genesis_hash();
    std::int64_t org_seq = 0;
    std::string legacy_prev = audit_genesis_hash();
    std::int64_t legacy_id = 0;
    while (true) {
        auto row = query.value().step();
        if (!row) return row.error();
        if (!row.value()) return check;
        StoredEntry stored = read_entry(query.value());
        const AuditEntry& entry = stored.entry;
        bool ours = entry.record.org == org;
        std::optional<std::string> problem;
        if (stored.legacy) {
            if (stored.id != legacy_id + 1) {
                problem = "an entry written before it is missing";
            } else if (entry.prev_hash != legacy_prev) {
                problem = "its link to the previous entry does not match";
            } else if (entry.hash != audit_hash(entry.prev_hash, stored.id, entry.at, entry.record)) {
                problem = "its content does not match its hash (the entry was edited)";
            }
            legacy_prev = entry.hash;
            legacy_id = stored.id;
        } else if (entry.prev_hash != org_prev) {
            problem = "its link to the previous entry does not match";
        } else if (entry.hash != audit_hash(entry.prev_hash, entry.seq, entry.at, entry.record)) {
            problem = "its content does not match its hash (the entry was edited)";
        }
        if (!ours) continue;  // another org's legacy row: a link only
        ++check.rows_checked;
        if (entry.seq != org_seq + 1) {
            problem = "entry " + std::to_string(org_seq + 1) + " is missing (next entry is " +
                      std::to_string(entry.seq) + ")";
        }
        if (problem && !check.broken_at) {
            check.broken_at = entry.seq;
            check.reason = std::move(*problem);
        }
        org_prev = entry.hash;
        org_seq = entry.seq;
    }
}

}  // namespace tether::store
