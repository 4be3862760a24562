// The tunnel listener as a WebSocket client nobody here wrote meets it:
// tests/fakes/tunnel_client.py, on Debian's python3-websockets and
// Python's ssl, with a real runner's credentials. It must get through both
// authentication phases and hello/welcome, and each protocol violation it
// commits must get the answer the hub promises, closing only that tunnel.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "runner_fixture.h"

extern char** environ;

using namespace tether::testing;
using nlohmann::json;

namespace {

const std::string script = TETHER_SOURCE_DIR "/tests/fakes/tunnel_client.py";

// Runs `argv` (found on PATH) to completion, output to files; the exit code,
// or -1 if it had to be killed.
Outcome run_program(const std::vector<std::string>& args, std::chrono::seconds timeout = 60s) {
    TempDir dir;
    std::vector<std::string> argv_text = args;
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    Outcome outcome;
    if (rc != 0) {
        outcome.err = "cannot start " + args[0] + ": " + std::strerror(rc);
        return outcome;
    }
    int status = 0;
    auto give_up = std::chrono::steady_clock::now() + timeout;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > give_up) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    outcome.out = read_text(dir / "stdout");
    outcome.err = read_text(dir / "stderr");
    return outcome;
}

// The first python3 that has the websockets package: the one on PATH, or
// Debian's own when PATH leads to another (pyenv, a virtualenv).
const std::string& python() {
    static const std::string found = [] {
        for (std::string candidate : {"python3", "/usr/bin/python3"}) {
            if (run_program({candidate, "-c", "import websockets"}, 30s).exit_code == 0) return candidate;
        }
        return std::string();
    }();
    REQUIRE_MESSAGE(!found.empty(), "no python3 with the websockets package: scripts/setup-deps installs python3-websockets");
    return found;
}

// One scenario of tunnel_client.py against `server`: its JSON report.
json play(const RunningServer& server, const std::filesystem::path& credentials, const std::string& scenario) {
    Outcome outcome = run_program(
        {python(), script, "--credentials", credentials.string(), "--endpoint", server.tunnel_address, "--scenario", scenario});
    REQUIRE_MESSAGE(outcome.exit_code == 0, scenario, ": ", outcome.err);
    auto printed = lines(outcome.out);
    REQUIRE_MESSAGE(printed.size() == 1, scenario, ": ", outcome.out, outcome.err);
    json report = json::parse(printed.front(), nullptr, false);
    REQUIRE_MESSAGE(report.is_object(), scenario, ": ", printed.front());
    INFO(scenario, ": ", report.dump());
    CHECK(report["error"].is_null());
    return report;
}

// The server's log lines whose msg is `message`.
std::vector<json> log_entries(const RunningServer& server, const std::string& message) {
    std::vector<json> out;
    for (const auto& line : lines(server.process->err())) {
        auto entry = json::parse(line, nullptr, false);
        if (entry.is_object() && entry.value("msg", "") == message) out.push_back(entry);
    }
    return out;
}

// The server still runs and a well-behaved client still gets its welcome.
void check_still_serving(const RunningServer& server, const std::filesystem::path& credentials) {
    CHECK_FALSE(server.process->wait(0ms));
    auto health = server.get("/healthz");
    REQUIRE_MESSAGE(health, health.error().message);
    CHECK(health.value().status == 200);
    json fresh = play(server, credentials, "handshake");
    CHECK(fresh["welcome"]["type"] == "welcome");
    CHECK(fresh["close"]["code"] == 1000);
}

}  // namespace

TEST_CASE("an independent WebSocket client with a runner's credentials gets its welcome; a wrong key gets 401") {
    RunningServer server({"--tunnel-max-message-size", "65536"});
    auto credentials = make_credentials(server, "py-edge", server.dir / "py-edge");

    json report = play(server, credentials, "handshake");
    INFO(report.dump());
    CHECK(report["subprotocol"] == "tether.v1");
    const json& welcome = report["welcome"];
    REQUIRE(welcome.is_object());
    CHECK(welcome["type"] == "welcome");
    CHECK(welcome["version"] == 1);
    CHECK(welcome["org"] == json::parse(read_text(credentials))["org"]);
    CHECK(welcome["runner"] == "py-edge");
    CHECK(welcome["tunnel_id"].get<std::string>().rfind("tn_", 0) == 0);
    CHECK(welcome["max_message_bytes"] == 65536);
    CHECK(welcome["max_in_flight"] == 4);  // the hello asked for 4, fewer than the server's 256
    CHECK(report["messages"].empty());
    CHECK(report["close"]["code"] == 1000);  // we closed; the server answered in kind
    REQUIRE(server.process->wait_for_log("tunnel closed"));

    json refused = play(server, credentials, "wrong_key");
    INFO(refused.dump());
    CHECK(refused["welcome"].is_null());
    CHECK(refused["http_status"] == 401);
    CHECK(refused["http_status_line"].get<std::string>().find(" 401 ") != std::string::npos);
    CHECK(refused["http_body"]["error"]["code"] == "unauthenticated");
    CHECK(refused["http_body"]["error"]["message"] == "the API key is wrong");
    CHECK(server.process->err().find("tunnel refused at the upgrade") != std::string::npos);
    check_still_serving(server, credentials);
}

TEST_CASE("binary garbage, bad JSON, an unknown type and a missing hello each get protocol_error, then close 1002") {
    RunningServer server({"--tunnel-max-message-size", "65536"});
    auto credentials = make_credentials(server, "py-rude", server.dir / "py-rude");

    // Each scenario and a word of the reason the hub gives.
    const std::vector<std::pair<std::string, std::string>> violations = {
        {"binary_garbage", "binary"},
        {"bad_json", "not valid JSON"},
        {"unknown_type", "unknown message type \"teleport\""},
        {"no_hello", "the first message must be hello"},
    };
    for (const auto& [scenario, reason] : violations) {
        CAPTURE(scenario);
        json report = play(server, credentials, scenario);
        INFO(report.dump());
        CHECK(report["welcome"].is_null() == (scenario == "no_hello"));
        REQUIRE(report["messages"].size() == 1);
        const json& close = report["messages"][0];
        CHECK(close["type"] == "close");
        CHECK(close["code"] == "protocol_error");
        CHECK(close["message"].get<std::string>().find(reason) != std::string::npos);
        CHECK(report["close"]["by"] == "server");
        CHECK(report["close"]["code"] == 1002);
        CHECK_FALSE(report["quiet"].get<bool>());

        bool logged = false;
        for (const json& entry : log_entries(server, "protocol violation; closing the tunnel")) {
            logged = logged || entry.value("reason", "").find(reason) != std::string::npos;
        }
        CHECK_MESSAGE(logged, server.process->err());
        check_still_serving(server, credentials);
    }
}

TEST_CASE("a frame over the tunnel's message limit ends that tunnel with WebSocket close 1009") {
    RunningServer server({"--tunnel-max-message-size", "65536"});
    auto credentials = make_credentials(server, "py-big", server.dir / "py-big");

    json report = play(server, credentials, "oversize");
    INFO(report.dump());
    CHECK(report["welcome"]["max_message_bytes"] == 65536);
    CHECK(report["messages"].empty());
    CHECK(report["close"]["by"] == "server");
    CHECK(report["close"]["received"] == true);
    CHECK(report["close"]["code"] == 1009);
    // No `close` message: Beast fails the connection before the hub sees a
    // byte (docs/protocol.md, Limits). The log's reason is whatever Beast
    // reports (with TLS, the teardown's error), so only the loss is checked.
    auto lost = server.process->wait_for_log("tunnel lost", 5s);
    REQUIRE_MESSAGE(lost, server.process->err());
    CHECK(lost->value("tunnel_id", "") == report["welcome"]["tunnel_id"]);
    check_still_serving(server, credentials);
}

TEST_CASE("a runner-initiated request id used twice gets unknown_operation, then invalid_argument; the tunnel stays open") {
    RunningServer server({"--tunnel-max-message-size", "65536"});
    auto credentials = make_credentials(server, "py-twice", server.dir / "py-twice");

    json report = play(server, credentials, "reused_request_id");
    INFO(report.dump());
    REQUIRE(report["messages"].size() == 3);
    const json& first = report["messages"][0];
    CHECK(first["type"] == "response");
    CHECK(first["id"] == "r1");
    CHECK(first["error"]["code"] == "unknown_operation");
    const json& second = report["messages"][1];
    CHECK(second["type"] == "response");
    CHECK(second["id"] == "r1");
    CHECK(second["error"]["code"] == "invalid_argument");
    CHECK(second["error"]["message"].get<std::string>().find("already used") != std::string::npos);
    // Still open: a fresh id is answered, and the close is ours, a normal one.
    const json& third = report["messages"][2];
    CHECK(third["id"] == "r2");
    CHECK(third["error"]["code"] == "unknown_operation");
    CHECK(report["close"]["by"] == "client");
    CHECK(report["close"]["code"] == 1000);
    CHECK(log_entries(server, "protocol violation; closing the tunnel").empty());
    check_still_serving(server, credentials);
}

TEST_CASE("a request naming a connection carries its settings and, for inline, the credentials opened by the server") {
    RunningServer server;
    auto credentials = make_credentials(server, "py-edge", server.dir / "py-edge");
    const std::string aws = R"({"access_key_id":"AKIAPYTEST","secret_access_key":"py-secret-0123456789"})";
    write_file(server.dir / "aws.json", aws, 0600);
    REQUIRE(server.admin({"connection", "create", "aws-inline", "--provider", "aws", "--auth-mode", "inline", "--set",
                          "region=eu-central-1", "--credentials-file", (server.dir / "aws.json").string()})
                .exit_code == 0);
    REQUIRE(server.admin({"connection", "create", "aws-role", "--provider", "aws", "--auth-mode", "cross-account", "--set",
                          "role_arn=arn:aws:iam::123456789012:role/Deploy"})
                .exit_code == 0);

    struct Case {
        std::string connection;
        json config;
    };
    for (const Case& expected : std::vector<Case>{
             {"aws-inline",
              {{"provider", "aws"}, {"auth_mode", "inline"}, {"settings", {{"region", "eu-central-1"}}}, {"credentials", aws}}},
             {"aws-role",
              {{"provider", "aws"},
               {"auth_mode", "cross-account"},
               {"settings", {{"role_arn", "arn:aws:iam::123456789012:role/Deploy"}}}}},
         }) {
        // Queued first; the client, playing the runner, gets it on connect.
        json submitted = server.call("POST", "/v1/operations",
                                     {{"runner", "py-edge"}, {"type", "system.echo"}, {"connection", expected.connection}},
                                     201);
        json report = play(server, credentials, "answer_first_request");
        REQUIRE(report["messages"].size() == 1);
        const json& request = report["messages"][0];
        CHECK(request["type"] == "request");
        CHECK(request["id"] == submitted["id"]);
        CHECK(request["connection"] == expected.connection);
        CHECK(request["connection_config"] == expected.config);
    }
    // Sent to the runner, and nowhere else.
    CHECK(server.process->err().find("py-secret-0123456789") == std::string::npos);
}

TEST_CASE("a compromised runner's result nested 100,000 deep fails that operation and closes its tunnel; the server stays up") {
    RunningServer server;
    auto credentials = make_credentials(server, "py-deep", server.dir / "py-deep");
    // Queued first; the client, playing the runner, gets it on connect.
    json submitted = server.call("POST", "/v1/operations", {{"runner", "py-deep"}, {"type", "system.echo"}}, 201);
    json report = play(server, credentials, "deep_result");
    INFO(report.dump());
    REQUIRE(report["messages"].size() == 2);
    const json& close = report["messages"][1];
    CHECK(close["type"] == "close");
    CHECK(close["code"] == "protocol_error");
    CHECK(close["message"].get<std::string>().find("nested deeper than 64 levels") != std::string::npos);
    CHECK(report["close"]["code"] == 1002);

    json operation = wait_for_status(server, submitted["id"]);
    CHECK(operation["status"] == "failed");
    CHECK(operation["error"]["code"] == "protocol_error");
    CHECK(operation["error"]["message"].get<std::string>().find("nested deeper than 64 levels") != std::string::npos);
    check_still_serving(server, credentials);
}
