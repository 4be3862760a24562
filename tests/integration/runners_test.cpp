// Runners and their credentials files through the real binary: issuance,
// rotation, revocation, and what the files and the database hold.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "server_fixture.h"
#include "tether/pki/identity.h"
#include "tether/pki/private_key.h"
#include "common/files.h"

using namespace tether::testing;

using tether::testing::mode_of;

namespace {

nlohmann::json load_json(const std::filesystem::path& path) { return nlohmann::json::parse(read_text(path)); }

Outcome as(const RunningServer& server, const std::string& key, std::vector<std::string> args) {
    return server.admin(std::move(args), {.env = {{"TETHER_API_KEY", key}}});
}

// Writes credentials for `runner` into a new dir under the server's temp dir.
nlohmann::json generate(const RunningServer& server, const std::string& runner, const std::string& dir_name,
                        bool regenerate = false) {
    std::filesystem::path dir = server.dir / dir_name;
    std::filesystem::create_directories(dir);
    Outcome outcome = server.admin({"runner", regenerate ? "regenerate-credentials" : "generate-credentials", runner,
                            "--output-dir", dir.string()});
    REQUIRE_MESSAGE(outcome.exit_code == 0, outcome.err);
    return load_json(dir / "credentials.json");
}

}  // namespace

TEST_CASE("two generated credentials files both work; regenerate revokes both and its own works") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "web-1"}).exit_code == 0);
    nlohmann::json first = generate(server, "web-1", "first");
    nlohmann::json second = generate(server, "web-1", "second");
    CHECK(first["api_key"] != second["api_key"]);
    CHECK(first["certificate"] != second["certificate"]);
    for (const auto& file : {first, second}) {
        Outcome whoami = as(server, file["api_key"], {"whoami", "-o", "json"});
        REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
        auto me = nlohmann::json::parse(whoami.out);
        CHECK(me["service_account"] == "runner:web-1");
        CHECK(me["kind"] == "runner");
        CHECK(me["role"] == "viewer");
    }

    nlohmann::json third = generate(server, "web-1", "third", true);
    CHECK(as(server, first["api_key"], {"whoami"}).exit_code == 77);
    CHECK(as(server, second["api_key"], {"whoami"}).exit_code == 77);
    CHECK(as(server, third["api_key"], {"whoami"}).exit_code == 0);

    Outcome show = server.admin({"runner", "show", "web-1", "-o", "json"});
    REQUIRE(show.exit_code == 0);
    nlohmann::json shown = nlohmann::json::parse(show.out);
    nlohmann::json certificates = shown["certificates"];
    REQUIRE(certificates.size() == 3);
    CHECK_FALSE(certificates[0]["revoked_at"].is_null());
    CHECK_FALSE(certificates[1]["revoked_at"].is_null());
    CHECK(certificates[2]["revoked_at"].is_null());
}

TEST_CASE("a credentials file is 0600, versioned, and its key, certificate, CA and identity fit together") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "db-7"}).exit_code == 0);
    nlohmann::json file = generate(server, "db-7", "out");
    CHECK(mode_of(server.dir / "out/credentials.json") == 0600);
    CHECK(file["version"] == 1);
    CHECK(file["org"] == "default");
    CHECK(file["runner"] == "db-7");
    CHECK(file["runner_id"].get<std::string>().rfind("rn_", 0) == 0);
    // The server listens on free ports (0): the file names the ones it took.
    std::string tunnel_port = server.tunnel_address.substr(server.tunnel_address.rfind(':') + 1);
    std::string api_port = server.address.substr(server.address.rfind(':') + 1);
    CHECK(file["tunnel_endpoint"] == "localhost:" + tunnel_port);
    CHECK(file["api_endpoint"] == "https://localhost:" + api_port);

    auto certificate = tether::pki::Certificate::from_pem(file["certificate"].get<std::string>()).value();
    auto key = tether::pki::PrivateKey::from_pem(file["private_key"].get<std::string>()).value();
    auto ca = tether::pki::Certificate::from_pem(file["ca_certificate"].get<std::string>()).value();
    CHECK(certificate.matches(key));
    CHECK(ca.fingerprint_sha256() == server.ca->fingerprint_sha256());
    CHECK(certificate.verify_issued_by(ca, std::chrono::system_clock::now()));
    REQUIRE(certificate.uri_sans().size() == 1);
    auto identity = tether::pki::parse_runner_identity(certificate.uri_sans()[0]);
    REQUIRE(identity);
    CHECK(identity.value().trust_domain == "localhost");
    CHECK(identity.value().org == "default");
    CHECK(identity.value().runner == "db-7");
    // Valid for the default year, give or take the clock-skew allowance.
    auto lifetime = certificate.not_after() - std::chrono::system_clock::now();
    CHECK(lifetime > std::chrono::hours(24 * 364));
    CHECK(lifetime < std::chrono::hours(24 * 366));
}

TEST_CASE("an existing file is not overwritten without --force, and nothing is minted for it") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "web-1"}).exit_code == 0);
    generate(server, "web-1", "out");
    Outcome again = server.admin({"runner", "generate-credentials", "web-1", "--output-dir", (server.dir / "out").string()});
    CHECK(again.exit_code == 64);
    CHECK(again.err.find("already exists; pass --force") != std::string::npos);
    Outcome show = server.admin({"runner", "show", "web-1", "-o", "json"});
    CHECK(nlohmann::json::parse(show.out)["certificates"].size() == 1);
}

TEST_CASE("the k8s-secret format is a Secret manifest holding the file") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "web-1"}).exit_code == 0);
    Outcome outcome = server.admin({"runner", "generate-credentials", "web-1", "--output-format", "k8s-secret"});
    REQUIRE(outcome.exit_code == 0);
    CHECK(outcome.out.find("kind: Secret") != std::string::npos);
    CHECK(outcome.out.find("name: tether-runner-web-1") != std::string::npos);
    CHECK(outcome.out.find("  credentials.json: ") != std::string::npos);
}

TEST_CASE("runner delete revokes its credentials; a duplicate or malformed name is refused") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "web-1"}).exit_code == 0);
    Outcome duplicate = server.admin({"runner", "create", "web-1"});
    CHECK(duplicate.exit_code == 64);
    CHECK(duplicate.err.find("runner 'web-1' already exists") != std::string::npos);
    Outcome bad = server.admin({"runner", "create", "Web_1"});
    CHECK(bad.exit_code == 64);
    CHECK(bad.err.find("names use a-z, 0-9 and '-'") != std::string::npos);

    nlohmann::json file = generate(server, "web-1", "out");
    REQUIRE(server.admin({"runner", "delete", "web-1"}).exit_code == 0);
    CHECK(as(server, file["api_key"], {"whoami"}).exit_code == 77);
    Outcome show = server.admin({"runner", "show", "web-1"});
    CHECK(show.exit_code == 64);
    CHECK(show.err.find("no runner 'web-1'") != std::string::npos);
    // The name is free again.
    CHECK(server.admin({"runner", "create", "web-1"}).exit_code == 0);
}

TEST_CASE("a viewer cannot create runners") {
    RunningServer server;
    REQUIRE(server.admin({"service-account", "create", "reader", "--role", "viewer"}).exit_code == 0);
    Outcome key = server.admin({"api-key", "create", "--service-account", "reader", "-o", "json"});
    std::string viewer = nlohmann::json::parse(key.out)["api_key"];
    Outcome create = as(server, viewer, {"runner", "create", "web-1"});
    CHECK(create.exit_code == 77);
    CHECK(as(server, viewer, {"runner", "list"}).exit_code == 0);
}

TEST_CASE("the database holds no API key and no private key, only hashes and public certificates") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "web-1"}).exit_code == 0);
    nlohmann::json file = generate(server, "web-1", "out");
    REQUIRE(server.process->stop(SIGTERM).exit_code == 0);
    std::string db = read_text(server.data / "tether.db") + read_text(server.data / "tether.db-wal");
    std::string api_key = file["api_key"];
    std::string private_key = file["private_key"];
    std::string admin_toml = read_text(server.data / "admin.toml");
    std::string admin_key = admin_toml.substr(admin_toml.find("tth_"), 4 + 12 + 1 + 40);
    CHECK(db.find(api_key.substr(17)) == std::string::npos);      // the runner key's secret part
    CHECK(db.find(admin_key.substr(17)) == std::string::npos);    // the admin key's secret part
    // The base64 body of the private key, one line of it at least 40 characters long.
    std::string key_line = private_key.substr(private_key.find('\n') + 1, 40);
    CHECK(db.find(key_line) == std::string::npos);
    CHECK(db.find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("orgs are isolated: an admin of one sees nothing of another, not even whether a name exists") {
    RunningServer server;
    Outcome created = server.admin({"org", "create", "beta", "-o", "json"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    std::string beta_admin = nlohmann::json::parse(created.out)["api_key"];
    // admin.toml names org default; beta's admin says which org it acts in.
    auto as_beta = [&](std::vector<std::string> args) {
        return server.admin(std::move(args), {.env = {{"TETHER_API_KEY", beta_admin}, {"TETHER_ORG", "beta"}}});
    };

    REQUIRE(as_beta({"runner", "create", "beta-runner"}).exit_code == 0);
    REQUIRE(server.admin({"runner", "create", "default-runner"}).exit_code == 0);

    // Each org's admin: the other org's runner is 404, exactly like one that does not exist.
    Outcome from_default = server.admin({"runner", "show", "beta-runner"});
    Outcome missing = server.admin({"runner", "show", "no-such-runner"});
    CHECK(from_default.exit_code == 64);
    CHECK(from_default.err.find("no runner 'beta-runner'") != std::string::npos);
    CHECK(missing.err.find("no runner 'no-such-runner'") != std::string::npos);
    CHECK(as_beta({"runner", "show", "default-runner"}).exit_code == 64);
    CHECK(as_beta({"runner", "generate-credentials", "default-runner"}).exit_code == 64);
    CHECK(as_beta({"runner", "delete", "default-runner"}).exit_code == 64);
    CHECK(server.admin({"runner", "show", "default-runner"}).exit_code == 0);  // untouched

    // Asking for the other org by name is the same 404 as for a made-up one.
    Outcome named = server.admin({"--org", "beta", "runner", "list"});
    Outcome made_up = server.admin({"--org", "gamma", "runner", "list"});
    CHECK(named.exit_code == 64);
    CHECK(named.err.find("no org 'beta'") != std::string::npos);
    CHECK(made_up.err.find("no org 'gamma'") != std::string::npos);

    // Lists show only one's own.
    Outcome beta_list = as_beta({"runner", "list", "-o", "json"});
    nlohmann::json beta_runners = nlohmann::json::parse(beta_list.out)["runners"];
    REQUIRE(beta_runners.size() == 1);
    CHECK(beta_runners[0]["name"] == "beta-runner");
    Outcome beta_orgs = as_beta({"org", "list", "-o", "json"});
    CHECK(nlohmann::json::parse(beta_orgs.out)["orgs"].size() == 1);
    Outcome all_orgs = server.admin({"org", "list", "-o", "json"});
    CHECK(nlohmann::json::parse(all_orgs.out)["orgs"].size() == 2);

    // Only the server's admins (admins of the first org) create orgs.
    Outcome beta_creates = as_beta({"org", "create", "delta"});
    CHECK(beta_creates.exit_code == 77);
    CHECK(beta_creates.err.find("only admins of org 'default' create orgs") != std::string::npos);
}
