// Operations through the real binaries: org isolation, restarts and
// idempotency, a runner dying mid-operation, and each typed refusal.
#include <doctest/doctest.h>

#include <thread>

#include "runner_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

json submit(const RunningServer& server, const std::string& runner, const std::string& type, json params = json::object(),
            const std::string& timeout = "30s", unsigned expected = 201) {
    return server.call("POST", "/v1/operations",
                       {{"runner", runner}, {"type", type}, {"params", std::move(params)}, {"timeout", timeout}},
                       expected);
}

std::string audit_text(const RunningRunner& runner) { return read_text(runner.audit_file()); }

}  // namespace

TEST_CASE("org isolation: another org's operator cannot submit to, list or learn of a runner; its runner never gets ours") {
    RunningServer server;
    auto ours = connected_runner(server, "edge-a");
    Outcome created = server.admin({"org", "create", "beta", "-o", "json"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    std::string beta_key = json::parse(created.out)["api_key"];

    json refused = server.call("POST", "/v1/operations", {{"runner", "edge-a"}, {"type", "system.info"}}, 404, beta_key);
    CHECK(refused["error"]["code"] == "not_found");
    json missing = server.call("POST", "/v1/operations", {{"runner", "no-such"}, {"type", "system.info"}}, 404, beta_key);
    CHECK(refused["error"]["message"].get<std::string>().find("edge-a") != std::string::npos);
    CHECK(missing["error"]["message"].get<std::string>().find("no-such") != std::string::npos);
    server.call("GET", "/v1/operations?runner=edge-a", nullptr, 404, beta_key);
    CHECK(server.call("GET", "/v1/runners", nullptr, 200, beta_key)["runners"].empty());
    json mine = submit(server, "edge-a", "system.echo", {{"mark", "alpha"}});
    server.call("GET", "/v1/operations/" + mine["id"].get<std::string>(), nullptr, 404, beta_key);
    CHECK(server.call("GET", "/v1/operations", nullptr, 200, beta_key)["operations"].empty());

    // beta's own runner, credentials made with beta's key.
    Options as_beta{.env = {{"TETHER_API_KEY", beta_key}, {"TETHER_ORG", "beta"}}};
    REQUIRE(server.admin({"runner", "create", "edge-b"}, as_beta).exit_code == 0);
    std::filesystem::create_directories(server.dir / "beta");
    REQUIRE(server.admin({"runner", "generate-credentials", "edge-b", "--output-dir", (server.dir / "beta").string()},
                         as_beta).exit_code == 0);
    RunningRunner theirs(server, server.dir / "beta" / "credentials.json");
    theirs.wait_until_connected();
    json their_op = server.call("POST", "/v1/operations",
                                {{"runner", "edge-b"}, {"type", "system.echo"}, {"params", {{"mark", "beta"}}}}, 201, beta_key);
    CHECK(wait_for_status(server, their_op["id"], 20s, beta_key)["status"] == "succeeded");
    CHECK(wait_for_status(server, mine["id"])["status"] == "succeeded");
    CHECK(audit_text(*ours).find(their_op["id"].get<std::string>()) == std::string::npos);
    CHECK(audit_text(theirs).find(mine["id"].get<std::string>()) == std::string::npos);
}

TEST_CASE("server restart: runners reconnect by themselves; work queued while away runs once, idempotently") {
    RunningServer server;
    auto runner = connected_runner(server, "steady");

    server.stop();
    REQUIRE(runner->process->wait_for_log("tunnel lost; reconnecting"));
    server.start();
    // Its second "tunnel up": the reconnect, within the backoff.
    auto give_up = std::chrono::steady_clock::now() + 30s;
    while (runner->process->err().find("tunnel up") == runner->process->err().rfind("tunnel up") &&
           std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(100ms);
    }
    CHECK(runner->process->err().find("tunnel up") != runner->process->err().rfind("tunnel up"));

    // Runner away: the operation waits for it.
    runner->process->stop(SIGTERM);
    json body = {{"runner", "steady"}, {"type", "system.echo"}, {"params", {{"n", 7}}}, {"timeout", "60s"},
                 {"idempotency_key", "deploy-42"}};
    json queued = server.call("POST", "/v1/operations", body, 201);
    CHECK(queued["status"] == "queued");
    server.stop();
    server.start();
    CHECK(server.call("GET", "/v1/operations/" + queued["id"].get<std::string>(), nullptr, 200)["status"] == "queued");

    RunningRunner back(server, runner->credentials);
    back.wait_until_connected();
    json done = wait_for_status(server, queued["id"]);
    CHECK(done["status"] == "succeeded");
    CHECK(done["result"] == json{{"n", 7}});

    json again = server.call("POST", "/v1/operations", body, 200);
    CHECK(again["id"] == queued["id"]);
    CHECK(again["status"] == "succeeded");
    body["params"] = {{"n", 8}};
    server.call("POST", "/v1/operations", body, 409);
    std::string audit = audit_text(back);
    CHECK(audit.find(queued["id"].get<std::string>()) == audit.rfind(queued["id"].get<std::string>()));
}

TEST_CASE("a runner killed mid-operation leaves it failed with a clear error, not running") {
    RunningServer server;
    auto runner = connected_runner(server, "fragile");
    json slow = submit(server, "fragile", "system.sleep", {{"duration_ms", 30000}}, "60s");
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (server.call("GET", "/v1/operations/" + slow["id"].get<std::string>(), nullptr, 200)["status"] != "running" &&
           std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(20ms);
    }
    runner->process->stop(SIGKILL);
    json ended = wait_for_status(server, slow["id"], 10s);
    CHECK(ended["status"] == "failed");
    CHECK(ended["error"]["code"] == "runner_disconnected");
}

TEST_CASE("typed refusals: runner policy, deadline, cancel, busy, oversize") {
    RunningServer server({"--tunnel-max-message-size", "1048576"});
    auto runner = connected_runner(server, "strict", "max_in_flight = 1\n[policy]\noperations = [\"system.info\", \"system.sleep\"]\n");

    SUBCASE("an operation outside the runner's policy is refused there, whatever the server says") {
        Outcome refused = server.admin({"op", "run", "--runner", "strict", "system.echo", "--param", "a=b"});
        CHECK(refused.exit_code == 77);
        CHECK(refused.err.find("permission_denied") != std::string::npos);
        CHECK(audit_text(*runner).find("permission_denied") != std::string::npos);
        CHECK(runner->process->err().find("request refused by the runner policy") != std::string::npos);
    }
    SUBCASE("a deadline that passes ends the operation timed_out") {
        Outcome late = server.admin({"op", "run", "--runner", "strict", "system.sleep", "--param", "duration_ms:=5000",
                                     "--timeout", "500ms", "-o", "json"});
        CHECK(late.exit_code == 75);
        CHECK(json::parse(late.out)["status"] == "timed_out");
    }
    SUBCASE("cancel ends a running operation and the runner stops it") {
        json slow = submit(server, "strict", "system.sleep", {{"duration_ms", 30000}});
        REQUIRE(wait_until_sent(server, slow["id"])["status"] == "running");
        Outcome cancelled = server.admin({"op", "cancel", slow["id"]});
        CHECK_MESSAGE(cancelled.exit_code == 0, cancelled.err);
        CHECK(wait_for_status(server, slow["id"])["status"] == "cancelled");
        auto give_up = std::chrono::steady_clock::now() + 5s;
        while (audit_text(*runner).find("cancelled") == std::string::npos && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(50ms);
        }
        CHECK(audit_text(*runner).find("cancelled") != std::string::npos);
        CHECK(server.admin({"op", "cancel", slow["id"]}).exit_code != 0);  // already ended
    }
    SUBCASE("past the runner's bound of requests in flight a new operation is busy") {
        json first = submit(server, "strict", "system.sleep", {{"duration_ms", 2000}});
        json second = submit(server, "strict", "system.sleep", {{"duration_ms", 10}});
        CHECK(second["status"] == "failed");
        CHECK(second["error"]["code"] == "busy");
        CHECK(wait_for_status(server, first["id"])["status"] == "succeeded");
    }
    SUBCASE("a request larger than the tunnel's message limit fails message_too_big, and the tunnel stays up") {
        json big = submit(server, "strict", "system.info", {{"pad", std::string(1048600, 'p')}});
        json ended = wait_for_status(server, big["id"]);
        CHECK(ended["status"] == "failed");
        CHECK(ended["error"]["code"] == "message_too_big");
        CHECK(submit(server, "strict", "system.info")["status"] != "failed");
    }
}

TEST_CASE("op run takes --params from a file or stdin, past the 128 KiB a single argument can hold") {
    RunningServer server;
    auto runner = connected_runner(server, "edge-p");
    std::string blob(300 * 1024, 'p');
    json params = {{"blob", blob}, {"n", 7}};
    std::filesystem::path file = server.dir / "params.json";
    write_file(file, params.dump());

    Outcome from_file = server.admin({"op", "run", "--runner", "edge-p", "system.echo", "--params", "@" + file.string()});
    REQUIRE_MESSAGE(from_file.exit_code == 0, from_file.err);
    CHECK(json::parse(from_file.out) == params);

    Outcome from_stdin = server.admin({"op", "run", "--runner", "edge-p", "system.echo", "--params", "-"},
                                      {.stdin_path = file});
    REQUIRE_MESSAGE(from_stdin.exit_code == 0, from_stdin.err);
    CHECK(json::parse(from_stdin.out) == params);

    // The problem named, with where it is; nothing submitted.
    write_file(file, "{\"blob\": \"x\",}");
    Outcome broken = server.admin({"op", "run", "--runner", "edge-p", "system.echo", "--params", "@" + file.string()});
    CHECK(broken.exit_code == 64);
    CHECK(broken.err.find("--params @" + file.string() + " is not valid JSON") != std::string::npos);
    CHECK_MESSAGE(broken.err.find("byte 13: unexpected '}'; expected string literal") != std::string::npos, broken.err);
    Outcome missing = server.admin({"op", "run", "--runner", "edge-p", "system.echo", "--params", "@/no/such/file"});
    CHECK(missing.exit_code == 64);
    CHECK(missing.err.find("cannot read /no/such/file") != std::string::npos);
    write_file(file, "[1, 2]");
    Outcome array = server.admin({"op", "run", "--runner", "edge-p", "system.echo", "--params", "@" + file.string()});
    CHECK(array.exit_code == 64);
    CHECK(array.err.find("must be a JSON object, not array") != std::string::npos);
    CHECK(json::parse(server.admin({"op", "list", "-o", "json"}).out)["operations"].size() == 2);
}

TEST_CASE("op list pages with --limit and --before, newest first, with times under time headers") {
    RunningServer server;
    auto runner = connected_runner(server, "edge-l");
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        Outcome run = server.admin({"op", "run", "--runner", "edge-l", "system.echo", "-o", "json"});
        REQUIRE_MESSAGE(run.exit_code == 0, run.err);
        ids.push_back(json::parse(run.out)["id"]);
    }
    // Newest first: ids[4], ids[3] on the first page of two.
    Outcome first = server.admin({"op", "list", "--limit", "2"});
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    std::vector<std::string> rows = lines(first.out);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].rfind("id ", 0) == 0);
    CHECK(rows[0].find("created") != std::string::npos);
    CHECK(rows[0].find("finished") != std::string::npos);
    CHECK(rows[0].find("_at") == std::string::npos);
    CHECK(rows[1].rfind(ids[4], 0) == 0);
    CHECK(rows[2].rfind(ids[3], 0) == 0);
    CHECK(rows[1].find("Z ") != std::string::npos);  // an ISO 8601 UTC time
    CHECK(first.err == "more: tether admin op list --limit 2 --before " + ids[3] + "\n");

    json second = json::parse(server.admin({"op", "list", "--limit", "2", "--before", ids[3], "-o", "json"}).out);
    REQUIRE(second["operations"].size() == 2);
    CHECK(second["operations"][0]["id"] == ids[2]);
    CHECK(second["operations"][1]["id"] == ids[1]);
    CHECK(second["next_before"] == ids[1]);
    json last = json::parse(server.admin({"op", "list", "--limit", "2", "--before", ids[1], "-o", "json"}).out);
    REQUIRE(last["operations"].size() == 1);
    CHECK(last["operations"][0]["id"] == ids[0]);
    CHECK_FALSE(last.contains("next_before"));

    // A cursor must be an operation of this org; a limit must be 1 to 500.
    Outcome unknown = server.admin({"op", "list", "--before", "op_nosuchoperation"});
    CHECK(unknown.exit_code == 64);
    CHECK(unknown.err.find("before: no operation op_nosuchoperation in this org") != std::string::npos);
    CHECK(server.admin({"op", "list", "--limit", "0"}).exit_code == 64);
    CHECK(server.admin({"op", "list", "--limit", "501"}).exit_code == 64);
}
