#include "tether/store/identities.h"

#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view account_columns =
    "SELECT a.id, a.org_id, o.name, a.name, a.kind, a.role, a.active, a.created_at "
    "FROM service_accounts a JOIN orgs o ON o.id = a.org_id ";

constexpr std::string_view key_columns =
    "SELECT id, key_id, service_account_id, secret_sha256, created_at, expires_at, revoked_at, last_used_at "
    "FROM api_keys ";

Org read_org(const Statement& row) { return {row.column_int64(0), row.column_text(1), row.column_int64(2)}; }

ServiceAccount read_account(const Statement& row) {
    ServiceAccount account;
    account.id = row.column_int64(0);
    account.org_id = row.column_int64(1);
    account.org = row.column_text(2);
    account.name = row.column_text(3);
    account.kind = parse_account_kind(row.column_text(4)).value_or(AccountKind::user);
    account.role = auth::parse_role(row.column_text(5)).value_or(auth::Role::viewer);
    account.active = row.column_int64(6) != 0;
    account.created_at = row.column_int64(7);
    return account;
}

ApiKeyRecord read_key(const Statement& row) {
    return {row.column_int64(0),          row.column_text(1),           row.column_int64(2),
            row.column_blob(3),           row.column_int64(4),          row.column_optional_int64(5),
            row.column_optional_int64(6), row.column_optional_int64(7)};
}

}  // namespace

const char* to_string(AccountKind kind) {
    switch (kind) {
        case AccountKind::runner: return "runner";
        case AccountKind::user: return "user";
        case AccountKind::bot: return "bot";
    }
    return "user";
}

std::optional<AccountKind> parse_account_kind(std::string_view name) {
    for (AccountKind kind : {AccountKind::runner, AccountKind::user, AccountKind::bot}) {
        if (name == to_string(kind)) return kind;
    }
    return std::nullopt;
}

Result<Org> create_org(const Database& database, std::string_view name, std::int64_t now) {
    auto inserted = execute(database, "INSERT INTO orgs (name, created_at) VALUES (?, ?)",
                        [&](Statement& s) { s.bind(1, name).bind(2, now); });
    if (!inserted) {
        if (inserted.error().kind == ErrorKind::already_exists) {
            return Error{ErrorKind::already_exists, "org '" + std::string(name) + "' already exists"};
        }
        return inserted.error();
    }
    return find_org(database, name);
}

Result<Org> find_org(const Database& database, std::string_view name) {
    auto query = Statement::prepare(database, "SELECT id, name, created_at FROM orgs WHERE name = ?");
    if (!query) return query.error();
    query.value().bind(1, name);
    return read_one<Org>(query.value(), read_org, "no org '" + std::string(name) + "'");
}

Result<std::vector<Org>> list_orgs(const Database& database) {
    auto query = Statement::prepare(database, "SELECT id, name, created_at FROM orgs ORDER BY name");
    if (!query) return query.error();
    return read_all<Org>(query.value(), read_org);
}

Result<ServiceAccount> create_service_account(const Database& database, const Org& org, std::string_view name,
                                              AccountKind kind, auth::Role role, std::int64_t now) {
    auto inserted = execute(database,
                        "INSERT INTO service_accounts (org_id, name, kind, role, active, created_at) "
                        "VALUES (?, ?, ?, ?, 1, ?)",
                        [&](Statement& s) {
                            s.bind(1, org.id).bind(2, name).bind(3, std::string_view(to_string(kind)));
                            s.bind(4, std::string_view(auth::to_string(role))).bind(5, now);
                        });
    if (!inserted) {
        if (inserted.error().kind == ErrorKind::already_exists) {
            return Error{ErrorKind::already_exists,
                         "service account '" + std::string(name) + "' already exists in org '" + org.name + "'"};
        }
        return inserted.error();
    }
    return find_service_account(database, org.id, name);
}

Result<ServiceAccount> find_service_account(const Database& database, std::int64_t org_id, std::string_view name) {
    auto query = Statement::prepare(database, std::string(account_columns) +
                                                  "WHERE a.org_id = ? AND a.name = ? AND a.deleted_at IS NULL");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, name);
    return read_one<ServiceAccount>(query.value(), read_account, "no service account '" + std::string(name) + "'");
}

Result<ServiceAccount> find_service_account_by_id(const Database& database, std::int64_t id) {
    auto query =
        Statement::prepare(database, std::string(account_columns) + "WHERE a.id = ? AND a.deleted_at IS NULL");
    if (!query) return query.error();
    query.value().bind(1, id);
    return read_one<ServiceAccount>(query.value(), read_account, "no such service account");
}

Result<std::vector<ServiceAccount>> list_service_accounts(const Database& database, std::int64_t org_id) {
    auto query = Statement::prepare(database, std::string(account_columns) +
                                                  "WHERE a.org_id = ? AND a.deleted_at IS NULL ORDER BY a.name");
    if (!query) return query.error();
    query.value().bind(1, org_id);
    return read_all<ServiceAccount>(query.value(), read_account);
}

Result<Done> set_service_account_active(const Database& database, std::int64_t id, bool active) {
    return execute(database, "UPDATE service_accounts SET active = ? WHERE id = ?",
               [&](Statement& s) { s.bind(1, std::int64_t{active ? 1 : 0}).bind(2, id); });
}

Result<Done> delete_service_account(const Database& database, std::int64_t id, std::int64_t now) {
    auto deleted = execute(database, "UPDATE service_accounts SET deleted_at = ?, active = 0 WHERE id = ?",
                       [&](Statement& s) { s.bind(1, now).bind(2, id); });
    if (!deleted) return deleted;
    return revoke_api_keys_of(database, id, now);
}

Result<ApiKeyRecord> insert_api_key(const Database& database, std::string_view key_id, std::int64_t service_account_id,
                                    const crypto::Sha256& secret_hash, std::int64_t now,
                                    std::optional<std::int64_t> expires_at) {
    auto inserted = execute(database,
                        "INSERT INTO api_keys (key_id, service_account_id, secret_sha256, created_at, expires_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [&](Statement& s) {
                            s.bind(1, key_id).bind(2, service_account_id);
                            s.bind_blob(3, std::string_view(reinterpret_cast<const char*>(secret_hash.data()),
                                                            secret_hash.size()));
                            s.bind(4, now).bind(5, expires_at);
                        });
    if (!inserted) return inserted.error();
    return find_api_key(database, key_id);
}

Result<ApiKeyRecord> find_api_key(const Database& database, std::string_view key_id) {
    auto query = Statement::prepare(database, std::string(key_columns) + "WHERE key_id = ?");
    if (!query) return query.error();
    query.value().bind(1, key_id);
    return read_one<ApiKeyRecord>(query.value(), read_key, "no API key '" + std::string(key_id) + "'");
}

Result<std::vector<ApiKeyRecord>> list_api_keys(const Database& database, std::int64_t service_account_id) {
    auto query =
        Statement::prepare(database, std::string(key_columns) + "WHERE service_account_id = ? ORDER BY created_at, id");
    if (!query) return query.error();
    query.value().bind(1, service_account_id);
    return read_all<ApiKeyRecord>(query.value(), read_key);
}

Result<Done> revoke_api_key(const Database& database, std::string_view key_id, std::int64_t now) {
    return execute(database, "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
               [&](Statement& s) { s.bind(1, now).bind(2, key_id); });
}

Result<Done> revoke_api_keys_of(const Database& database, std::int64_t service_account_id, std::int64_t now,
                                std::optional<std::int64_t> keep) {
    return execute(database,
               "UPDATE api_keys SET revoked_at = ? "
               "WHERE service_account_id = ? AND revoked_at IS NULL AND id IS NOT ?",
               [&](Statement& s) { s.bind(1, now).bind(2, service_account_id).bind(3, keep); });
}

Result<Done> touch_api_key(const Database& database, std::int64_t id, std::int64_t now) {
    return execute(database, "UPDATE api_keys SET last_used_at = ? WHERE id = ?",
               [&](Statement& s) { s.bind(1, now).bind(2, id); });
}

Result<OrgWithAdmin> create_org_with_admin(const Database& database, std::string_view name, std::string_view key_id,
                                           const crypto::Sha256& key_hash, std::int64_t now) {
    auto org = create_org(database, name, now);
    if (!org) return org.error();
    auto admin = create_service_account(database, org.value(), "admin", AccountKind::user, auth::Role::admin, now);
    if (!admin) return admin.error();
    auto key = insert_api_key(database, key_id, admin.value().id, key_hash, now, std::nullopt);
    if (!key) return key.error();
    return OrgWithAdmin{std::move(org).value(), std::move(admin).value()};
}

}  // namespace tether::store
