#include "tether/store/migrations.h"

#include "tether/store/statement.h"

namespace tether::store {
namespace {

// Times are Unix seconds (UTC). Names follow [a-z0-9-]; the API checks them
// and the CHECK constraints keep the database honest if it ever does not.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9]*' AND length(name) <= 63),
    created_at INTEGER NOT NULL
);

-- A runner's own account is named "runner:<runner name>", which no API
-- caller can choose (names they give are [a-z0-9-]).
CREATE TABLE service_accounts (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    kind       TEXT NOT NULL CHECK (kind IN ('runner', 'user', 'bot')),
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE UNIQUE INDEX service_accounts_live_name ON service_accounts(org_id, name) WHERE deleted_at IS NULL;

-- Only a SHA-256 of each key's secret part is kept; the key itself exists
-- only where it was handed out.
CREATE TABLE api_keys (
    id                 INTEGER PRIMARY KEY,
    key_id             TEXT NOT NULL UNIQUE,
    service_account_id INTEGER NOT NULL REFERENCES service_accounts(id),
    secret_sha256      BLOB NOT NULL CHECK (length(secret_sha256) = 32),
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER,
    revoked_at         INTEGER,
    last_used_at       INTEGER
);
CREATE INDEX api_keys_account ON api_keys(service_account_id);

CREATE TABLE runners (
    id                 INTEGER PRIMARY KEY,
    public_id          TEXT NOT NULL UNIQUE,
    org_id             INTEGER NOT NULL REFERENCES orgs(id),
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
    service_account_id INTEGER NOT NULL UNIQUE REFERENCES service_accounts(id),
    created_at         INTEGER NOT NULL,
    last_seen_at       INTEGER,
    deleted_at         INTEGER
);
CREATE UNIQUE INDEX runners_live_name ON runners(org_id, name) WHERE deleted_at IS NULL;

CREATE TABLE certificates (
    id                 INTEGER PRIMARY KEY,
    serial             TEXT NOT NULL UNIQUE,
    fingerprint_sha256 TEXT NOT NULL UNIQUE,
    runner_id          INTEGER NOT NULL REFERENCES runners(id),
    not_before         INTEGER NOT NULL,
    not_after          INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    revoked_at         INTEGER
);
CREATE INDEX certificates_runner ON certificates(runner_id);

-- Append-only; each row's hash covers its content and the previous row's
-- hash, so an edit or a deletion breaks the chain from that row on.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    actor      TEXT NOT NULL,
    org        TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
)sql";

// Operations and live tunnels. Their times are milliseconds since the Unix
// epoch, not seconds: operation deadlines are often under a second apart.
constexpr std::string_view schema_v2 = R"sql(
CREATE TABLE operations (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT NOT NULL UNIQUE CHECK (public_id GLOB 'op_*'),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    runner_id       INTEGER NOT NULL REFERENCES runners(id),
    type            TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    params          TEXT NOT NULL,
    connection      TEXT,
    idempotency_key TEXT CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    status          TEXT NOT NULL
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    submitted_by    TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    deadline_at_ms  INTEGER NOT NULL,
    started_at_ms   INTEGER,
    finished_at_ms  INTEGER,
    result          TEXT,
    error_code      TEXT,
    error_message   TEXT,
    tunnel_id       TEXT
);
-- A retried submission with the same key finds the first one, per org.
CREATE UNIQUE INDEX operations_idempotency ON operations(org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- A runner's queued work, oldest first.
CREATE INDEX operations_runner_status ON operations(runner_id, status, id);
CREATE INDEX operations_org ON operations(org_id, id);
-- What to time out next.
CREATE INDEX operations_status_deadline ON operations(status, deadline_at_ms);

-- One row per live tunnel, written by the server process that holds it:
-- tunnel ownership lives here, and in-memory maps only cache it.
CREATE TABLE tunnels (
    id                      TEXT NOT NULL PRIMARY KEY,
    runner_id               INTEGER NOT NULL REFERENCES runners(id),
    server_instance         TEXT NOT NULL,
    peer_address            TEXT NOT NULL,
    runner_version          TEXT NOT NULL,
    hostname                TEXT NOT NULL,
    certificate_fingerprint TEXT NOT NULL,
    key_id                  TEXT NOT NULL,
    connected_at_ms         INTEGER NOT NULL
);
CREATE INDEX tunnels_runner ON tunnels(runner_id);
CREATE INDEX tunnels_instance ON tunnels(server_instance);
)sql";

// Connections. Inline credentials are an envelope record sealed under the
// master key (crypto/envelope.h); the other auth modes hold none, and a
// deleted connection keeps none.
constexpr std::string_view schema_v3 = R"sql(
CREATE TABLE connections (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES orgs(id),
    name               TEXT NOT NULL CHECK (name GLOB '[a-z0-9]*' AND length(name) <= 63),
    provider           TEXT NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),
    auth_mode          TEXT NOT NULL CHECK (auth_mode IN ('inline', 'runner-delegated', 'cross-account')),
    settings           TEXT NOT NULL,
    sealed_credentials BLOB,
    created_by         TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    deleted_at         INTEGER,
    CHECK (sealed_credentials IS NULL OR (auth_mode = 'inline' AND deleted_at IS NULL)),
    CHECK (auth_mode <> 'inline' OR deleted_at IS NOT NULL OR sealed_credentials IS NOT NULL)
);
CREATE UNIQUE INDEX connections_live_name ON connections(org_id, name) WHERE deleted_at IS NULL;
)sql";

// One audit chain per org, numbered per org, so that what one org sees of
// its log (numbers, counts, where it breaks) depends on its rows alone.
// Existing rows keep the chain across orgs they were written in
// (chain = 'global') and get their number in their org's log.
constexpr std::string_view schema_v4 = R"sql(
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN chain TEXT NOT NULL DEFAULT 'global' CHECK (chain IN ('global', 'org'));
UPDATE audit_log SET seq = numbered.seq
  FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY org ORDER BY id) AS seq FROM audit_log) AS numbered
  WHERE audit_log.id = numbered.id;
CREATE UNIQUE INDEX audit_log_org_seq ON audit_log(org, seq);
)sql";

// Secrets and variables: names per org and kind, each with numbered
// versions. A secret version's content is sealed under its org's key
// (org_keys, itself sealed under the master key); a variable's is its text.
// A destroyed version keeps its row (number, size, fingerprint, who and
// when) without content.
constexpr std::string_view schema_v5 = R"sql(
CREATE TABLE org_keys (
    org_id     INTEGER PRIMARY KEY REFERENCES orgs(id),
    sealed_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE org_values (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT NOT NULL CHECK (kind IN ('secret', 'variable')),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    description TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, kind, name)
);

CREATE TABLE value_versions (
    value_id    INTEGER NOT NULL REFERENCES org_values(id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    state       TEXT NOT NULL CHECK (state IN ('enabled', 'disabled', 'destroyed')),
    content     BLOB,
    size        INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    changed_at  INTEGER,
    PRIMARY KEY (value_id, version),
    CHECK ((state = 'destroyed') = (content IS NULL))
) WITHOUT ROWID;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {1, "identities: orgs, service accounts, API keys, runners, certificates, settings, audit log", schema_v1},
        {2, "operations and live tunnels", schema_v2},
        {3, "connections", schema_v3},
        {4, "one audit chain per org", schema_v4},
        {5, "secrets and variables, and a key per org", schema_v5},
    };
    return all;
}

int latest_schema_version() { return migrations().back().version; }

Result<int> schema_version(const Database& database) {
    auto statement = Statement::prepare(database, "PRAGMA user_version");
    if (!statement) return statement.error();
    auto row = statement.value().step();
    if (!row) return row.error();
    return static_cast<int>(statement.value().column_int64(0));
}

Result<int> migrate(Database& database, int target) {
    auto current = schema_version(database);
    if (!current) return current.error();
    if (current.value() > latest_schema_version()) {
        return Error{ErrorKind::failed_precondition,
                     "database " + database.path().string() + " has schema version " + std::to_string(current.value()) +
                         ", newer than this tether knows (" + std::to_string(latest_schema_version()) +
                         "): run the tether release that wrote it, or a later one"};
    }
    for (const Migration& step : migrations()) {
        if (step.version <= current.value() || step.version > target) continue;
        auto transaction = Transaction::begin(database);
        if (!transaction) return transaction.error();
        auto applied = execute(database, step.sql);
        if (!applied) {
            return Error{ErrorKind::internal, "migration to schema version " + std::to_string(step.version) +
                                                  " failed: " + applied.error().message};
        }
        // PRAGMA user_version is transactional: it commits with the step.
        if (auto bumped = execute(database, "PRAGMA user_version = " + std::to_string(step.version)); !bumped) {
            return bumped.error();
        }
        if (auto committed = transaction.value().commit(); !committed) return committed.error();
        current = step.version;
    }
    return current;
}

}  // namespace tether::store
