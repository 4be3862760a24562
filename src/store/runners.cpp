#include "tether/store/runners.h"

#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view runner_columns =
    "SELECT r.id, r.public_id, r.org_id, o.name, r.name, r.service_account_id, r.created_at, r.last_seen_at "
    "FROM runners r JOIN orgs o ON o.id = r.org_id ";

constexpr std::string_view certificate_columns =
    "SELECT id, serial, fingerprint_sha256, runner_id, not_before, not_after, created_at, revoked_at FROM certificates ";

Runner read_runner(const Statement& row) {
    return {row.column_int64(0), row.column_text(1),  row.column_int64(2), row.column_text(3),
            row.column_text(4),  row.column_int64(5), row.column_int64(6), row.column_optional_int64(7)};
}

CertificateRecord read_certificate(const Statement& row) {
    return {row.column_int64(0), row.column_text(1),  row.column_text(2),  row.column_int64(3),
            row.column_int64(4), row.column_int64(5), row.column_int64(6), row.column_optional_int64(7)};
}

}  // namespace

Result<Runner> insert_runner(const Database& database, std::int64_t org_id, std::string_view name,
                             std::string_view public_id, std::int64_t service_account_id, std::int64_t now) {
    auto inserted = execute(database,
                            "INSERT INTO runners (public_id, org_id, name, service_account_id, created_at) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [&](Statement& s) {
                                s.bind(1, public_id).bind(2, org_id).bind(3, name).bind(4, service_account_id);
                                s.bind(5, now);
                            });
    if (!inserted) {
        if (inserted.error().kind == ErrorKind::already_exists) {
            return Error{ErrorKind::already_exists, "runner '" + std::string(name) + "' already exists"};
        }
        return inserted.error();
    }
    return find_runner(database, org_id, name);
}

Result<Runner> find_runner(const Database& database, std::int64_t org_id, std::string_view name) {
    auto query = Statement::prepare(database, std::string(runner_columns) +
                                                  "WHERE r.org_id = ? AND r.name = ? AND r.deleted_at IS NULL");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, name);
    return read_one<Runner>(query.value(), read_runner, "no runner '" + std::string(name) + "'");
}

Result<std::vector<Runner>> list_runners(const Database& database, std::int64_t org_id) {
    auto query = Statement::prepare(database, std::string(runner_columns) +
                                                  "WHERE r.org_id = ? AND r.deleted_at IS NULL ORDER BY r.name");
    if (!query) return query.error();
    query.value().bind(1, org_id);
    return read_all<Runner>(query.value(), read_runner);
}

Result<Done> mark_runner_deleted(const Database& database, std::int64_t id, std::int64_t now) {
    return execute(database, "UPDATE runners SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                   [&](Statement& s) { s.bind(1, now).bind(2, id); });
}

Result<CertificateRecord> insert_certificate(const Database& database, const CertificateRecord& record) {
    auto inserted = execute(database,
                            "INSERT INTO certificates (serial, fingerprint_sha256, runner_id, not_before, not_after, "
                            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                            [&](Statement& s) {
                                s.bind(1, record.serial).bind(2, record.fingerprint).bind(3, record.runner_id);
                                s.bind(4, record.not_before).bind(5, record.not_after).bind(6, record.created_at);
                            });
    if (!inserted) return inserted.error();
    return find_certificate(database, record.fingerprint);
}

Result<CertificateRecord> find_certificate(const Database& database, std::string_view fingerprint) {
    auto query = Statement::prepare(database, std::string(certificate_columns) + "WHERE fingerprint_sha256 = ?");
    if (!query) return query.error();
    query.value().bind(1, fingerprint);
    return read_one<CertificateRecord>(query.value(), read_certificate, "no such certificate");
}

Result<std::vector<CertificateRecord>> list_certificates(const Database& database, std::int64_t runner_id) {
    auto query = Statement::prepare(database, std::string(certificate_columns) + "WHERE runner_id = ? ORDER BY id");
    if (!query) return query.error();
    query.value().bind(1, runner_id);
    return read_all<CertificateRecord>(query.value(), read_certificate);
}

Result<Done> revoke_certificate(const Database& database, std::int64_t id, std::int64_t now) {
    return execute(database, "UPDATE certificates SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                   [&](Statement& s) { s.bind(1, now).bind(2, id); });
}

Result<Done> revoke_certificates_of(const Database& database, std::int64_t runner_id, std::int64_t now,
                                    std::optional<std::int64_t> keep) {
    return execute(database,
                   "UPDATE certificates SET revoked_at = ? WHERE runner_id = ? AND revoked_at IS NULL AND id IS NOT ?",
                   [&](Statement& s) { s.bind(1, now).bind(2, runner_id).bind(3, keep); });
}

}  // namespace tether::store
