// Faults a platform meets, with real processes on loopback: a server
// killed mid-operation, a runner that stops reading, a reconnect storm, a
// full disk, a database another process holds. docs/operations.md
// ("When things fail") says what each leads to; these tests hold it.
#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

#include "runner_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

const std::filesystem::path fault_python = "/usr/bin/python3";

json submit_fault_op(const RunningServer& server, const std::string& runner, const std::string& type, json params,
                     const std::string& timeout = "120s") {
    return server.call("POST", "/v1/operations",
                       {{"runner", runner}, {"type", type}, {"params", std::move(params)}, {"timeout", timeout}}, 201);
}

// Operations of the org in `status`, up to 500.
std::size_t count_in_status(const RunningServer& server, const std::string& status) {
    return server.call("GET", "/v1/operations?limit=500&status=" + status, nullptr, 200)["operations"].size();
}

// Waits until `condition` holds or `timeout` passes; whether it held.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
    auto give_up = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

}  // namespace

TEST_CASE("server SIGKILLed mid-operation: on restart it is failed 'interrupted', the runner reconnects, new work runs") {
    RunningServer server;
    auto runner = connected_runner(server, "survivor");
    json slow = submit_fault_op(server, "survivor", "system.sleep", {{"duration_ms", 60000}});
    REQUIRE(wait_until_sent(server, slow["id"], 10s)["status"] == "running");

    server.process->stop(SIGKILL);
    server.start();
    json ended = wait_for_status(server, slow["id"], 10s);
    CHECK(ended["status"] == "failed");
    CHECK(ended["error"]["code"] == "interrupted");
    CHECK(ended["error"]["message"] == "the server restarted while the operation ran");

    json fresh = submit_fault_op(server, "survivor", "system.echo", {{"after", "restart"}}, "60s");
    json done = wait_for_status(server, fresh["id"], 60s);
    CHECK(done["status"] == "succeeded");
    CHECK(done["result"]["after"] == "restart");
}

TEST_CASE("a runner that stops reading is sent no more than the server bounds; thawed, it catches up") {
    // Liveness long enough that the tunnel outlives the submissions under
    // ASan; a silent peer's end is tunnel_test's "a silent peer is detected".
    RunningServer server({"--tunnel-max-message-size", "1048576", "--tunnel-liveness-timeout", "90s"});
    auto runner = connected_runner(server, "frozen", "liveness_timeout = \"90s\"\n");
    REQUIRE(::kill(runner->process->pid(), SIGSTOP) == 0);

    // 48 requests of 512 KiB, 24 MiB in all, to a runner that reads nothing.
    const std::string blob(512 * 1024, 'x');
    for (int i = 0; i < 48; ++i) submit_fault_op(server, "frozen", "system.echo", {{"blob", blob}});
    // Settled: the server has sent what it will.
    std::size_t running = 0;
    for (std::size_t last = 49; running != last;) {
        last = running;
        std::this_thread::sleep_for(1500ms);
        running = count_in_status(server, "running");
    }
    // What the kernel's socket buffers hold, plus one message's worth queued
    // in the server: far from all 48 (the runner's max_in_flight is 64).
    MESSAGE(running, " of 48 sent to the stopped runner");
    CHECK(running < 30);
    CHECK(count_in_status(server, "queued") == 48 - running);

    // Thawed, it reads, answers, and the server sends the rest.
    REQUIRE(::kill(runner->process->pid(), SIGCONT) == 0);
    bool caught_up = eventually([&] { return count_in_status(server, "succeeded") == 48; }, 120s);
    std::string counts = "queued " + std::to_string(count_in_status(server, "queued")) + ", running " +
                         std::to_string(count_in_status(server, "running")) + ", failed " +
                         std::to_string(count_in_status(server, "failed"));
    json failed_ops = server.call("GET", "/v1/operations?status=failed&limit=1", nullptr, 200)["operations"];
    std::string first_failure = failed_ops.empty() ? "" : failed_ops[0].dump();
    INFO(counts, " ", first_failure);
    CHECK(caught_up);
}

TEST_CASE("a result 10x the server's bound fails message_too_big as it streams; the runner and the server go on") {
    RunningServer server({"--tunnel-max-result-size", "4194304"});
    auto runner = connected_runner(server, "flood");
    json huge = submit_fault_op(server, "flood", "system.generate", {{"bytes", 40 << 20}});
    json refused = wait_for_status(server, huge["id"], 60s);
    CHECK(refused["status"] == "failed");
    CHECK(refused["error"]["code"] == "message_too_big");
    json next = submit_fault_op(server, "flood", "system.echo", {{"still", "here"}}, "60s");
    CHECK(wait_for_status(server, next["id"], 60s)["status"] == "succeeded");
}

TEST_CASE("a reconnect storm of 1,000 tunnels after a server restart: all are back within a minute, the API stays served") {
    RunningServer server;
    auto credentials = make_credentials(server, "fleet", server.dir / "fleet");
    Process storm({TETHER_SOURCE_DIR "/tests/fakes/tunnel_client.py", "--credentials", credentials.string(), "--endpoint",
                   server.tunnel_address, "--scenario", "storm", "--count", "1000", "--seconds", "150"},
                  {.program = fault_python});
    auto welcomed = [&](int round) {
        return storm.out().find("\"round\": " + std::to_string(round) + ", \"welcomed\": 1000") != std::string::npos;
    };
    REQUIRE_MESSAGE(eventually([&] { return welcomed(1); }, 90s), storm.out(), storm.err());

    server.stop();
    auto restarted_at = std::chrono::steady_clock::now();
    server.start();
    // The API answers while a thousand runners dial back.
    for (int i = 0; i < 5; ++i) {
        auto started = std::chrono::steady_clock::now();
        Outcome whoami = server.admin({"whoami"});
        CHECK_MESSAGE(whoami.exit_code == 0, whoami.err);
        bool prompt = std::chrono::steady_clock::now() - started < 10s;
        CHECK(prompt);
    }
    REQUIRE_MESSAGE(eventually([&] { return welcomed(2); }, 60s), storm.out(), storm.err());
    auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - restarted_at);
    MESSAGE("1,000 tunnels back in ", took.count(), " s");
    json runner = server.call("GET", "/v1/runners/fleet", nullptr, 200);
    CHECK(runner["tunnels"].size() == 1000);
    storm.stop(SIGTERM);
}

TEST_CASE("a full disk under the data dir: new work is refused with a clear 503, acknowledged work stays, space back and it goes on") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: mounting a small tmpfs needs root (CI runs as root)");
        return;
    }
    TempDir dir;
    std::filesystem::path data = dir / "data";
    // The server in a mount namespace of its own, its data dir on a 3 MiB
    // tmpfs that vanishes with it.
    std::string script = "mount -t tmpfs -o size=3m,mode=0700 tmpfs " + dir.path.string() + " && " + tether_binary() +
                         " server init --data-dir " + data.string() + " --hostname localhost > " +
                         (dir / "init.out").string() + " && exec " + tether_binary() + " server --data-dir " +
                         data.string() + " --api-listen 127.0.0.1:0 --tunnel-listen 127.0.0.1:0 --log-format json";
    // The tmpfs hides dir's own files from the host side: init.out is read through the namespace.
    Process server({"--mount", "--propagation", "private", "/bin/sh", "-c", script}, {.program = "/usr/bin/unshare"});
    auto listening = server.wait_for_log("api listening", 60s);
    REQUIRE_MESSAGE(listening, server.err());
    std::filesystem::path inside = "/proc/" + std::to_string(server.pid()) + "/root" + dir.path.string();
    std::string init_out = read_text(inside / "init.out");
    auto at = init_out.find("tth_");
    REQUIRE(at != std::string::npos);
    std::string key = init_out.substr(at, init_out.find_first_of(" \n", at) - at);
    auto ca = tether::pki::Certificate::from_pem(read_text(inside / "data" / "ca.crt")).value();
    std::string url = "https://" + listening->at("address").get<std::string>();
    auto call = [&](const std::string& method, const std::string& path, const json& body) {
        tether::http::Request request;
        request.method = method;
        request.url = tether::parse_url(url + path).value();
        request.ca = &ca;
        request.timeout = 30s;
        request.headers = {{"Authorization", "Bearer " + key}};
        if (!body.is_null()) request.body = body.dump();
        auto response = tether::http::fetch(request);
        REQUIRE_MESSAGE(response, response.error().message);
        return response.value();
    };
    REQUIRE(call("POST", "/v1/runners", {{"name", "disk"}}).status == 201);
    // Something of the operator's own on the same disk, to delete later.
    std::filesystem::path filler = inside / "filler";
    write_file(filler, std::string(512 * 1024, 'f'), 0600);

    // Operations of 256 KiB until the disk is full.
    const std::string blob(256 * 1024, 'd');
    std::vector<std::string> acknowledged;
    tether::http::Response refused;
    for (int i = 0; i < 40 && refused.status == 0; ++i) {
        auto response = call("POST", "/v1/operations",
                             {{"runner", "disk"}, {"type", "system.echo"}, {"params", {{"blob", blob}}}, {"timeout", "1h"}});
        if (response.status == 201) {
            acknowledged.push_back(json::parse(response.body)["id"]);
        } else {
            refused = response;
        }
    }
    REQUIRE_MESSAGE(refused.status == 503, refused.status, refused.body);
    CHECK(json::parse(refused.body)["error"]["message"] ==
          "no space left on the server's data disk; new work is refused until there is");
    CHECK_FALSE(acknowledged.empty());
    CHECK(server.err().find("no space left on the server's data disk") != std::string::npos);

    // The server is up and everything it acknowledged is there, intact.
    for (const std::string& id : acknowledged) {
        auto got = call("GET", "/v1/operations/" + id, nullptr);
        REQUIRE(got.status == 200);
        CHECK(json::parse(got.body)["params"]["blob"].get<std::string>().size() == blob.size());
    }
    // Space back: new work is taken again, without a restart.
    std::filesystem::remove(filler);
    auto again = call("POST", "/v1/operations", {{"runner", "disk"}, {"type", "system.echo"}, {"params", {{"small", 1}}}});
    CHECK_MESSAGE(again.status == 201, again.body);
    server.stop(SIGTERM);
}

TEST_CASE("the database held by another process at start: the server exits 69 naming the lock, and changes nothing") {
    RunningServer server;
    server.stop();
    std::filesystem::path db = server.data / "tether.db";
    // Another process takes the write lock and keeps it.
    std::string hold = "import sqlite3, sys, time\n"
                       "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                       "c.execute('BEGIN EXCLUSIVE')\n"
                       "print('locked', flush=True)\n"
                       "time.sleep(60)\n";
    Process holder({"-c", hold, db.string()}, {.program = fault_python});
    REQUIRE(eventually([&] { return holder.out().find("locked") != std::string::npos; }, 20s));
    auto started = std::chrono::steady_clock::now();
    Outcome refused = run({"server", "--data-dir", server.data.string(), "--api-listen", "127.0.0.1:0",
                           "--tunnel-listen", "127.0.0.1:0"});
    CHECK(refused.exit_code == 69);
    CHECK_MESSAGE(refused.err.find("is locked by another process") != std::string::npos, refused.err);
    bool waited_for_it = std::chrono::steady_clock::now() - started >= 4s;
    CHECK(waited_for_it);  // the busy timeout: a brief lock (a backup) is waited out
    holder.stop(SIGKILL);
    server.start();  // and with the lock gone it starts, its data as it was
    CHECK(server.admin({"whoami"}).exit_code == 0);
}
