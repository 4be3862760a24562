#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

// The audit log: append-only and hash-chained, one chain per org (org ""
// holds server-wide actions). Each row's hash is SHA-256 over the previous
// row's hash and the row's own fields (its number in the org's log
// included), so editing, deleting or reordering rows breaks the chain at
// that row, and `verify_audit_chain` says where. What one org sees (numbers,
// counts, where its chain breaks) depends on its own rows alone.
//
// Rows written before schema 4 were one chain across all orgs, numbered by
// the table's id; they keep that link, verified as it was written.
namespace tether::store {

struct AuditRecord {
    std::string request_id;
    std::string actor;   // "service-account:acme/ci" or "system"
    std::string org;     // the org acted in ("" for server-wide actions)
    std::string action;  // "runner.create", "api_key.revoke", …
    std::string target;  // what was acted on: "runner:acme/web-1"
    std::string detail;  // JSON text with anything else worth keeping; never a secret
};

struct AuditEntry {
    std::int64_t seq = 0;  // its number in its org's log, from 1
    std::int64_t at = 0;  // Unix seconds
    AuditRecord record;
    std::string prev_hash;
    std::string hash;
};

// The hash a row must carry, given the previous row's hash and its number
// in its chain.
std::string audit_hash(const std::string& prev_hash, std::int64_t number, std::int64_t at, const AuditRecord& record);

// The prev_hash of the first row.
const std::string& audit_genesis_hash();

// Appends a row. Call it inside the transaction of the change it records,
// so that the change and its audit row commit together or not at all.
Result<AuditEntry> append_audit(const Database& database, const AuditRecord& record, std::int64_t at);

// `org`'s rows with seq > after_seq, oldest first.
Result<std::vector<AuditEntry>> list_audit(const Database& database, const std::string& org, std::int64_t after_seq,
                                           int limit);

struct ChainCheck {
    std::int64_t rows_checked = 0;          // the org's rows
    std::optional<std::int64_t> broken_at;  // the seq of the org's first row whose hash or link is wrong
    std::string reason;
};

Result<ChainCheck> verify_audit_chain(const Database& database, const std::string& org);

}  // namespace tether::store
