#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

// Secrets and variables: values named within an org, each name with
// numbered versions. This layer keeps bytes: a secret's content arrives
// sealed (the server seals it under the org's key, whose own sealed form is
// kept here too) and a variable's as its text. Nothing here sees a secret
// in clear.
namespace tether::store {

enum class ValueKind { secret, variable };
const char* to_string(ValueKind kind);

enum class VersionState { enabled, disabled, destroyed };
const char* to_string(VersionState state);
std::optional<VersionState> parse_version_state(std::string_view name);

struct ValueVersion {
    std::int64_t version = 0;
    VersionState state = VersionState::enabled;
    std::optional<std::string> content;  // none once destroyed
    std::int64_t size = 0;               // of the value in clear
    std::string fingerprint;             // keyed: tells versions apart, reveals nothing
    std::string created_by;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> changed_at;  // the last enable, disable or destroy
};

// A name and what its versions add up to.
struct ValueSummary {
    std::int64_t id = 0;
    std::string name;
    std::string description;
    std::int64_t versions = 0;                    // all, destroyed ones included
    std::optional<std::int64_t> latest_enabled;   // what "latest" reads
    std::string created_by;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;                  // the newest version's
};

// What adding a version writes.
struct NewVersion {
    std::int64_t org_id = 0;
    ValueKind kind = ValueKind::secret;
    std::string name;
    std::optional<std::string> description;  // kept as it was when absent
    std::string content;
    std::int64_t size = 0;
    std::string fingerprint;
    std::string created_by;
    std::int64_t now = 0;
};

// The number the next version of `name` gets: 1 for a new name. Content
// sealed with that number bound in must be added under it, in the same
// transaction.
Result<std::int64_t> next_version(const Database& database, std::int64_t org_id, ValueKind kind,
                                  std::string_view name);
// Adds version `version` (from next_version), creating the name when new;
// already_exists if another writer took that number first.
Result<ValueVersion> add_version(const Database& database, const NewVersion& added, std::int64_t version);

// The org's names of `kind`, by name; with no version left but destroyed
// ones included (they keep their history).
Result<std::vector<ValueSummary>> list_values(const Database& database, std::int64_t org_id, ValueKind kind);
// not_found naming it.
Result<ValueSummary> find_value(const Database& database, std::int64_t org_id, ValueKind kind, std::string_view name);
// Newest first, content included.
Result<std::vector<ValueVersion>> list_versions(const Database& database, std::int64_t value_id);
// One version; `version` nullopt for "latest" (the highest enabled one).
// not_found when there is no such version (or no enabled one); the caller
// checks the state of a pinned version.
Result<ValueVersion> find_version(const Database& database, std::int64_t value_id,
                                  std::optional<std::int64_t> version);
// Enables or disables a version that is not destroyed; destroying drops its
// content for good. not_found when there is no such version,
// failed_precondition when it is already destroyed. Returns whether
// anything changed.
Result<bool> set_version_state(const Database& database, std::int64_t value_id, std::int64_t version,
                               VersionState state, std::int64_t now);
// Destroys every version of a name; how many were not destroyed before.
Result<std::int64_t> destroy_all_versions(const Database& database, std::int64_t value_id, std::int64_t now);

// An org's key, sealed under the master key; nullopt before its first secret.
Result<std::optional<std::string>> find_org_key(const Database& database, std::int64_t org_id);
// already_exists when the org has one (another writer made it first).
Result<Done> insert_org_key(const Database& database, std::int64_t org_id, std::string_view sealed_key,
                            std::int64_t now);

// Every sealed record the master key opens, for rotating it: each org's
// key and each live connection's inline credentials, with what binds it.
struct SealedRecord {
    enum class Table { org_key, connection } table;
    std::int64_t id = 0;      // org id or connection id
    std::string org;          // the org's name
    std::string name;         // the connection's name; empty for an org key
    std::string sealed;
};
Result<std::vector<SealedRecord>> list_master_sealed(const Database& database);
Result<Done> update_master_sealed(const Database& database, const SealedRecord& record);

}  // namespace tether::store
