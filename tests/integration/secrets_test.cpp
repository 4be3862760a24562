// Secrets and variables through the real binaries: set by people, never
// shown to them, resolved by runners just in time as their own service
// account, kept out of every store, log and result, rotated in one place.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include "moto.h"
#include "runner_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

// Strong, unmistakable values, so that finding one anywhere is a leak.
const std::string db_password = "pw-7Qm2xV9tLs4Kd8Zr";
const std::string db_password_2 = "pw-2Hn6Yb3Wc5Jf1Pg0";

const std::string value_policy =
    "[policy]\noperations = [\"system.*\", \"aws.call\"]\nconnections = [\"*\"]\nproviders = [\"aws\"]\n"
    "auth_modes = [\"*\"]\nendpoints = [\"127.0.0.1:*\"]\nsecrets = [\"db-*\", \"aws-*\", \"alpha\"]\n"
    "variables = [\"*\"]\n";

// `secret set NAME --from-file` with `value` in a 0600 file; the answer.
json set_secret(const RunningServer& server, const std::string& name, const std::string& value,
                const Options& options = {}) {
    std::filesystem::path file = server.dir / ("secret-" + name);
    write_file(file, value, 0600);
    Outcome set = server.admin({"secret", "set", name, "--from-file", file.string(), "-o", "json"}, options);
    std::filesystem::remove(file);
    REQUIRE_MESSAGE(set.exit_code == 0, set.err);
    return json::parse(set.out);
}

json submit(const RunningServer& server, const std::string& runner, const std::string& type, json params,
            const std::string& key = "", std::optional<std::string> connection = std::nullopt) {
    json body = {{"runner", runner}, {"type", type}, {"params", std::move(params)}, {"timeout", "30s"}};
    if (connection) body["connection"] = *connection;
    json submitted = server.call("POST", "/v1/operations", body, 201, key);
    return wait_for_status(server, submitted["id"], 30s, key);
}

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Everything the server and a runner keep or print: the database (and its
// WAL), both logs, the runner's audit trail.
std::string everything_kept(const RunningServer& server, const RunningRunner& runner) {
    return file_bytes(server.data / "tether.db") + file_bytes(server.data / "tether.db-wal") + server.process->err() +
           server.process->out() + runner.process->err() + runner.process->out() + read_text(runner.audit_file());
}

json last_audit_line(const RunningRunner& runner) {
    auto all = lines(read_text(runner.audit_file()));
    REQUIRE_FALSE(all.empty());
    return json::parse(all.back());
}

// One query's single text or blob column, from the server's database file.
std::vector<std::string> query_column(const RunningServer& server, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((server.data / "tether.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(statement) == SQLITE_ROW) {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, 0));
        out.emplace_back(bytes == nullptr ? "" : std::string(bytes, static_cast<std::size_t>(sqlite3_column_bytes(statement, 0))));
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return out;
}

void execute_sql(const RunningServer& server, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((server.data / "tether.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
}

// A second org and what acting as its admin takes.
struct OtherOrg {
    std::string key;
    Options as_admin;
};

OtherOrg create_org(const RunningServer& server, const std::string& name) {
    Outcome created = server.admin({"org", "create", name, "-o", "json"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    std::string key = json::parse(created.out)["api_key"];
    return {key, Options{.env = {{"TETHER_API_KEY", key}, {"TETHER_ORG", name}}}};
}

std::unique_ptr<RunningRunner> runner_of(const RunningServer& server, const OtherOrg& org, const std::string& name,
                                         const std::string& config) {
    REQUIRE(server.admin({"runner", "create", name}, org.as_admin).exit_code == 0);
    std::filesystem::path dir = server.dir / ("runner-" + name);
    std::filesystem::create_directories(dir);
    Outcome generated = server.admin({"runner", "generate-credentials", name, "--output-dir", dir.string()}, org.as_admin);
    REQUIRE_MESSAGE(generated.exit_code == 0, generated.err);
    auto runner = std::make_unique<RunningRunner>(server, dir / "credentials.json", config);
    runner->wait_until_connected();
    return runner;
}

}  // namespace

TEST_CASE("a referenced secret reaches the operation on the runner and nothing else: no store, log, result or person") {
    Moto moto;
    RunningServer server;
    auto runner = connected_runner(server, "vault", value_policy);
    json set = set_secret(server, "db-password", db_password);
    CHECK(set["version"] == 1);
    CHECK(set["size"] == static_cast<int>(db_password.size()));
    CHECK(set["fingerprint"].get<std::string>().size() == 16);
    CHECK(set.dump().find(db_password) == std::string::npos);
    set_secret(server, "aws-key-id", moto.keys["full"]["access_key_id"]);
    set_secret(server, "aws-secret-key", moto.keys["full"]["secret_access_key"]);
    REQUIRE(server.admin({"var", "set", "region", "eu-west-1"}).exit_code == 0);

    // An inline connection whose keys are references: the runner signs with
    // what it resolved, and moto checks the signature.
    std::filesystem::path keys = server.dir / "keys.json";
    write_file(keys, R"({"access_key_id":"${secret:aws-key-id}","secret_access_key":"${secret:aws-secret-key}"})", 0600);
    Outcome created = server.admin({"connection", "create", "by-reference", "--provider", "aws", "--auth-mode", "inline",
                                    "--set", "region=us-east-1", "--set", "endpoint_url=" + moto.url(),
                                    "--credentials-file", keys.string()});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    json identity = submit(server, "vault", "aws.call",
                           {{"service", "sts"}, {"form", {{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}}}}, "",
                           "by-reference");
    REQUIRE_MESSAGE(identity["status"] == "succeeded", identity.dump());
    CHECK(identity["result"]["body"].get<std::string>().find("arn:aws:iam::123456789012:user/full") != std::string::npos);

    // A parameter holding a secret and a variable; the operation echoes it
    // back, as a compromised control plane would ask: the secret is redacted.
    json echoed = submit(server, "vault", "system.echo",
                         {{"dsn", "postgres://app:${secret:db-password}@db/app"}, {"region", "${var:region}"},
                          {"literal", "$${secret:db-password} ${AWS::Region}"}});
    REQUIRE_MESSAGE(echoed["status"] == "succeeded", echoed.dump());
    CHECK(echoed["result"]["dsn"] == "postgres://app:[redacted ${secret:db-password@1}]@db/app");
    CHECK(echoed["result"]["region"] == "eu-west-1");
    CHECK(echoed["result"]["literal"] == "${secret:db-password} ${AWS::Region}");
    CHECK(echoed["params"]["dsn"] == "postgres://app:${secret:db-password}@db/app");  // stored as written
    json audited = last_audit_line(*runner);
    CHECK(audited["references"] == json::array({"${secret:db-password@1}", "${var:region@1}"}));
    CHECK(audited["redacted"] == json::array({"${secret:db-password@1}"}));
    CHECK(runner->process->err().find("a result held the value of a resolved reference; redacted") != std::string::npos);

    // People see names, versions, sizes and fingerprints; never the value.
    json shown = server.call("GET", "/v1/secrets/db-password", nullptr, 200);
    CHECK(shown["versions"][0]["fingerprint"] == set["fingerprint"]);
    CHECK(shown.dump().find(db_password) == std::string::npos);
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"secret", "list"}, {"secret", "versions", "db-password"}, {"secret", "list", "-o", "json"}}) {
        Outcome listed = server.admin(command);
        CHECK_MESSAGE(listed.exit_code == 0, listed.err);
        CHECK(listed.out.find(db_password) == std::string::npos);
        CHECK(listed.out.find("db-password") != std::string::npos);
    }
    // Values reach runners only, during an operation sent to them.
    json refused = server.call("POST", "/v1/resolve",
                               {{"operation", echoed["id"]}, {"references", {{{"source", "secret"}, {"name", "db-password"}}}}},
                               403);
    CHECK(refused["error"]["message"].get<std::string>().find("only runners") != std::string::npos);

    json operations = server.call("GET", "/v1/operations/" + echoed["id"].get<std::string>(), nullptr, 200);
    std::string kept = everything_kept(server, *runner) + operations.dump() + identity.dump();
    CHECK(kept.find(db_password) == std::string::npos);
    CHECK(kept.find(moto.keys["full"]["secret_access_key"].get<std::string>()) == std::string::npos);
    // The trail names what was read, by whom, for which operation.
    Outcome trail = server.admin({"audit", "list", "-o", "json"});
    CHECK(trail.out.find("secret.read") != std::string::npos);
    CHECK(trail.out.find("service-account:default/runner:vault") != std::string::npos);
}

TEST_CASE("rotation in one place: the next operation uses the new version without a restart; disabled versions fall back") {
    RunningServer server;
    auto runner = connected_runner(server, "rotating", value_policy);
    auto cached = connected_runner(server, "caching", value_policy + "[values]\ncache_ttl = \"1h\"\n");
    set_secret(server, "db-password", db_password);
    auto marker = [&](const std::string& which, const std::string& reference = "${secret:db-password}") {
        json done = submit(server, which, "system.echo", {{"v", reference}});
        return done["status"] == "succeeded" ? done["result"]["v"].get<std::string>()
                                             : done["error"]["code"].get<std::string>() + ": " +
                                                   done["error"]["message"].get<std::string>();
    };
    CHECK(marker("rotating") == "[redacted ${secret:db-password@1}]");
    CHECK(marker("caching") == "[redacted ${secret:db-password@1}]");

    CHECK(set_secret(server, "db-password", db_password_2)["version"] == 2);
    CHECK(marker("rotating") == "[redacted ${secret:db-password@2}]");
    CHECK(marker("caching") == "[redacted ${secret:db-password@1}]");  // its cache_ttl has not passed
    CHECK(marker("rotating", "${secret:db-password@1}") == "[redacted ${secret:db-password@1}]");

    // A bad rotation is disabled: latest falls back; the pinned version is refused.
    REQUIRE(server.admin({"secret", "disable", "db-password@2"}).exit_code == 0);
    CHECK(marker("rotating") == "[redacted ${secret:db-password@1}]");
    CHECK(marker("rotating", "${secret:db-password@2}").starts_with("failed_precondition: secret 'db-password' version 2 is disabled"));
    REQUIRE(server.admin({"secret", "enable", "db-password@2"}).exit_code == 0);
    Outcome destroyed = server.admin({"secret", "destroy", "db-password@1"});
    REQUIRE_MESSAGE(destroyed.exit_code == 0, destroyed.err);
    CHECK(destroyed.out.find("destroyed secret db-password version 1") != std::string::npos);
    CHECK(marker("rotating", "${secret:db-password@1}").starts_with("failed_precondition: secret 'db-password' version 1 is destroyed"));
    CHECK(marker("rotating", "${secret:db-password@9}").starts_with("not_found: secret 'db-password' has no version 9"));
    CHECK(query_column(server, "SELECT count(*) FROM value_versions WHERE content IS NULL") == std::vector<std::string>{"1"});

    Outcome versions = server.admin({"secret", "versions", "db-password", "-o", "json"});
    json listed = json::parse(versions.out)["versions"];
    REQUIRE(listed.size() == 2);
    CHECK(listed[0]["state"] == "enabled");
    CHECK(listed[1]["state"] == "destroyed");
    CHECK(everything_kept(server, *runner).find(db_password_2) == std::string::npos);
}

TEST_CASE("reach: another org's secret is not_found like a missing one, the attempt is audited; the runner's policy decides first") {
    RunningServer server;
    set_secret(server, "db-password", db_password);
    OtherOrg beta = create_org(server, "beta");
    TempDir files;
    write_file(files / "token", "file-token-4Rt8\n", 0600);
    std::string config = "[policy]\noperations = [\"system.*\"]\nsecrets = [\"db-*\"]\nenvironment = [\"APP_*\"]\n"
                         "files = [\"" + files.path.string() + "\"]\n";
    auto theirs = runner_of(server, beta, "beta-edge", config);

    json across = submit(server, "beta-edge", "system.echo", {{"v", "${secret:db-password}"}}, beta.key);
    CHECK(across["status"] == "failed");
    CHECK(across["error"]["code"] == "not_found");
    CHECK(across["error"]["message"].get<std::string>().find("no secret 'db-password'") != std::string::npos);
    json missing = submit(server, "beta-edge", "system.echo", {{"v", "${secret:db-nothing}"}}, beta.key);
    CHECK(missing["error"]["code"] == "not_found");
    Outcome trail = server.admin({"audit", "list", "-o", "json"}, beta.as_admin);
    CHECK(trail.out.find("\"refused\": \"not_found\"") != std::string::npos);
    CHECK(trail.out.find("secret:beta/db-password") != std::string::npos);

    // Names outside the runner's policy are refused before anything is fetched.
    json outside = submit(server, "beta-edge", "system.echo", {{"v", "${secret:prod-root}"}}, beta.key);
    CHECK(outside["error"]["code"] == "permission_denied");
    CHECK(server.admin({"audit", "list", "-o", "json"}, beta.as_admin).out.find("prod-root") == std::string::npos);
    CHECK(submit(server, "beta-edge", "system.echo", {{"v", "${env:HOME}"}}, beta.key)["error"]["code"] == "permission_denied");
    CHECK(submit(server, "beta-edge", "system.echo", {{"v", "${file:/etc/passwd}"}}, beta.key)["error"]["code"] ==
          "permission_denied");
    json escaping = submit(server, "beta-edge", "system.echo", {{"v", "${file:" + files.path.string() + "/../token}"}}, beta.key);
    CHECK(escaping["status"] == "failed");
    json malformed = submit(server, "beta-edge", "system.echo", {{"v", "${secret:bad name}"}}, beta.key);
    CHECK(malformed["error"]["code"] == "invalid_argument");

    // Runner-local references: the server never sees them resolved.
    json local = submit(server, "beta-edge", "system.echo",
                        {{"f", "${file:" + (files / "token").string() + "}"}, {"missing", "x"}}, beta.key);
    REQUIRE_MESSAGE(local["status"] == "succeeded", local.dump());
    CHECK(local["result"]["f"] == "[redacted ${file:" + (files / "token").string() + "}]");
    CHECK(everything_kept(server, *theirs).find("file-token-4Rt8") == std::string::npos);
}

TEST_CASE("a runner's own environment resolves ${env:…} when its policy allows it, and is redacted like a secret") {
    RunningServer server;
    auto credentials = make_credentials(server, "env-edge", server.dir / "env-edge");
    RunningRunner runner(server, credentials, "[policy]\noperations = [\"system.*\"]\nenvironment = [\"APP_*\"]\n",
                         {.env = {{"APP_TOKEN", "env-token-9Kx2Lp"}}});
    runner.wait_until_connected();
    json echoed = submit(server, "env-edge", "system.echo", {{"t", "Bearer ${env:APP_TOKEN}"}, {"u", "${env:APP_UNSET}"}});
    CHECK(echoed["status"] == "failed");
    CHECK(echoed["error"]["message"].get<std::string>().find("APP_UNSET is not set") != std::string::npos);
    echoed = submit(server, "env-edge", "system.echo", {{"t", "Bearer ${env:APP_TOKEN}"}});
    REQUIRE(echoed["status"] == "succeeded");
    CHECK(echoed["result"]["t"] == "Bearer [redacted ${env:APP_TOKEN}]");
    CHECK(everything_kept(server, runner).find("env-token-9Kx2Lp") == std::string::npos);
}

TEST_CASE("a runner whose API key is revoked can resolve nothing more, and stops with exit 77") {
    RunningServer server;
    auto runner = connected_runner(server, "doomed", value_policy);
    set_secret(server, "db-password", db_password);
    std::string key = json::parse(read_text(runner->credentials))["api_key"];
    REQUIRE(server.admin({"api-key", "revoke", key.substr(4, 12)}).exit_code == 0);
    auto outcome = runner->process->wait(20s);
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 77);
    CHECK(outcome->err.find("revoked") != std::string::npos);
    // The key itself now reads nothing, and says why to the one who holds it.
    json refused = server.call("POST", "/v1/resolve",
                               {{"operation", "op_x"}, {"references", {{{"source", "secret"}, {"name", "db-password"}}}}},
                               401, key);
    CHECK(refused["error"]["message"] == "API key " + key.substr(4, 12) + " no longer works: key revoked");
}

TEST_CASE("the envelope: master-key rotation rewraps only org keys; a version copied to another org's row does not open") {
    RunningServer server;
    set_secret(server, "alpha", "alpha-of-default-3Jw");
    OtherOrg beta = create_org(server, "beta");
    set_secret(server, "alpha", "alpha-of-beta-8Qz", beta.as_admin);
    std::filesystem::path keys = server.dir / "keys.json";
    write_file(keys, R"({"access_key_id":"AKIAEXAMPLE","secret_access_key":"inline-secret-5Vb"})", 0600);
    REQUIRE(server.admin({"connection", "create", "sealed", "--provider", "aws", "--auth-mode", "inline", "--set",
                          "region=us-east-1", "--credentials-file", keys.string()}).exit_code == 0);
    auto theirs = runner_of(server, beta, "beta-edge", value_policy);

    Outcome busy = run({"server", "rotate-master-key", "--data-dir", server.data.string()});
    CHECK(busy.exit_code == 69);
    CHECK(busy.err.find("stop the server") != std::string::npos);

    std::string contents_before = query_column(server, "SELECT group_concat(hex(content)) FROM value_versions")[0];
    std::string master_before = read_text(server.data / "master.key");
    REQUIRE(server.stop().exit_code == 0);
    Outcome rotated = run({"server", "rotate-master-key", "--data-dir", server.data.string()});
    REQUIRE_MESSAGE(rotated.exit_code == 0, rotated.err);
    CHECK(rotated.out.find("master key rotated") != std::string::npos);
    CHECK(rotated.out.find("rewrapped 2 org keys and the inline credentials of 1 connection") != std::string::npos);
    CHECK(read_text(server.data / "master.key") != master_before);
    CHECK_FALSE(std::filesystem::exists(server.data / "master.key.next"));
    CHECK(query_column(server, "SELECT group_concat(hex(content)) FROM value_versions")[0] == contents_before);

    server.start();
    theirs->process->wait_for_log("control plane session up");
    auto echo_alpha = [&] { return submit(server, "beta-edge", "system.echo", {{"v", "${secret:alpha}"}}, beta.key); };
    json after = echo_alpha();
    for (int attempt = 0; attempt < 40 && after["status"] != "succeeded"; ++attempt) {  // until the runner is back
        std::this_thread::sleep_for(250ms);
        after = echo_alpha();
    }
    CHECK_MESSAGE(after["status"] == "succeeded", after.dump());
    CHECK(after["result"]["v"] == "[redacted ${secret:alpha@1}]");
    // The inline credentials open under the new key (an update re-checks them).
    CHECK(server.admin({"connection", "update", "sealed", "--set", "region=eu-west-1"}).exit_code == 0);

    // Someone with the database copies default's ciphertext into beta's row.
    REQUIRE(server.stop().exit_code == 0);
    execute_sql(server,
                "UPDATE value_versions SET content = (SELECT x.content FROM value_versions x JOIN org_values v ON "
                "v.id = x.value_id JOIN orgs o ON o.id = v.org_id WHERE o.name = 'default') WHERE value_id = (SELECT "
                "v.id FROM org_values v JOIN orgs o ON o.id = v.org_id WHERE o.name = 'beta')");
    server.start();
    json moved = echo_alpha();
    for (int attempt = 0; attempt < 40 && moved["status"] == "failed" && moved["error"]["code"] == "runner_disconnected";
         ++attempt) {
        std::this_thread::sleep_for(250ms);
        moved = echo_alpha();
    }
    CHECK(moved["status"] == "failed");
    CHECK(moved["error"]["code"] == "internal");
    CHECK(server.process->err().find("does not open under its org's key") != std::string::npos);
    CHECK(moved.dump().find("alpha-of-default") == std::string::npos);
}

TEST_CASE("secret and var commands: bad input is refused with a clear error and changes nothing; roles decide who sets what") {
    RunningServer server;
    auto refused = [&](std::vector<std::string> args, const std::string& expected, int code = 64, Options options = {}) {
        Outcome outcome = server.admin(args, options);
        CHECK_MESSAGE(outcome.exit_code == code, outcome.err);
        CHECK_MESSAGE(outcome.err.find(expected) != std::string::npos, outcome.err);
        return outcome;
    };
    std::filesystem::path empty = server.dir / "empty";
    write_file(empty, "", 0600);
    std::filesystem::path large = server.dir / "large";
    write_file(large, std::string(64 * 1024 + 1, 'x'), 0600);
    std::filesystem::path binary = server.dir / "binary";
    write_file(binary, "\xff\xfe\x00\x01", 0600);

    refused({"secret", "set", "", "--from-file", empty.string()}, "names are 1 to 128");
    refused({"secret", "set", std::string(129, 'n'), "--from-file", empty.string()}, "names are 1 to 128");
    refused({"secret", "set", "has space", "--from-file", empty.string()}, "names are 1 to 128");
    Outcome on_argv = refused({"secret", "set", "db-password", "hunter2-on-argv"}, "never taken from the command line");
    CHECK(on_argv.err.find("hunter2-on-argv") == std::string::npos);
    refused({"secret", "set", "db-password", "--from-file", (server.dir / "missing").string()}, "cannot read");
    refused({"secret", "set", "db-password", "--from-file", empty.string()}, "the value is empty");
    refused({"secret", "set", "db-password", "--from-file", large.string()}, "65536");
    refused({"secret", "set", "db-password", "--from-file", binary.string()}, "UTF-8");
    refused({"secret", "disable", "db-password"}, "NAME@VERSION");
    refused({"secret", "destroy", "db-password@0"}, "NAME@VERSION");
    refused({"secret", "versions", "nope"}, "no secret 'nope'");
    refused({"var", "set", "region"}, "give the value, or --from-file");
    refused({"var", "get", "nope"}, "no variable 'nope'");
    // The API says the same to a client that skips the CLI's checks.
    json too_big = server.call("PUT", "/v1/secrets/db-password", {{"value", std::string(70000, 'x')}}, 400);
    CHECK(too_big["error"]["message"].get<std::string>().find("at most 65536") != std::string::npos);
    server.call("PUT", "/v1/secrets/bad%20name", {{"value", "x"}}, 400);
    server.call("PUT", "/v1/secrets/db-password", {{"value", 5}}, 400);

    CHECK(json::parse(server.admin({"secret", "list", "-o", "json"}).out)["secrets"].empty());
    CHECK(server.admin({"audit", "list", "-o", "json"}).out.find("secret.set") == std::string::npos);

    // An operator sets variables, not secrets; a viewer only looks.
    auto key_with_role = [&](const std::string& name, const std::string& role) {
        REQUIRE(server.admin({"service-account", "create", name, "--role", role}).exit_code == 0);
        Outcome key = server.admin({"api-key", "create", "--service-account", name, "-o", "json"});
        REQUIRE_MESSAGE(key.exit_code == 0, key.err);
        return Options{.env = {{"TETHER_API_KEY", json::parse(key.out)["api_key"].get<std::string>()}}};
    };
    Options operator_ = key_with_role("ops", "operator");
    Options viewer = key_with_role("look", "viewer");
    std::filesystem::path value = server.dir / "value";
    write_file(value, db_password, 0600);
    refused({"secret", "set", "db-password", "--from-file", value.string()}, "needs the admin role", 77, operator_);
    CHECK(server.admin({"var", "set", "region", "eu-west-1"}, operator_).exit_code == 0);
    refused({"var", "set", "region", "us-east-1"}, "needs the operator role", 77, viewer);
    Outcome got = server.admin({"var", "get", "region"}, viewer);
    CHECK(got.out == "eu-west-1\n");
    CHECK(server.admin({"var", "set", "region", "us-east-1"}, operator_).exit_code == 0);
    CHECK(server.admin({"var", "get", "region", "--version", "1"}, viewer).out == "eu-west-1\n");
    CHECK(server.admin({"var", "list"}, viewer).out.find("us-east-1") != std::string::npos);
    CHECK(server.admin({"var", "delete", "region"}, operator_).exit_code == 0);
    refused({"var", "get", "region"}, "no enabled version", 64, viewer);
    // Standard input, as a script would pipe it.
    Outcome piped = server.admin({"secret", "set", "db-password"}, {.stdin_path = value});
    CHECK_MESSAGE(piped.exit_code == 0, piped.err);
    CHECK(piped.out.find("set secret db-password version 1 (" + std::to_string(db_password.size()) + " bytes") !=
          std::string::npos);
}

TEST_CASE("connection update: settings, auth mode and credentials change as one checked definition") {
    RunningServer server;
    std::filesystem::path keys = server.dir / "keys.json";
    write_file(keys, R"({"access_key_id":"AKIAEXAMPLE","secret_access_key":"inline-secret-5Vb"})", 0600);
    REQUIRE(server.admin({"connection", "create", "prod", "--provider", "aws", "--auth-mode", "inline", "--set",
                          "region=us-east-1", "--credentials-file", keys.string()}).exit_code == 0);

    Outcome changed = server.admin({"connection", "update", "prod", "--set", "region=eu-west-1", "--set",
                                    "endpoint_url=${var:aws-endpoint}", "-o", "json"});
    REQUIRE_MESSAGE(changed.exit_code == 0, changed.err);
    json updated = json::parse(changed.out);
    CHECK(updated["settings"]["region"] == "eu-west-1");
    CHECK(updated["settings"]["endpoint_url"] == "${var:aws-endpoint}");
    CHECK(updated["inline_credentials"] == "set");

    Outcome bad = server.admin({"connection", "update", "prod", "--set", "region=Mars_1"});
    CHECK(bad.exit_code == 64);
    CHECK(bad.err.find("setting region") != std::string::npos);
    Outcome broken_reference = server.admin({"connection", "update", "prod", "--set", "region=${var:}"});
    CHECK(broken_reference.exit_code == 64);
    Outcome still = server.admin({"connection", "show", "prod", "-o", "json"});
    CHECK(json::parse(still.out)["settings"]["region"] == "eu-west-1");  // unchanged by the refusals

    Outcome keeps = server.admin({"connection", "update", "prod", "--auth-mode", "runner-delegated"});
    CHECK(keeps.exit_code == 64);
    CHECK(keeps.err.find("holds no credential material") != std::string::npos);
    Outcome delegated = server.admin({"connection", "update", "prod", "--auth-mode", "runner-delegated", "--drop-credentials",
                                      "--unset", "endpoint_url", "-o", "json"});
    REQUIRE_MESSAGE(delegated.exit_code == 0, delegated.err);
    CHECK(json::parse(delegated.out)["inline_credentials"] == "none");
    CHECK(json::parse(delegated.out)["settings"].contains("endpoint_url") == false);
    CHECK(server.admin({"connection", "update", "prod"}).err.find("nothing to change") != std::string::npos);
    Outcome trail = server.admin({"audit", "list", "-o", "json"});
    CHECK(trail.out.find("connection.update") != std::string::npos);
    CHECK(trail.out.find("inline-secret-5Vb") == std::string::npos);
}

TEST_CASE("an unreachable API: the runner keeps its tunnel, withholds READY, and an operation's secret fails unavailable after retrying within its deadline") {
    RunningServer server;
    auto credentials = make_credentials(server, "cut-off", server.dir / "cut-off");
    std::filesystem::path config = credentials.parent_path() / "runner.toml";
    write_file(config, value_policy + "[values]\ntimeout = \"1s\"\n");
    // An API address where nothing listens.
    std::vector<std::string> args = {"runner", "--credentials", credentials.string(), "--config", config.string(),
                                     "--tunnel-endpoint", server.tunnel_address, "--api-endpoint", "https://127.0.0.1:1",
                                     "--log-format", "json"};
    Process cut_off(args);
    REQUIRE(cut_off.wait_for_log("tunnel up"));
    REQUIRE(cut_off.wait_for_log("cannot reach the server's API; retrying with backoff"));
    set_secret(server, "db-password", db_password);
    json submitted = server.call("POST", "/v1/operations",
                                 {{"runner", "cut-off"}, {"type", "system.echo"}, {"params", {{"v", "${secret:db-password}"}}},
                                  {"timeout", "3s"}},
                                 201);
    json ended = wait_for_status(server, submitted["id"], 20s);
    CHECK(ended["status"] == "failed");
    CHECK(ended["error"]["code"] == "unavailable");
    CHECK(cut_off.err().find("cannot reach the control plane for values; retrying") != std::string::npos);
    // Operations without references run as ever.
    json plain = server.call("POST", "/v1/operations", {{"runner", "cut-off"}, {"type", "system.info"}}, 201);
    CHECK(wait_for_status(server, plain["id"])["status"] == "succeeded");
    CHECK(cut_off.err().find("control plane session up") == std::string::npos);
}
