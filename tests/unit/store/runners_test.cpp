#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "tether/store/identities.h"
#include "tether/store/migrations.h"
#include "tether/store/runners.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;

namespace {

struct RunnerDatabase : testing::TempDatabase {
    Org acme = create_org(*db, "acme", 1).value();

    Runner add(const std::string& name) {
        auto account = create_service_account(*db, acme, "runner-" + name, AccountKind::runner, auth::Role::viewer, 2);
        REQUIRE(account);
        auto runner = insert_runner(*db, acme.id, name, "rn_" + name, account.value().id, 3);
        REQUIRE(runner);
        return runner.value();
    }
    CertificateRecord certify(const Runner& runner, const std::string& serial) {
        auto record = insert_certificate(*db, {0, serial, "fp-" + serial, runner.id, 10, 20, 10, std::nullopt});
        REQUIRE(record);
        return record.value();
    }
};

}  // namespace

TEST_CASE("runners: unique live names per org; a deleted runner's name can be reused") {
    RunnerDatabase runners;
    Runner web = runners.add("web-1");
    CHECK(web.org == "acme");
    CHECK(web.public_id == "rn_web-1");
    CHECK(find_runner(*runners.db, runners.acme.id, "web-1").value().id == web.id);
    CHECK(list_runners(*runners.db, runners.acme.id).value().size() == 1);

    auto account = create_service_account(*runners.db, runners.acme, "other", AccountKind::runner, auth::Role::viewer, 4);
    auto duplicate = insert_runner(*runners.db, runners.acme.id, "web-1", "rn_x", account.value().id, 4);
    REQUIRE_FALSE(duplicate);
    CHECK(duplicate.error().kind == ErrorKind::already_exists);
    CHECK(duplicate.error().message == "runner 'web-1' already exists");

    REQUIRE(mark_runner_deleted(*runners.db, web.id, 5));
    CHECK(find_runner(*runners.db, runners.acme.id, "web-1").error().kind == ErrorKind::not_found);
    CHECK(list_runners(*runners.db, runners.acme.id).value().empty());
    REQUIRE(insert_runner(*runners.db, runners.acme.id, "web-1", "rn_y", account.value().id, 6));
}

TEST_CASE("certificates: recorded by fingerprint; revoking all but the newest") {
    RunnerDatabase runners;
    Runner web = runners.add("web-1");
    Runner db = runners.add("db-1");
    runners.certify(web, "01");
    CertificateRecord b = runners.certify(web, "02");
    runners.certify(db, "03");
    CHECK(find_certificate(*runners.db, "fp-02").value().serial == "02");
    CHECK(find_certificate(*runners.db, "fp-99").error().kind == ErrorKind::not_found);

    REQUIRE(revoke_certificates_of(*runners.db, web.id, 30, b.id));
    CHECK(find_certificate(*runners.db, "fp-01").value().revoked_at == 30);
    CHECK_FALSE(find_certificate(*runners.db, "fp-02").value().revoked_at.has_value());
    CHECK_FALSE(find_certificate(*runners.db, "fp-03").value().revoked_at.has_value());

    REQUIRE(revoke_certificates_of(*runners.db, web.id, 40));
    CHECK(find_certificate(*runners.db, "fp-02").value().revoked_at == 40);
    CHECK(find_certificate(*runners.db, "fp-01").value().revoked_at == 30);
    CHECK(list_certificates(*runners.db, web.id).value().size() == 2);
}

TEST_CASE("a serial or fingerprint cannot be recorded twice") {
    RunnerDatabase runners;
    Runner web = runners.add("web-1");
    runners.certify(web, "01");
    auto again = insert_certificate(*runners.db, {0, "01", "fp-other", web.id, 1, 2, 1, std::nullopt});
    CHECK_FALSE(again);
}
