#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "tether/store/audit_log.h"
#include "tether/store/migrations.h"
#include "tether/store/statement.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;

namespace {

// Rows alternating between orgs beta (even i) and acme (odd i).
struct AuditDatabase : testing::TempDatabase {
    explicit AuditDatabase(bool migrated = true) : TempDatabase(migrated) {}
    void append(int count) {
        for (int i = 0; i < count; ++i) {
            AuditRecord record{"req-" + std::to_string(i), "service-account:acme/admin", i % 2 ? "acme" : "beta",
                               "runner.create",         "runner:web-" + std::to_string(i), "{}"};
            REQUIRE(append_audit(*db, record, 1'700'000'000 + i));
        }
    }
    std::vector<AuditEntry> entries(const std::string& org) { return list_audit(*db, org, 0, 100).value(); }
    ChainCheck verify(const std::string& org) { return verify_audit_chain(*db, org).value(); }
};

}  // namespace

TEST_CASE("each org's rows chain from the genesis hash, numbered from 1, and verify") {
    AuditDatabase audit;
    audit.append(10);
    for (const std::string org : {"acme", "beta"}) {
        auto rows = audit.entries(org);
        REQUIRE(rows.size() == 5);
        CHECK(rows[0].prev_hash == audit_genesis_hash());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            CHECK(rows[i].seq == static_cast<std::int64_t>(i + 1));
            CHECK(rows[i].record.org == org);
            if (i > 0) CHECK(rows[i].prev_hash == rows[i - 1].hash);
        }
        auto check = audit.verify(org);
        CHECK(check.rows_checked == 5);
        CHECK_FALSE(check.broken_at.has_value());
    }
    CHECK(audit.verify("nobody").rows_checked == 0);
}

TEST_CASE("listing pages by the org's own numbers") {
    AuditDatabase audit;
    audit.append(12);
    auto page = list_audit(*audit.db, "acme", 2, 2);
    REQUIRE(page);
    REQUIRE(page.value().size() == 2);
    CHECK(page.value()[0].seq == 3);
    CHECK(page.value()[0].record.target == "runner:web-5");
}

TEST_CASE("what one org sees does not move when another org's log grows or breaks") {
    AuditDatabase audit;
    audit.append(4);
    auto acme_before = audit.entries("acme");
    auto acme_check = audit.verify("acme");
    for (int i = 0; i < 7; ++i) REQUIRE(append_audit(*audit.db, {"r", "system", "beta", "x", "y", "{}"}, 1));
    REQUIRE(execute(*audit.db, "UPDATE audit_log SET actor = 'forged' WHERE org = 'beta' AND seq = 3"));
    auto acme_after = audit.entries("acme");
    REQUIRE(acme_after.size() == acme_before.size());
    for (std::size_t i = 0; i < acme_after.size(); ++i) CHECK(acme_after[i].hash == acme_before[i].hash);
    CHECK(audit.verify("acme").rows_checked == acme_check.rows_checked);
    CHECK_FALSE(audit.verify("acme").broken_at);
    CHECK(audit.verify("beta").broken_at == 3);
}

TEST_CASE("an edited row breaks its org's chain at that row") {
    AuditDatabase audit;
    audit.append(10);
    REQUIRE(execute(*audit.db, "UPDATE audit_log SET actor = 'someone-else' WHERE org = 'acme' AND seq = 3"));
    auto check = audit.verify("acme");
    CHECK(check.broken_at == 3);
    CHECK(check.reason.find("edited") != std::string::npos);
}

TEST_CASE("a row edited together with its hash breaks the link of the next row") {
    AuditDatabase audit;
    audit.append(8);
    auto rows = audit.entries("acme");
    AuditRecord forged = rows[1].record;
    forged.target = "runner:forged";
    std::string forged_hash = audit_hash(rows[1].prev_hash, 2, rows[1].at, forged);
    REQUIRE(execute(*audit.db, "UPDATE audit_log SET target = 'runner:forged', hash = '" + forged_hash +
                                   "' WHERE org = 'acme' AND seq = 2"));
    auto check = audit.verify("acme");
    CHECK(check.broken_at == 3);
    CHECK(check.reason.find("link") != std::string::npos);
}

TEST_CASE("a deleted row is reported as missing") {
    AuditDatabase audit;
    audit.append(8);
    REQUIRE(execute(*audit.db, "DELETE FROM audit_log WHERE org = 'acme' AND seq = 2"));
    auto check = audit.verify("acme");
    CHECK(check.broken_at == 3);
    CHECK(check.reason == "entry 2 is missing (next entry is 3)");
}

TEST_CASE("rows written before schema 4 keep their chain across orgs, get per-org numbers, and new rows follow on") {
    AuditDatabase audit(false);
    REQUIRE(migrate(*audit.db, 3));
    // The table as schema 3 wrote it: one chain, numbered by id.
    std::string prev = audit_genesis_hash();
    for (int id = 1; id <= 6; ++id) {
        AuditRecord record{"r", "system", id % 2 ? "acme" : "beta", "runner.create", "runner:" + std::to_string(id), "{}"};
        std::string hash = audit_hash(prev, id, 100 + id, record);
        auto insert = Statement::prepare(*audit.db,
                                         "INSERT INTO audit_log (id, at, request_id, actor, org, action, target, detail, "
                                         "prev_hash, hash) VALUES (?, ?, 'r', 'system', ?, 'runner.create', ?, '{}', ?, ?)");
        insert.value().bind(1, std::int64_t{id}).bind(2, std::int64_t{100 + id}).bind(3, record.org);
        insert.value().bind(4, record.target).bind(5, prev).bind(6, hash);
        REQUIRE(insert.value().run());
        prev = hash;
    }
    REQUIRE(migrate(*audit.db));
    audit.append(4);
    auto acme = audit.entries("acme");
    REQUIRE(acme.size() == 5);
    for (std::size_t i = 0; i < acme.size(); ++i) CHECK(acme[i].seq == static_cast<std::int64_t>(i + 1));
    CHECK(acme[3].prev_hash == acme[2].hash);  // the first per-org row follows the org's last legacy row
    CHECK(audit.verify("acme").rows_checked == 5);
    CHECK_FALSE(audit.verify("acme").broken_at);
    CHECK_FALSE(audit.verify("beta").broken_at);

    // Editing a legacy row still shows, to its org only.
    REQUIRE(execute(*audit.db, "UPDATE audit_log SET target = 'runner:forged' WHERE id = 3"));
    CHECK(audit.verify("acme").broken_at == 2);
    CHECK_FALSE(audit.verify("beta").broken_at);
}

TEST_CASE("the row hash covers every field, so fields cannot trade bytes") {
    AuditRecord a{"r", "actor", "org", "act", "tar", "{}"};
    AuditRecord b{"r", "actor", "org", "act", "ta", "r{}"};
    CHECK(audit_hash(audit_genesis_hash(), 1, 1, a) != audit_hash(audit_genesis_hash(), 1, 1, b));
    CHECK(audit_hash(audit_genesis_hash(), 1, 1, a) != audit_hash(audit_genesis_hash(), 2, 1, a));
    CHECK(audit_hash(audit_genesis_hash(), 1, 1, a).size() == 64);
}
