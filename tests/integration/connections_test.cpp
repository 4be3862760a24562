// Connections through the real binaries: the admin CLI defines them, the
// server seals inline credentials and never shows them, and operations that
// name one reach a real runner whose own policy has the last word.
#include <doctest/doctest.h>

#include <thread>

#include "runner_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

// Marks the secret so that a grep finds every copy of it.
const std::string secret_key = "tetherTESTsecretKEY0123456789abcdefSECRET";
const std::string aws_credentials =
    R"({"access_key_id":"AKIATETHERTEST0001","secret_access_key":")" + secret_key + R"("})";

std::filesystem::path write_credentials_file(const RunningServer& server, const std::string& name, const std::string& text) {
    auto path = server.dir / name;
    write_file(path, text, 0600);
    return path;
}

// Every file of the data dir (the database, its WAL) as bytes.
std::string data_dir_bytes(const RunningServer& server) {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(server.data)) {
        if (entry.is_regular_file()) all += read_text(entry.path());
    }
    return all;
}

json echo_with(const RunningServer& server, const std::string& runner, const std::string& connection) {
    json submitted = server.call("POST", "/v1/operations",
                                 {{"runner", runner}, {"type", "system.echo"}, {"params", {{"n", 1}}},
                                  {"connection", connection}, {"timeout", "20s"}},
                                 201);
    return wait_for_status(server, submitted["id"]);
}

}  // namespace

TEST_CASE("connection create/list/show/delete: each auth mode; inline credentials sealed, never shown, not in the DB file") {
    RunningServer server;
    auto credentials = write_credentials_file(server, "aws.json", aws_credentials);

    Outcome inline_one = server.admin({"connection", "create", "aws-inline", "--provider", "aws", "--auth-mode", "inline",
                                       "--set", "region=eu-west-1", "--credentials-file", credentials.string()});
    REQUIRE_MESSAGE(inline_one.exit_code == 0, inline_one.err);
    CHECK(inline_one.out.find("inline credentials  set") != std::string::npos);
    CHECK(inline_one.out.find("setting region      eu-west-1\n") != std::string::npos);

    Outcome cross = server.admin({"connection", "create", "aws-cross", "--provider", "aws", "--auth-mode", "cross-account",
                                  "--set", "role_arn=arn:aws:iam::123456789012:role/Deploy", "--set", "external_id=ext-1",
                                  "--set", "duration=1h"});
    REQUIRE_MESSAGE(cross.exit_code == 0, cross.err);
    Outcome delegated = server.admin({"connection", "create", "cluster", "--provider", "kubernetes", "--auth-mode",
                                      "runner-delegated", "--set", "namespace=prod"});
    REQUIRE_MESSAGE(delegated.exit_code == 0, delegated.err);

    Outcome list = server.admin({"connection", "list", "-o", "json"});
    REQUIRE_MESSAGE(list.exit_code == 0, list.err);
    json listed = json::parse(list.out)["connections"];
    REQUIRE(listed.size() == 3);
    CHECK(listed[0]["name"] == "aws-cross");
    CHECK(listed[0]["inline_credentials"] == "none");
    CHECK(listed[0]["settings"]["role_arn"] == "arn:aws:iam::123456789012:role/Deploy");
    CHECK(listed[1]["name"] == "aws-inline");
    CHECK(listed[1]["inline_credentials"] == "set");
    CHECK(listed[2]["provider"] == "kubernetes");

    Outcome show = server.admin({"connection", "show", "aws-inline", "-o", "json"});
    REQUIRE_MESSAGE(show.exit_code == 0, show.err);
    json shown = json::parse(show.out);
    CHECK(shown["auth_mode"] == "inline");
    CHECK(shown["settings"] == json{{"region", "eu-west-1"}});
    CHECK_FALSE(shown.contains("credentials"));
    CHECK(show.out.find(secret_key) == std::string::npos);
    CHECK(list.out.find(secret_key) == std::string::npos);

    // Bad definitions: refused with the reason, nothing stored.
    struct Bad {
        std::vector<std::string> args;
        std::string message;
    };
    for (const Bad& bad : std::vector<Bad>{
             {{"x1", "--provider", "gcp", "--auth-mode", "inline"}, "unknown provider 'gcp'"},
             {{"x2", "--provider", "aws", "--auth-mode", "cross-account"}, "needs setting role_arn"},
             {{"x3", "--provider", "aws", "--auth-mode", "inline"}, "auth mode inline needs a credentials file"},
             {{"x4", "--provider", "aws", "--auth-mode", "runner-delegated", "--credentials-file", credentials.string()},
              "holds no credential material"},
             {{"x5", "--provider", "aws", "--auth-mode", "runner-delegated", "--set", "region=Mars 1"},
              "setting region must be a region"},
             {{"aws-inline", "--provider", "aws", "--auth-mode", "runner-delegated"}, "connection 'aws-inline' already exists"},
             {{"Bad_Name", "--provider", "aws", "--auth-mode", "runner-delegated"}, "connection"},
         }) {
        std::vector<std::string> args = {"connection", "create"};
        args.insert(args.end(), bad.args.begin(), bad.args.end());
        Outcome refused = server.admin(args);
        INFO(bad.args.front(), ": ", refused.err);
        CHECK(refused.exit_code != 0);
        CHECK(refused.err.find(bad.message) != std::string::npos);
    }
    auto garbage = write_credentials_file(server, "garbage.json", "{\"access_key_id\": \"AKIA\", \"oops\": \"" + secret_key + "\"}");
    Outcome malformed = server.admin({"connection", "create", "x6", "--provider", "aws", "--auth-mode", "inline",
                                      "--credentials-file", garbage.string()});
    CHECK(malformed.exit_code != 0);
    CHECK(malformed.err.find("the credentials file must be") != std::string::npos);
    CHECK(malformed.err.find(secret_key) == std::string::npos);
    CHECK(json::parse(server.admin({"connection", "list", "-o", "json"}).out)["connections"].size() == 3);

    // Admin only: an operator may not even read them.
    REQUIRE(server.admin({"service-account", "create", "deployer", "--role", "operator"}).exit_code == 0);
    Outcome key = server.admin({"api-key", "create", "--service-account", "deployer", "-o", "json"});
    REQUIRE_MESSAGE(key.exit_code == 0, key.err);
    Options as_operator{.env = {{"TETHER_API_KEY", json::parse(key.out)["api_key"].get<std::string>()}}};
    Outcome operator_list = server.admin({"connection", "list"}, as_operator);
    CHECK(operator_list.exit_code == 77);
    CHECK(operator_list.err.find("this needs the admin role; yours is operator") != std::string::npos);
    CHECK(server.admin({"connection", "delete", "aws-cross"}, as_operator).exit_code == 77);

    // The secret is nowhere at rest or in the log: only its sealed form.
    CHECK(data_dir_bytes(server).find(secret_key) == std::string::npos);
    CHECK(server.process->err().find(secret_key) == std::string::npos);
    CHECK(server.process->err().find("AKIATETHERTEST0001") == std::string::npos);

    Outcome deleted = server.admin({"connection", "delete", "aws-inline"});
    REQUIRE_MESSAGE(deleted.exit_code == 0, deleted.err);
    Outcome gone = server.admin({"connection", "show", "aws-inline"});
    CHECK(gone.exit_code != 0);
    CHECK(gone.err.find("no connection 'aws-inline'") != std::string::npos);
    Outcome audit = server.admin({"audit", "list", "-o", "json"});
    CHECK(audit.out.find("connection.create") != std::string::npos);
    CHECK(audit.out.find("connection.delete") != std::string::npos);
    CHECK(audit.out.find(secret_key) == std::string::npos);
}

TEST_CASE("an operation naming a connection: the runner's policy decides on connection, provider and auth mode") {
    RunningServer server;
    auto credentials = write_credentials_file(server, "aws.json", aws_credentials);
    REQUIRE(server.admin({"connection", "create", "aws-inline", "--provider", "aws", "--auth-mode", "inline",
                          "--credentials-file", credentials.string()})
                .exit_code == 0);
    REQUIRE(server.admin({"connection", "create", "aws-role", "--provider", "aws", "--auth-mode", "cross-account",
                          "--set", "role_arn=arn:aws:iam::123456789012:role/Deploy"})
                .exit_code == 0);

    // A typo fails the submission, not the run.
    json missing = server.call("POST", "/v1/operations",
                               {{"runner", "nobody"}, {"type", "system.echo"}, {"connection", "aws-inlin"}}, 404);
    auto runner_credentials = make_credentials(server, "edge", server.dir / "runner-edge");
    missing = server.call("POST", "/v1/operations", {{"runner", "edge"}, {"type", "system.echo"}, {"connection", "aws-inlin"}}, 404);
    CHECK(missing["error"]["message"] == "no connection 'aws-inlin'");

    struct Step {
        std::string policy;      // the runner's [policy] table
        std::string connection;  // what the operation names
        std::string status;
        std::string message;     // in the error, if any
    };
    const std::string ops = "operations = [\"system.*\"]\n";
    for (const Step& step : std::vector<Step>{
             {ops, "aws-inline", "failed", "this runner's policy does not allow connection aws-inline"},
             {ops + "connections = [\"aws-*\"]\n", "aws-inline", "failed", "this runner's policy does not allow provider aws"},
             {ops + "connections = [\"aws-*\"]\nproviders = [\"aws\"]\nauth_modes = [\"runner-delegated\", \"cross-account\"]\n",
              "aws-inline", "failed", "this runner's policy does not allow auth mode inline"},
             {ops + "connections = [\"aws-*\"]\nproviders = [\"aws\"]\nauth_modes = [\"runner-delegated\", \"cross-account\"]\n",
              "aws-role", "succeeded", ""},
             {ops + "connections = [\"*\"]\nproviders = [\"*\"]\nauth_modes = [\"*\"]\n", "aws-inline", "succeeded", ""},
         }) {
        RunningRunner runner(server, runner_credentials, "[policy]\n" + step.policy);
        runner.wait_until_connected();
        json done = echo_with(server, "edge", step.connection);
        INFO(step.policy, " → ", done.dump());
        CHECK(done["status"] == step.status);
        CHECK(done["connection"] == step.connection);
        if (!step.message.empty()) {
            CHECK(done["error"]["code"] == "permission_denied");
            CHECK(done["error"]["message"] == step.message);
        } else {
            CHECK(done["result"] == json{{"n", 1}});
        }
        runner.process->stop(SIGTERM);
        std::string runner_side = runner.process->err() + read_text(runner.audit_file());
        CHECK(runner_side.find(secret_key) == std::string::npos);
    }

    // Deleted after the submission: the operation fails when it would go out.
    json queued = server.call("POST", "/v1/operations",
                              {{"runner", "edge"}, {"type", "system.echo"}, {"connection", "aws-inline"}, {"timeout", "20s"}},
                              201);
    REQUIRE(server.admin({"connection", "delete", "aws-inline"}).exit_code == 0);
    RunningRunner runner(server, runner_credentials, "[policy]\n" + ops + "connections = [\"*\"]\nproviders = [\"*\"]\nauth_modes = [\"*\"]\n");
    runner.wait_until_connected();
    json failed = wait_for_status(server, queued["id"]);
    CHECK(failed["status"] == "failed");
    CHECK(failed["error"]["code"] == "failed_precondition");
    CHECK(failed["error"]["message"] == "connection aws-inline was deleted after the operation was submitted");

    CHECK(data_dir_bytes(server).find(secret_key) == std::string::npos);
    CHECK(server.process->err().find(secret_key) == std::string::npos);
}
