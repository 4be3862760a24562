#include "tether/store/secrets.h"

#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view summary_columns =
    "SELECT v.id, v.name, v.description, "
    "(SELECT count(*) FROM value_versions x WHERE x.value_id = v.id), "
    "(SELECT max(version) FROM value_versions x WHERE x.value_id = v.id AND x.state = 'enabled'), "
    "v.created_by, v.created_at, "
    "(SELECT max(created_at) FROM value_versions x WHERE x.value_id = v.id) "
    "FROM org_values v ";

ValueSummary read_summary(const Statement& row) {
    return {row.column_int64(0),  row.column_text(1),  row.column_text(2),
            row.column_int64(3),  row.column_optional_int64(4),
            row.column_text(5),   row.column_int64(6), row.column_optional_int64(7).value_or(row.column_int64(6))};
}

constexpr std::string_view version_columns =
    "SELECT version, state, content, size, fingerprint, created_by, created_at, changed_at FROM value_versions ";

ValueVersion read_version(const Statement& row) {
    ValueVersion version;
    version.version = row.column_int64(0);
    version.state = parse_version_state(row.column_text(1)).value_or(VersionState::destroyed);
    if (!row.column_is_null(2)) version.content = row.column_blob(2);
    version.size = row.column_int64(3);
    version.fingerprint = row.column_text(4);
    version.created_by = row.column_text(5);
    version.created_at = row.column_int64(6);
    version.changed_at = row.column_optional_int64(7);
    return version;
}

std::string missing_name(ValueKind kind, std::string_view name) {
    return std::string("no ") + to_string(kind) + " '" + std::string(name) + "'";
}

}  // namespace

const char* to_string(ValueKind kind) { return kind == ValueKind::secret ? "secret" : "variable"; }

const char* to_string(VersionState state) {
    switch (state) {
        case VersionState::enabled: return "enabled";
        case VersionState::disabled: return "disabled";
        case VersionState::destroyed: return "destroyed";
    }
    return "destroyed";
}

std::optional<VersionState> parse_version_state(std::string_view name) {
    if (name == "enabled") return VersionState::enabled;
    if (name == "disabled") return VersionState::disabled;
    if (name == "destroyed") return VersionState::destroyed;
    return std::nullopt;
}

Result<std::int64_t> next_version(const Database& database, std::int64_t org_id, ValueKind kind,
                                  std::string_view name) {
    auto query = Statement::prepare(database,
                                    "SELECT coalesce(max(x.version), 0) + 1 FROM org_values v "
                                    "LEFT JOIN value_versions x ON x.value_id = v.id "
                                    "WHERE v.org_id = ? AND v.kind = ? AND v.name = ?");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, to_string(kind)).bind(3, name);
    auto row = query.value().step();
    if (!row) return row.error();
    if (!row.value()) return std::int64_t{1};
    return query.value().column_int64(0);
}

Result<ValueVersion> add_version(const Database& database, const NewVersion& added, std::int64_t version) {
    auto named = execute(database,
                         "INSERT INTO org_values (org_id, kind, name, description, created_by, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, kind, name) DO NOTHING",
                         [&](Statement& s) {
                             s.bind(1, added.org_id).bind(2, to_string(added.kind)).bind(3, added.name);
                             s.bind(4, added.description.value_or("")).bind(5, added.created_by).bind(6, added.now);
                         });
    if (!named) return named.error();
    auto value = find_value(database, added.org_id, added.kind, added.name);
    if (!value) return value.error();
    if (added.description) {
        auto described = execute(database, "UPDATE org_values SET description = ? WHERE id = ?",
                                 [&](Statement& s) { s.bind(1, *added.description).bind(2, value.value().id); });
        if (!described) return described.error();
    }
    auto inserted = execute(database,
                            "INSERT INTO value_versions (value_id, version, state, content, size, fingerprint, "
                            "created_by, created_at) VALUES (?, ?, 'enabled', ?, ?, ?, ?, ?)",
                            [&](Statement& s) {
                                s.bind(1, value.value().id).bind(2, version).bind_blob(3, added.content);
                                s.bind(4, added.size).bind(5, added.fingerprint).bind(6, added.created_by);
                                s.bind(7, added.now);
                            });
    if (!inserted) return inserted.error();
    return find_version(database, value.value().id, version);
}

Result<std::vector<ValueSummary>> list_values(const Database& database, std::int64_t org_id, ValueKind kind) {
    auto query =
        Statement::prepare(database, std::string(summary_columns) + "WHERE v.org_id = ? AND v.kind = ? ORDER BY v.name");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, to_string(kind));
    return read_all<ValueSummary>(query.value(), read_summary);
}

Result<ValueSummary> find_value(const Database& database, std::int64_t org_id, ValueKind kind,
                                std::string_view name) {
    auto query = Statement::prepare(database,
                                    std::string(summary_columns) + "WHERE v.org_id = ? AND v.kind = ? AND v.name = ?");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, to_string(kind)).bind(3, name);
    return read_one<ValueSummary>(query.value(), read_summary, missing_name(kind, name));
}

Result<std::vector<ValueVersion>> list_versions(const Database& database, std::int64_t value_id) {
    auto query =
        Statement::prepare(database, std::string(version_columns) + "WHERE value_id = ? ORDER BY version DESC");
    if (!query) return query.error();
    query.value().bind(1, value_id);
    return read_all<ValueVersion>(query.value(), read_version);
}

Result<ValueVersion> find_version(const Database& database, std::int64_t value_id,
                                  std::optional<std::int64_t> version) {
    auto query = Statement::prepare(
        database, std::string(version_columns) +
                      (version ? "WHERE value_id = ? AND version = ?"
                               : "WHERE value_id = ? AND state = 'enabled' ORDER BY version DESC LIMIT 1"));
    if (!query) return query.error();
    query.value().bind(1, value_id);
    if (version) query.value().bind(2, *version);
    return read_one<ValueVersion>(query.value(), read_version,
                                  version ? "no version " + std::to_string(*version) : std::string("no enabled version"));
}

Result<bool> set_version_state(const Database& database, std::int64_t value_id, std::int64_t version,
                               VersionState state, std::int64_t now) {
    auto current = find_version(database, value_id, version);
    if (!current) return current.error();
    if (current.value().state == VersionState::destroyed) {
        return Error{ErrorKind::failed_precondition, "version " + std::to_string(version) + " is destroyed"};
    }
    if (current.value().state == state) return false;
    auto changed = execute(database,
                           state == VersionState::destroyed
                               ? "UPDATE value_versions SET state = ?, content = NULL, changed_at = ? "
                                 "WHERE value_id = ? AND version = ?"
                               : "UPDATE value_versions SET state = ?, changed_at = ? WHERE value_id = ? AND version = ?",
                           [&](Statement& s) { s.bind(1, to_string(state)).bind(2, now).bind(3, value_id).bind(4, version); });
    if (!changed) return changed.error();
    return true;
}

Result<std::int64_t> destroy_all_versions(const Database& database, std::int64_t value_id, std::int64_t now) {
    auto counted = Statement::prepare(
        database, "SELECT count(*) FROM value_versions WHERE value_id = ? AND state <> 'destroyed'");
    if (!counted) return counted.error();
    counted.value().bind(1, value_id);
    auto row = counted.value().step();
    if (!row) return row.error();
    std::int64_t live = row.value() ? counted.value().column_int64(0) : 0;
    auto destroyed = execute(database,
                             "UPDATE value_versions SET state = 'destroyed', content = NULL, changed_at = ? "
                             "WHERE value_id = ? AND state <> 'destroyed'",
                             [&](Statement& s) { s.bind(1, now).bind(2, value_id); });
    if (!destroyed) return destroyed.error();
    return live;
}

Result<std::optional<std::string>> find_org_key(const Database& database, std::int64_t org_id) {
    auto query = Statement::prepare(database, "SELECT sealed_key FROM org_keys WHERE org_id = ?");
    if (!query) return query.error();
    query.value().bind(1, org_id);
    auto row = query.value().step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<std::string>();
    return std::optional<std::string>(query.value().column_blob(0));
}

Result<Done> insert_org_key(const Database& database, std::int64_t org_id, std::string_view sealed_key,
                            std::int64_t now) {
    return execute(database, "INSERT INTO org_keys (org_id, sealed_key, created_at) VALUES (?, ?, ?)",
                   [&](Statement& s) { s.bind(1, org_id).bind_blob(2, sealed_key).bind(3, now); });
}

Result<std::vector<SealedRecord>> list_master_sealed(const Database& database) {
    auto query = Statement::prepare(database,
                                    "SELECT 0, k.org_id, o.name, '', k.sealed_key FROM org_keys k "
                                    "JOIN orgs o ON o.id = k.org_id "
                                    "UNION ALL "
                                    "SELECT 1, c.id, o.name, c.name, c.sealed_credentials FROM connections c "
                                    "JOIN orgs o ON o.id = c.org_id WHERE c.sealed_credentials IS NOT NULL");
    if (!query) return query.error();
    return read_all<SealedRecord>(query.value(), [](const Statement& row) {
        return SealedRecord{row.column_int64(0) == 0 ? SealedRecord::Table::org_key : SealedRecord::Table::connection,
                            row.column_int64(1), row.column_text(2), row.column_text(3), row.column_blob(4)};
    });
}

Result<Done> update_master_sealed(const Database& database, const SealedRecord& record) {
    return execute(database,
                   record.table == SealedRecord::Table::org_key
                       ? "UPDATE org_keys SET sealed_key = ? WHERE org_id = ?"
                       : "UPDATE connections SET sealed_credentials = ? WHERE id = ?",
                   [&](Statement& s) { s.bind_blob(1, record.sealed).bind(2, record.id); });
}

}  // namespace tether::store
