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

struct AuditDatabase : testing::TempDatabase {
    void append(int count) {
        for (int i = 0; i < count; ++i) {
            AuditRecord record{"req-" + std::to_string(i), "service-account:acme/admin", i % 2 ? "acme" : "beta",
                               "runner.create",         "runner:web-" + std::to_string(i), "{}"};
            REQUIRE(append_audit(*db, record, 1'700'000'000 + i));
        }
    }
};

}  // namespace

TEST_CASE("appended rows chain from the genesis hash and verify") {
    AuditDatabase audit;
    audit.append(5);
    auto rows = list_audit(*audit.db, std::nullopt, 0, 100);
    REQUIRE(rows);
    REQUIRE(rows.value().size() == 5);
    CHECK(rows.value()[0].prev_hash == audit_genesis_hash());
    for (std::size_t i = 1; i < rows.value().size(); ++i) CHECK(rows.value()[i].prev_hash == rows.value()[i - 1].hash);
    auto check = verify_audit_chain(*audit.db);
    REQUIRE(check);
    CHECK(check.value().rows_checked == 5);
    CHECK_FALSE(check.value().broken_at.has_value());
}

TEST_CASE("listing filters by org and pages by id") {
    AuditDatabase audit;
    audit.append(6);
    auto acme = list_audit(*audit.db, std::string("acme"), 0, 100);
    REQUIRE(acme);
    CHECK(acme.value().size() == 3);
    for (const auto& entry : acme.value()) CHECK(entry.record.org == "acme");
    auto page = list_audit(*audit.db, std::nullopt, 2, 2);
    REQUIRE(page);
    REQUIRE(page.value().size() == 2);
    CHECK(page.value()[0].id == 3);
}

TEST_CASE("an edited row breaks the chain at that row") {
    AuditDatabase audit;
    audit.append(5);
    REQUIRE(execute(*audit.db, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 3"));
    auto check = verify_audit_chain(*audit.db);
    REQUIRE(check);
    CHECK(check.value().broken_at == 3);
    CHECK(check.value().reason.find("edited") != std::string::npos);
}

TEST_CASE("a row edited together with its hash breaks the link of the next row") {
    AuditDatabase audit;
    audit.append(4);
    auto rows = list_audit(*audit.db, std::nullopt, 0, 10).value();
    AuditRecord forged = rows[1].record;
    forged.target = "runner:forged";
    std::string forged_hash = audit_hash(rows[1].prev_hash, 2, rows[1].at, forged);
    REQUIRE(execute(*audit.db, "UPDATE audit_log SET target = 'runner:forged', hash = '" + forged_hash + "' WHERE id = 2"));
    auto check = verify_audit_chain(*audit.db);
    REQUIRE(check);
    CHECK(check.value().broken_at == 3);
    CHECK(check.value().reason.find("link") != std::string::npos);
}

TEST_CASE("a deleted row is reported as missing") {
    AuditDatabase audit;
    audit.append(4);
    REQUIRE(execute(*audit.db, "DELETE FROM audit_log WHERE id = 2"));
    auto check = verify_audit_chain(*audit.db);
    REQUIRE(check);
    CHECK(check.value().broken_at == 3);
    CHECK(check.value().reason == "row 2 is missing (next row is 3)");
}

TEST_CASE("the row hash covers every field, so fields cannot trade bytes") {
    AuditRecord a{"r", "actor", "org", "act", "tar", "{}"};
    AuditRecord b{"r", "actor", "org", "act", "ta", "r{}"};
    CHECK(audit_hash(audit_genesis_hash(), 1, 1, a) != audit_hash(audit_genesis_hash(), 1, 1, b));
    CHECK(audit_hash(audit_genesis_hash(), 1, 1, a) != audit_hash(audit_genesis_hash(), 2, 1, a));
    CHECK(audit_hash(audit_genesis_hash(), 1, 1, a).size() == 64);
}
