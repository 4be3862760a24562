// aws.call through the real binaries against moto (tests/fakes/moto_server.py),
// a real AWS emulator that checks every request's signature and IAM policy:
// inline keys, the runner's own identity, cross-account AssumeRole, and the
// runner's endpoint policy refusing before any credential is used.
#include <doctest/doctest.h>

#include <thread>

#include "moto.h"
#include "runner_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

const std::string everything_policy =
    "[policy]\noperations = [\"system.*\", \"aws.call\"]\nconnections = [\"*\"]\nproviders = [\"aws\"]\n"
    "auth_modes = [\"*\"]\nendpoints = [\"127.0.0.1:*\"]\n";

json run(const RunningServer& server, const std::string& connection, json params, const std::string& runner = "cloud") {
    json submitted = server.call("POST", "/v1/operations",
                                 {{"runner", runner}, {"type", "aws.call"}, {"connection", connection},
                                  {"params", std::move(params)}, {"timeout", "60s"}},
                                 201);
    return wait_for_status(server, submitted["id"], 60s);
}

json identity_through(const RunningServer& server, const std::string& runner, const std::string& connection = "own") {
    return run(server, connection, {{"service", "sts"}, {"form", {{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}}}},
               runner);
}

json sts_identity(const RunningServer& server, const std::string& connection) {
    return identity_through(server, "cloud", connection);
}

void create_connection(const RunningServer& server, std::vector<std::string> args, const std::string& credentials = "") {
    std::vector<std::string> full = {"connection", "create"};
    full.insert(full.end(), args.begin(), args.end());
    if (!credentials.empty()) {
        auto path = server.dir / (args.front() + ".json");
        write_file(path, credentials, 0600);
        full.push_back("--credentials-file");
        full.push_back(path.string());
    }
    Outcome created = server.admin(full);
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
}

std::string body_of(const json& operation) {
    INFO(operation.dump());
    REQUIRE(operation["status"] == "succeeded");
    return operation["result"].value("body", "");
}

}  // namespace

TEST_CASE("aws.call with inline keys: STS, EC2 and S3 against moto, which checks each signature and IAM policy") {
    Moto moto;
    RunningServer server;
    create_connection(server, {"full", "--provider", "aws", "--auth-mode", "inline", "--set", "region=us-east-1", "--set",
                               "endpoint_url=" + moto.url()},
                      moto.credentials("full"));
    create_connection(server, {"limited", "--provider", "aws", "--auth-mode", "inline", "--set", "region=us-east-1", "--set",
                               "endpoint_url=" + moto.url()},
                      moto.credentials("limited"));
    json forged = moto.keys["full"];
    forged["secret_access_key"] = "not-the-secret-0123456789abcdefghijklmn";
    create_connection(server, {"forged", "--provider", "aws", "--auth-mode", "inline", "--set", "region=us-east-1", "--set",
                               "endpoint_url=" + moto.url()},
                      forged.dump());
    auto runner = connected_runner(server, "cloud", everything_policy);

    json identity = sts_identity(server, "full");
    CHECK(identity["result"]["status"] == 200);
    CHECK(body_of(identity).find("arn:aws:iam::123456789012:user/full") != std::string::npos);
    CHECK(identity["result"]["headers"]["content-type"].get<std::string>().find("xml") != std::string::npos);

    json vpc = run(server, "full", {{"service", "ec2"},
                                   {"form", {{"Action", "CreateVpc"}, {"Version", "2016-11-15"}, {"CidrBlock", "10.42.0.0/16"}}}});
    std::string created = body_of(vpc);
    CHECK(vpc["result"]["status"] == 200);
    std::size_t at = created.find("<vpcId>");
    REQUIRE_MESSAGE(at != std::string::npos, created);
    std::string vpc_id = created.substr(at + 7, created.find("</vpcId>") - at - 7);
    json described = run(server, "full", {{"service", "ec2"}, {"form", {{"Action", "DescribeVpcs"}, {"Version", "2016-11-15"}}}});
    CHECK(body_of(described).find(vpc_id) != std::string::npos);
    CHECK(body_of(described).find("10.42.0.0/16") != std::string::npos);

    // S3: path-style bucket, an object with a key that needs encoding, a listing, the object back.
    CHECK(run(server, "full", {{"service", "s3"}, {"method", "PUT"}, {"path", "/tether-test"}})["result"]["status"] == 200);
    json put = run(server, "full", {{"service", "s3"}, {"method", "PUT"}, {"path", "/tether-test/dir/hello%20world.txt"},
                                   {"headers", {{"Content-Type", "text/plain"}}}, {"body", "hello from a runner"}});
    CHECK(put["result"]["status"] == 200);
    // A prefix without '/': moto 5.2.1 re-signs a query holding %2F wrongly
    // and refuses it, boto3's own ListObjectsV2 included.
    json listed = run(server, "full", {{"service", "s3"}, {"path", "/tether-test"}, {"query", {{"list-type", "2"}, {"prefix", "dir"}}}});
    CHECK_MESSAGE(body_of(listed).find("<Key>dir/hello world.txt</Key>") != std::string::npos, body_of(listed));
    json got = run(server, "full", {{"service", "s3"}, {"path", "/tether-test/dir/hello%20world.txt"}});
    CHECK(body_of(got) == "hello from a runner");
    json binary = run(server, "full", {{"service", "s3"}, {"method", "PUT"}, {"path", "/tether-test/blob"}, {"body", "\x01\x02"}});
    CHECK(binary["result"]["status"] == 200);

    // The admin's helpers build the same calls for people.
    Outcome who = server.admin({"aws", "call", "--runner", "cloud", "--connection", "full", "sts", "GetCallerIdentity", "-o", "json"});
    REQUIRE_MESSAGE(who.exit_code == 0, who.err);
    CHECK(json::parse(who.out)["GetCallerIdentityResult"]["Arn"] == "arn:aws:iam::123456789012:user/full");
    Outcome vpcs = server.admin({"aws", "call", "--runner", "cloud", "--connection", "full", "ec2", "DescribeVpcs",
                                 "Filter.1.Name=vpc-id", "Filter.1.Value.1=" + vpc_id});
    REQUIRE_MESSAGE(vpcs.exit_code == 0, vpcs.err);
    CHECK(vpcs.out.find(vpc_id) != std::string::npos);
    CHECK(vpcs.out.find("10.42.0.0/16") != std::string::npos);
    CHECK(vpcs.out.find("cidrBlock") != std::string::npos);  // the table's header
    Outcome buckets = server.admin({"aws", "s3", "ls", "--runner", "cloud", "--connection", "full"});
    REQUIRE_MESSAGE(buckets.exit_code == 0, buckets.err);
    CHECK(buckets.out.find("tether-test") != std::string::npos);
    Outcome forbidden = server.admin({"aws", "call", "--runner", "cloud", "--connection", "limited", "ec2", "DescribeVpcs"});
    CHECK(forbidden.exit_code != 0);
    CHECK(forbidden.err.find("AWS answered HTTP") != std::string::npos);

    // moto refuses a wrong signature and a missing permission, as AWS does.
    json refused = sts_identity(server, "forged");
    CHECK(refused["result"]["status"] == 403);
    CHECK(body_of(refused).find("SignatureDoesNotMatch") != std::string::npos);
    CHECK(sts_identity(server, "limited")["result"]["status"] == 200);
    json denied = run(server, "limited", {{"service", "ec2"}, {"form", {{"Action", "DescribeVpcs"}, {"Version", "2016-11-15"}}}});
    CHECK(denied["result"]["status"] != 200);
    CHECK(body_of(denied).find("is not authorized to perform") != std::string::npos);

    // The inline secret is nowhere on either side but memory.
    std::string secret = moto.keys["full"]["secret_access_key"];
    runner->process->stop(SIGTERM);
    CHECK(runner->process->err().find(secret) == std::string::npos);
    std::string audit = read_text(runner->audit_file());
    CHECK(audit.find(secret) == std::string::npos);
    // The runner's own record names the connection, its auth mode and where the request went.
    CHECK(audit.find(R"("operation":"aws.call","connection":"full","auth_mode":"inline","outcome":"succeeded")") !=
          std::string::npos);
    CHECK(audit.find("\"endpoint\":\"127.0.0.1:" + std::to_string(moto.server.port()) + "\"") != std::string::npos);
    CHECK(server.process->err().find(secret) == std::string::npos);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(server.data)) {
        if (entry.is_regular_file()) CHECK_MESSAGE(read_text(entry.path()).find(secret) == std::string::npos, entry.path());
    }
}

TEST_CASE("aws.call with the runner's own identity (environment) and cross-account AssumeRole from it") {
    Moto moto;
    RunningServer server;
    create_connection(server, {"own", "--provider", "aws", "--auth-mode", "runner-delegated"});
    create_connection(server, {"target", "--provider", "aws", "--auth-mode", "cross-account", "--set",
                               "role_arn=" + moto.keys["role_arn"].get<std::string>(), "--set", "session_name=tether-test",
                               "--set", "external_id=ext-42", "--set", "duration=1h"});
    auto credentials = make_credentials(server, "cloud", server.dir / "runner-cloud");
    Options environment{.env = {{"AWS_ACCESS_KEY_ID", moto.keys["full"]["access_key_id"]},
                                {"AWS_SECRET_ACCESS_KEY", moto.keys["full"]["secret_access_key"]},
                                {"AWS_REGION", "us-east-1"},
                                {"AWS_ENDPOINT_URL", moto.url()},
                                {"AWS_EC2_METADATA_DISABLED", "true"}}};
    RunningRunner runner(server, credentials, everything_policy, environment);
    runner.wait_until_connected();

    CHECK(body_of(sts_identity(server, "own")).find("arn:aws:iam::123456789012:user/full") != std::string::npos);
    json assumed = sts_identity(server, "target");
    CHECK(body_of(assumed).find("assumed-role/target/tether-test") != std::string::npos);
    // The role allows ListAllMyBuckets but not CreateVpc: its policy, not the source's, applies.
    CHECK(run(server, "target", {{"service", "s3"}})["result"]["status"] == 200);
    json denied = run(server, "target", {{"service", "ec2"},
                                        {"form", {{"Action", "CreateVpc"}, {"Version", "2016-11-15"}, {"CidrBlock", "10.9.0.0/16"}}}});
    CHECK(denied["result"]["status"] != 200);
}

TEST_CASE("aws.call: a host the policy or the provider does not allow is refused before any credential is resolved") {
    Moto moto;
    RunningServer server;
    create_connection(server, {"default-endpoint", "--provider", "aws", "--auth-mode", "inline", "--set", "region=eu-west-1"},
                      moto.credentials("full"));
    create_connection(server, {"local", "--provider", "aws", "--auth-mode", "inline", "--set", "region=us-east-1", "--set",
                               "endpoint_url=" + moto.url()},
                      moto.credentials("full"));
    create_connection(server, {"delegated", "--provider", "aws", "--auth-mode", "runner-delegated", "--set", "region=us-east-1"});
    // The policy lets credentials go to the local emulator only; the
    // runner has no credentials of its own at all.
    auto credentials = make_credentials(server, "cloud", server.dir / "runner-cloud");
    RunningRunner runner(server, credentials, everything_policy,
                         {.env = {{"AWS_EC2_METADATA_DISABLED", "true"}}});
    runner.wait_until_connected();

    json refused = sts_identity(server, "default-endpoint");
    CHECK(refused["status"] == "failed");
    CHECK(refused["error"]["code"] == "permission_denied");
    CHECK(refused["error"]["message"] ==
          "this runner's policy does not allow sending credentials to sts.eu-west-1.amazonaws.com:443");
    // Delegated: refused on the host before the (empty) chain is asked.
    json delegated = sts_identity(server, "delegated");
    CHECK(delegated["error"]["code"] == "permission_denied");
    CHECK(delegated["error"]["message"].get<std::string>().find("sts.us-east-1.amazonaws.com:443") != std::string::npos);

    // Bad parameters are named.
    json bad = run(server, "local", {{"service", "S3!"}});
    CHECK(bad["error"]["code"] == "invalid_argument");
    CHECK(bad["error"]["message"] == "aws.call: service must be an AWS service's endpoint name such as ec2, s3 or sts");
    json reserved = run(server, "local", {{"service", "sts"}, {"headers", {{"Authorization", "AWS4-HMAC-SHA256 forged"}}}});
    CHECK(reserved["error"]["message"] == "aws.call: header Authorization is set by the runner, not the caller");
    // The local endpoint works for the same runner.
    CHECK(sts_identity(server, "local")["result"]["status"] == 200);
}

namespace {

const std::string metadata_script = TETHER_SOURCE_DIR "/tests/fakes/metadata_server.py";

json metadata_stats(const ScriptServer& metadata) {
    tether::http::Request request;
    request.url = tether::parse_url("http://127.0.0.1:" + std::to_string(metadata.port()) + "/stats").value();
    auto response = tether::http::fetch(request);
    REQUIRE_MESSAGE(response, response.error().message);
    return json::parse(response.value().body);
}

// A runner whose only AWS identity is what `environment` gives it.
std::unique_ptr<RunningRunner> runner_with(const RunningServer& server, const Moto& moto,
                                           std::vector<std::pair<std::string, std::string>> environment,
                                           const std::string& name) {
    environment.emplace_back("AWS_REGION", "us-east-1");
    environment.emplace_back("AWS_ENDPOINT_URL", moto.url());
    auto credentials = make_credentials(server, name, server.dir / ("runner-" + name));
    auto runner = std::make_unique<RunningRunner>(server, credentials, everything_policy, Options{.env = environment});
    runner->wait_until_connected();
    return runner;
}


}  // namespace

TEST_CASE("the runner's own identity from each source of the chain: IMDSv2, ECS, credential_process") {
    Moto moto;
    RunningServer server;
    create_connection(server, {"own", "--provider", "aws", "--auth-mode", "runner-delegated"});
    const std::string user = "arn:aws:iam::123456789012:user/full";
    // The metadata fakes hand out the role's temporary credentials.
    const std::string role_session = "assumed-role/target/metadata-fake";

    SUBCASE("EC2 instance metadata, IMDSv2 tokens, cached until near expiry") {
        ScriptServer metadata(metadata_script, {"--keys", moto.credentials("full"), "--moto", moto.url(), "--role-arn",
                                                moto.keys["role_arn"].get<std::string>()});
        auto runner = runner_with(server, moto,
                                  {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(metadata.port())}},
                                  "imds");
        for (int i = 0; i < 2; ++i) CHECK(body_of(identity_through(server, "imds")).find(role_session) != std::string::npos);
        json stats = metadata_stats(metadata);
        CHECK(stats["token"] == 1);
        CHECK(stats["role_credentials"] == 1);  // the second call used the cache
        CHECK(stats["refused"] == 0);           // every request carried its token
    }
    SUBCASE("ECS container credentials with an authorization token, and a wrong token refused") {
        ScriptServer metadata(metadata_script, {"--keys", moto.credentials("full"), "--ecs-token", "ecs-secret-token",
                                                "--moto", moto.url(), "--role-arn", moto.keys["role_arn"].get<std::string>()});
        std::string uri = "http://127.0.0.1:" + std::to_string(metadata.port()) + "/ecs/credentials";
        auto runner = runner_with(server, moto,
                                  {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
                                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-secret-token"},
                                   {"AWS_EC2_METADATA_DISABLED", "true"}},
                                  "ecs");
        for (int i = 0; i < 2; ++i) CHECK(body_of(identity_through(server, "ecs")).find(role_session) != std::string::npos);
        CHECK(metadata_stats(metadata)["ecs"] == 1);
        auto wrong = runner_with(server, moto,
                                 {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-the-token"},
                                  {"AWS_EC2_METADATA_DISABLED", "true"}},
                                 "ecs-wrong");
        json refused = identity_through(server, "ecs-wrong");
        CHECK(refused["status"] == "failed");
        CHECK(metadata_stats(metadata)["refused"] == 1);
        CHECK(wrong->process->err().find("not-the-token") == std::string::npos);
    }
    SUBCASE("a profile's credential_process") {
        json output = {{"Version", 1},
                       {"AccessKeyId", moto.keys["full"]["access_key_id"]},
                       {"SecretAccessKey", moto.keys["full"]["secret_access_key"]}};
        write_file(server.dir / "creds.sh", "#!/bin/sh\ncat <<'EOF'\n" + output.dump() + "\nEOF\n", 0700);
        write_file(server.dir / "aws-config", "[profile tools]\ncredential_process = " + (server.dir / "creds.sh").string() + "\n", 0600);
        create_connection(server, {"tools", "--provider", "aws", "--auth-mode", "runner-delegated", "--set", "profile=tools"});
        auto runner = runner_with(server, moto,
                                  {{"AWS_CONFIG_FILE", (server.dir / "aws-config").string()},
                                   {"AWS_EC2_METADATA_DISABLED", "true"}},
                                  "process");
        CHECK(body_of(identity_through(server, "process", "tools")).find(user) != std::string::npos);
    }
}

// moto 5.2.1 fails (HTTP 500, a KeyError on the Authorization header) on
// the unsigned AssumeRoleWithWebIdentity while it checks signatures: this
// source meets a moto that does not.
TEST_CASE("the runner's own identity by web identity (IRSA): AssumeRoleWithWebIdentity with the token file") {
    Moto moto(false);
    RunningServer server;
    create_connection(server, {"own", "--provider", "aws", "--auth-mode", "runner-delegated"});
    write_file(server.dir / "token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl\n", 0600);
    auto runner = runner_with(server, moto,
                              {{"AWS_WEB_IDENTITY_TOKEN_FILE", (server.dir / "token").string()},
                               {"AWS_ROLE_ARN", moto.keys["role_arn"].get<std::string>()},
                               {"AWS_ROLE_SESSION_NAME", "irsa-session"},
                               {"AWS_EC2_METADATA_DISABLED", "true"}},
                              "irsa");
    CHECK(body_of(identity_through(server, "irsa")).find("assumed-role/target/irsa-session") != std::string::npos);

    // With this moto (no signature checks, so a '/' in the query is fine):
    // `aws s3 ls` one level deep, as the AWS CLI shows it.
    create_connection(server, {"keys", "--provider", "aws", "--auth-mode", "inline", "--set", "endpoint_url=" + moto.url()},
                      moto.credentials("full"));
    for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"PUT", "/listing", ""}, {"PUT", "/listing/top.txt", "1"}, {"PUT", "/listing/dir/inner.txt", "22"}}) {
        CHECK(run(server, "keys", {{"service", "s3"}, {"method", method}, {"path", path}, {"body", body}}, "irsa")["result"]["status"] == 200);
    }
    Outcome top = server.admin({"aws", "s3", "ls", "--runner", "irsa", "--connection", "keys", "s3://listing/", "-o", "json"});
    REQUIRE_MESSAGE(top.exit_code == 0, top.err);
    json listing = json::parse(top.out);
    CHECK(listing["prefixes"] == json{"dir/"});
    REQUIRE(listing["objects"].size() == 1);
    CHECK(listing["objects"][0]["key"] == "top.txt");
    CHECK(listing["objects"][0]["size"] == 1);
    Outcome inner = server.admin({"aws", "s3", "ls", "--runner", "irsa", "--connection", "keys", "listing/dir/"});
    REQUIRE_MESSAGE(inner.exit_code == 0, inner.err);
    CHECK(inner.out.find("dir/inner.txt") != std::string::npos);
    CHECK(inner.out.find("top.txt") == std::string::npos);
    runner->process->stop(SIGTERM);
    CHECK(runner->process->err().find("c2lnbmF0dXJl") == std::string::npos);
}

TEST_CASE("the exec provider: the runner's own program gets the connection's settings on stdin and prints the keys") {
    Moto moto;
    RunningServer server;
    // The plugin checks what it was given, then answers in AWS's credential_process shape.
    json keys = {{"Version", 1},
                 {"AccessKeyId", moto.keys["full"]["access_key_id"]},
                 {"SecretAccessKey", moto.keys["full"]["secret_access_key"]}};
    write_file(server.dir / "vault-plugin.sh",
               "#!/bin/sh\ninput=$(cat)\necho \"$input\" > " + (server.dir / "plugin-input.json").string() +
                   "\ncase \"$input\" in *'\"vault_path\":\"aws/prod\"'*) ;; *) echo 'vault: no such path' >&2; exit 3;; esac\n"
                   "cat <<'EOF'\n" + keys.dump() + "\nEOF\n",
               0700);
    create_connection(server, {"vault", "--provider", "exec", "--auth-mode", "runner-delegated", "--set", "vault_path=aws/prod",
                               "--set", "region=us-east-1", "--set", "endpoint_url=" + moto.url()});
    create_connection(server, {"vault-missing", "--provider", "exec", "--auth-mode", "runner-delegated", "--set",
                               "vault_path=aws/none", "--set", "region=us-east-1", "--set", "endpoint_url=" + moto.url()});
    std::string policy = "[policy]\noperations = [\"aws.call\"]\nconnections = [\"*\"]\nproviders = [\"exec\"]\n"
                         "auth_modes = [\"runner-delegated\"]\nendpoints = [\"127.0.0.1:*\"]\n\n[exec]\ncommand = \"" +
                         (server.dir / "vault-plugin.sh").string() + "\"\ntimeout = \"10s\"\n";
    auto runner = connected_runner(server, "cloud", policy);

    json identity = sts_identity(server, "vault");
    CHECK(body_of(identity).find("arn:aws:iam::123456789012:user/full") != std::string::npos);
    json input = json::parse(read_text(server.dir / "plugin-input.json"));
    CHECK(input["connection"] == "vault");
    CHECK(input["settings"]["vault_path"] == "aws/prod");
    CHECK(input["service"] == "sts");
    CHECK(input["region"] == "us-east-1");

    json refused = sts_identity(server, "vault-missing");
    CHECK(refused["status"] == "failed");
    CHECK(refused["error"]["code"] == "unavailable");
    CHECK(refused["error"]["message"].get<std::string>().find("vault: no such path") != std::string::npos);
    runner->process->stop(SIGTERM);
    CHECK(runner->process->err().find(moto.keys["full"]["secret_access_key"].get<std::string>()) == std::string::npos);
}
