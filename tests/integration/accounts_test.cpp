// Service accounts and API keys through the real binary: roles, disabling,
// expiry and revocation act on the very next request.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <thread>

#include "server_fixture.h"

using namespace tether::testing;

namespace {

// Creates a service account with `role` and returns a fresh key for it.
std::string account_with_key(const RunningServer& server, const std::string& name, const std::string& role,
                             const std::string& expires_in = "") {
    Outcome created = server.admin({"service-account", "create", name, "--role", role});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    std::vector<std::string> args = {"api-key", "create", "--service-account", name, "-o", "json"};
    if (!expires_in.empty()) {
        args.push_back("--expires-in");
        args.push_back(expires_in);
    }
    Outcome key = server.admin(args);
    REQUIRE_MESSAGE(key.exit_code == 0, key.err);
    return nlohmann::json::parse(key.out).at("api_key").get<std::string>();
}

Outcome as(const RunningServer& server, const std::string& key, std::vector<std::string> args) {
    return server.admin(std::move(args), {.env = {{"TETHER_API_KEY", key}}});
}

}  // namespace

TEST_CASE("a viewer can read but not create; an admin can") {
    RunningServer server;
    std::string viewer = account_with_key(server, "reader", "viewer");
    Outcome list = as(server, viewer, {"service-account", "list", "-o", "json"});
    REQUIRE_MESSAGE(list.exit_code == 0, list.err);
    CHECK(nlohmann::json::parse(list.out)["service_accounts"].size() == 2);

    Outcome create = as(server, viewer, {"service-account", "create", "intruder", "--role", "admin"});
    CHECK(create.exit_code == 77);
    CHECK(create.err.find("this needs the admin role; yours is viewer") != std::string::npos);
    Outcome after = server.admin({"service-account", "list", "-o", "json"});
    CHECK(nlohmann::json::parse(after.out)["service_accounts"].size() == 2);  // nothing was created
}

TEST_CASE("a disabled service account's key is refused on its very next request, and works again once enabled") {
    RunningServer server;
    std::string key = account_with_key(server, "ci", "operator");
    CHECK(as(server, key, {"whoami"}).exit_code == 0);
    REQUIRE(server.admin({"service-account", "disable", "ci"}).exit_code == 0);
    CHECK(as(server, key, {"whoami"}).exit_code == 77);
    REQUIRE(server.admin({"service-account", "enable", "ci"}).exit_code == 0);
    CHECK(as(server, key, {"whoami"}).exit_code == 0);
}

TEST_CASE("a revoked key and a deleted account's key are refused") {
    RunningServer server;
    std::string key = account_with_key(server, "ci", "viewer");
    std::string key_id = key.substr(4, 12);
    REQUIRE(server.admin({"api-key", "revoke", key_id}).exit_code == 0);
    CHECK(as(server, key, {"whoami"}).exit_code == 77);

    std::string other = account_with_key(server, "bot-2", "viewer");
    REQUIRE(server.admin({"service-account", "delete", "bot-2"}).exit_code == 0);
    CHECK(as(server, other, {"whoami"}).exit_code == 77);
    // The revoked key is listed as revoked; the deleted account's keys are gone from the list.
    Outcome keys = server.admin({"api-key", "list", "-o", "json"});
    nlohmann::json listed_keys = nlohmann::json::parse(keys.out)["api_keys"];
    int seen = 0;
    for (const auto& listed : listed_keys) {
        CHECK(listed["service_account"] != "bot-2");
        if (listed["key_id"] != key_id) continue;
        ++seen;
        CHECK_FALSE(listed["revoked_at"].is_null());
    }
    CHECK(seen == 1);
}

TEST_CASE("an expired key is refused") {
    RunningServer server;
    std::string key = account_with_key(server, "short", "viewer", "1s");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    Outcome outcome = as(server, key, {"whoami"});
    CHECK(outcome.exit_code == 77);
    auto refused = server.process->wait_for_log("request refused", 5s);
    REQUIRE(refused);
    CHECK(refused->at("reason") == "key expired");
}

TEST_CASE("another org is invisible: --org naming it is 404, like an org that does not exist") {
    RunningServer server;
    Outcome outcome = server.admin({"--org", "someone-else", "service-account", "list"});
    CHECK(outcome.exit_code == 64);
    CHECK(outcome.err.find("no org 'someone-else'") != std::string::npos);
}

TEST_CASE("bad requests get a specific 4xx and change nothing") {
    RunningServer server;
    Outcome bad_name = server.admin({"service-account", "create", "Bad_Name", "--role", "viewer"});
    CHECK(bad_name.exit_code == 64);
    CHECK(bad_name.err.find("names use a-z, 0-9 and '-'") != std::string::npos);
    Outcome bad_role = server.admin({"service-account", "create", "ok-name", "--role", "root"});
    CHECK(bad_role.exit_code == 64);
    CHECK(bad_role.err.find("role must be viewer, operator or admin") != std::string::npos);
    REQUIRE(server.admin({"service-account", "create", "dup", "--role", "viewer"}).exit_code == 0);
    Outcome duplicate = server.admin({"service-account", "create", "dup", "--role", "viewer"});
    CHECK(duplicate.exit_code == 64);
    CHECK(duplicate.err.find("already exists") != std::string::npos);
    Outcome self = server.admin({"service-account", "disable", "admin"});
    CHECK(self.err.find("you cannot disable the service account whose key you are using") != std::string::npos);
    Outcome unknown_key = server.admin({"api-key", "revoke", "nosuchkey123"});
    CHECK(unknown_key.err.find("no API key") != std::string::npos);

    Outcome list = server.admin({"service-account", "list", "-o", "json"});
    auto names = nlohmann::json::parse(list.out)["service_accounts"];
    CHECK(names.size() == 2);  // admin and dup
}

TEST_CASE("every change is in the audit log; audit verify passes, and names the row after an edit") {
    RunningServer server;
    account_with_key(server, "ci", "viewer");
    REQUIRE(server.admin({"service-account", "disable", "ci"}).exit_code == 0);

    Outcome list = server.admin({"audit", "list", "-o", "json"});
    REQUIRE_MESSAGE(list.exit_code == 0, list.err);
    nlohmann::json entries = nlohmann::json::parse(list.out)["entries"];
    std::vector<std::string> actions;
    for (const auto& entry : entries) actions.push_back(entry["action"]);
    CHECK(actions == std::vector<std::string>{"org.create", "service_account.create", "api_key.create",
                                              "service_account.create", "api_key.create", "service_account.disable"});
    Outcome verify = server.admin({"audit", "verify"});
    CHECK(verify.exit_code == 0);
    CHECK(verify.out.find("audit log intact: 6 rows checked") != std::string::npos);

    // Someone with write access to the database edits row 4.
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((server.data / "tether.db").c_str(), &db) == SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        REQUIRE(sqlite3_exec(db, "UPDATE audit_log SET actor = 'nobody' WHERE id = 4", nullptr, nullptr, nullptr) ==
                SQLITE_OK);
        sqlite3_close(db);
    }
    Outcome broken = server.admin({"audit", "verify"});
    CHECK(broken.exit_code == 65);
    CHECK(broken.out.find("audit log BROKEN at row 4") != std::string::npos);
}
