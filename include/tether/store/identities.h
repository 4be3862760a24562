#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/auth/role.h"
#include "tether/core/error.h"
#include "tether/crypto/hash.h"
#include "tether/store/database.h"

// Who exists: orgs, service accounts and their API keys. Functions take the
// current time so that tests control it; names are validated by the caller
// (pki::is_valid_name) and again by CHECK constraints.
namespace tether::store {

struct Org {
    std::int64_t id = 0;
    std::string name;
    std::int64_t created_at = 0;
};

Result<Org> create_org(const Database& database, std::string_view name, std::int64_t now);
// not_found when there is no such org.
Result<Org> find_org(const Database& database, std::string_view name);
Result<std::vector<Org>> list_orgs(const Database& database);

enum class AccountKind { runner, user, bot };
const char* to_string(AccountKind kind);
std::optional<AccountKind> parse_account_kind(std::string_view name);

struct ServiceAccount {
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::string org;
    std::string name;
    AccountKind kind = AccountKind::user;
    auth::Role role = auth::Role::viewer;
    bool active = true;
    std::int64_t created_at = 0;
};

Result<ServiceAccount> create_service_account(const Database& database, const Org& org, std::string_view name,
                                              AccountKind kind, auth::Role role, std::int64_t now);
// Live (not deleted) accounts only; not_found otherwise.
Result<ServiceAccount> find_service_account(const Database& database, std::int64_t org_id, std::string_view name);
Result<ServiceAccount> find_service_account_by_id(const Database& database, std::int64_t id);
Result<std::vector<ServiceAccount>> list_service_accounts(const Database& database, std::int64_t org_id);
Result<Done> set_service_account_active(const Database& database, std::int64_t id, bool active);
// Soft delete: the row stays for the audit trail; its keys are revoked.
Result<Done> delete_service_account(const Database& database, std::int64_t id, std::int64_t now);

struct ApiKeyRecord {
    std::int64_t id = 0;
    std::string key_id;
    std::int64_t service_account_id = 0;
    std::string secret_sha256;  // 32 raw bytes
    std::int64_t created_at = 0;
    std::optional<std::int64_t> expires_at;
    std::optional<std::int64_t> revoked_at;
    std::optional<std::int64_t> last_used_at;
};

Result<ApiKeyRecord> insert_api_key(const Database& database, std::string_view key_id, std::int64_t service_account_id,
                                    const crypto::Sha256& secret_hash, std::int64_t now,
                                    std::optional<std::int64_t> expires_at);
Result<ApiKeyRecord> find_api_key(const Database& database, std::string_view key_id);
Result<std::vector<ApiKeyRecord>> list_api_keys(const Database& database, std::int64_t service_account_id);
Result<Done> revoke_api_key(const Database& database, std::string_view key_id, std::int64_t now);
// Revokes every live key of the account except `keep` (if any).
Result<Done> revoke_api_keys_of(const Database& database, std::int64_t service_account_id, std::int64_t now,
                                std::optional<std::int64_t> keep = std::nullopt);
Result<Done> touch_api_key(const Database& database, std::int64_t id, std::int64_t now);

struct OrgWithAdmin {
    Org org;
    ServiceAccount admin;
};

// A new org with its first service account, "admin" (a user with the admin
// role), holding the key `key_id`; as `server init` and org creation make it.
// Call inside a transaction.
Result<OrgWithAdmin> create_org_with_admin(const Database& database, std::string_view name, std::string_view key_id,
                                           const crypto::Sha256& key_hash, std::int64_t now);

}  // namespace tether::store
