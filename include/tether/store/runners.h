#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

// Runners and the certificates issued to them. A runner owns one service
// account (its API keys); each credentials file adds one certificate and
// one key. Deleting a runner keeps its rows for the audit trail.
namespace tether::store {

struct Runner {
    std::int64_t id = 0;
    std::string public_id;  // stable id written into credentials files
    std::int64_t org_id = 0;
    std::string org;
    std::string name;
    std::int64_t service_account_id = 0;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> last_seen_at;
};

Result<Runner> insert_runner(const Database& database, std::int64_t org_id, std::string_view name,
                             std::string_view public_id, std::int64_t service_account_id, std::int64_t now);
// Live runners only; not_found otherwise.
Result<Runner> find_runner(const Database& database, std::int64_t org_id, std::string_view name);
Result<std::vector<Runner>> list_runners(const Database& database, std::int64_t org_id);
Result<Done> mark_runner_deleted(const Database& database, std::int64_t id, std::int64_t now);

struct CertificateRecord {
    std::int64_t id = 0;
    std::string serial;       // lower-case hex
    std::string fingerprint;  // SHA-256 of the DER, lower-case hex
    std::int64_t runner_id = 0;
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> revoked_at;
};

Result<CertificateRecord> insert_certificate(const Database& database, const CertificateRecord& record);
Result<CertificateRecord> find_certificate(const Database& database, std::string_view fingerprint);
Result<std::vector<CertificateRecord>> list_certificates(const Database& database, std::int64_t runner_id);
// Revokes one certificate (a no-op if it already is).
Result<Done> revoke_certificate(const Database& database, std::int64_t id, std::int64_t now);
// Revokes every live certificate of the runner except `keep` (if any).
Result<Done> revoke_certificates_of(const Database& database, std::int64_t runner_id, std::int64_t now,
                                    std::optional<std::int64_t> keep = std::nullopt);

}  // namespace tether::store
