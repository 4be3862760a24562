// The tunnel end to end through the real binaries: a runner dials out,
// authenticates twice, and runs what the server dispatches; refusals,
// revocation, restarts and failures each end the way docs/protocol.md says.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common/connect_proxy.h"
#include "runner_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

// `op run` through the admin CLI; the JSON operation it prints.
json run_operation(const RunningServer& server, std::vector<std::string> args, int expected_exit = 0) {
    std::vector<std::string> full = {"op", "run", "-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    Outcome outcome = server.admin(full);
    CHECK_MESSAGE(outcome.exit_code == expected_exit, outcome.err);
    return json::parse(outcome.out, nullptr, false);
}

std::vector<json> audit_lines(const std::filesystem::path& path) {
    std::vector<json> out;
    for (const auto& line : lines(read_text(path))) out.push_back(json::parse(line));
    return out;
}

}  // namespace

TEST_CASE("a runner connects, runs system.info, and echoes its input byte for byte, 10 MiB included") {
    RunningServer server;
    auto runner = connected_runner(server, "edge-1");

    json info = run_operation(server, {"--runner", "edge-1", "system.info"});
    CHECK(info["status"] == "succeeded");
    CHECK(info["result"]["runner"] == "edge-1");
    CHECK(info["result"]["version"].is_string());
    CHECK(info["result"]["policy"]["operations"] == json::array({"system.*"}));

    // The table form prints the result itself.
    Outcome plain = server.admin({"op", "run", "--runner", "edge-1", "system.echo", "--param", "word=hello",
                                  "--param", "count:=3"});
    REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
    CHECK(json::parse(plain.out) == json{{"word", "hello"}, {"count", 3}});

    std::string big(10 * 1024 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
    json params = {{"blob", big}, {"unicode", "grüße ✓"}, {"nested", {{"n", 1.5}, {"list", {1, "two", nullptr}}}}};
    json submitted = server.call("POST", "/v1/operations",
                                 {{"runner", "edge-1"}, {"type", "system.echo"}, {"params", params}, {"timeout", "60s"}},
                                 201);
    json done = wait_for_status(server, submitted["id"], 60s);
    CHECK(done["status"] == "succeeded");
    CHECK(done["result"] == params);

    // The runner listed as connected, with its version and address.
    json runners = server.call("GET", "/v1/runners", nullptr, 200);
    REQUIRE(runners["runners"].size() == 1);
    CHECK(runners["runners"][0]["connected"] == true);
    CHECK(runners["runners"][0]["tunnels"][0]["address"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
    Outcome listed = server.admin({"runner", "list"});
    CHECK(listed.out.find("connected since") != std::string::npos);

    // The runner's own record of what it was asked, without the bodies.
    auto audit = audit_lines(runner->audit_file());
    REQUIRE(audit.size() == 3);
    CHECK(audit[0]["operation"] == "system.info");
    CHECK(audit[2]["outcome"] == "succeeded");
    CHECK(read_text(runner->audit_file()).find("hello") == std::string::npos);
}

TEST_CASE("the runner opens no listening socket of any kind") {
    RunningServer server;
    auto runner = connected_runner(server, "quiet");
    // Every socket the runner holds, by inode, against the kernel's tables of
    // listening TCP sockets, bound UDP sockets and listening Unix sockets.
    std::set<std::string> inodes;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(runner->process->pid()) + "/fd")) {
        std::error_code ec;
        auto target = std::filesystem::read_symlink(entry.path(), ec).string();
        if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    REQUIRE_FALSE(inodes.empty());  // the tunnel itself
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"}) {
        for (const auto& line : lines(read_text(table))) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
            bool listening = std::string(table).find("tcp") != std::string::npos ? state == "0A" : true;
            CHECK_MESSAGE(!(listening && inodes.count(inode)), table, ": ", line);
        }
    }
    for (const auto& line : lines(read_text("/proc/net/unix"))) {
        std::istringstream fields(line);
        std::string num, refcount, protocol, flags, type, st, inode;
        fields >> num >> refcount >> protocol >> flags >> type >> st >> inode;
        CHECK_MESSAGE(!(flags == "00010000" && inodes.count(inode)), "/proc/net/unix: ", line);
    }
}

TEST_CASE("a runner whose key was revoked before start exits 77 naming the cause, and never connects") {
    RunningServer server;
    auto credentials = make_credentials(server, "gone", server.dir / "gone");
    std::string key_id = json::parse(read_text(credentials))["api_key"].get<std::string>().substr(4, 12);
    REQUIRE(server.admin({"api-key", "revoke", key_id}).exit_code == 0);

    RunningRunner runner(server, credentials);
    auto outcome = runner.process->wait();
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 77);
    CHECK(outcome->err.find("revoked") != std::string::npos);
    CHECK(runner.process->err().find("tunnel up") == std::string::npos);
    CHECK(server.process->err().find("tunnel refused at the upgrade") != std::string::npos);
}

TEST_CASE("a runner takes its credentials from TETHER_CREDENTIALS_JSON and leaves none in its environment") {
    RunningServer server;
    auto credentials = make_credentials(server, "env-1", server.dir / "env-1");
    std::string content = read_text(credentials);
    std::string api_key = json::parse(content)["api_key"];
    std::filesystem::remove(credentials);
    std::filesystem::path audit = server.dir / "env-1" / "audit.jsonl";

    Process runner({"runner", "--tunnel-endpoint", server.tunnel_address, "--log-format", "json"},
                   {{{"TETHER_CREDENTIALS_JSON", content}, {"TETHER_AUDIT_PATH", audit.string()}}});
    REQUIRE_MESSAGE(runner.wait_for_log("tunnel up"), runner.err());
    json info = run_operation(server, {"--runner", "env-1", "system.info"});
    CHECK(info["status"] == "succeeded");
    CHECK(std::filesystem::exists(audit));

    // Neither /proc/PID/environ (the environment the process started with,
    // its value now overwritten) nor the log holds a secret any longer.
    std::string environ = read_text("/proc/" + std::to_string(runner.pid()) + "/environ");
    CHECK(environ.find(api_key) == std::string::npos);
    CHECK(environ.find("PRIVATE KEY") == std::string::npos);
    CHECK(environ.find("CERTIFICATE") == std::string::npos);
    CHECK(runner.err().find(api_key) == std::string::npos);

    // Without an audit path there is nowhere to put the trail: a config error.
    Process no_audit({"runner", "--tunnel-endpoint", server.tunnel_address},
                     {{{"TETHER_CREDENTIALS_JSON", content}}});
    auto refused = no_audit.wait();
    REQUIRE(refused);
    CHECK(refused->exit_code == 78);
    CHECK(refused->err.find("set audit.path") != std::string::npos);
}

TEST_CASE("credentials from another server's CA are refused at the TLS layer") {
    RunningServer server;
    RunningServer other;
    auto foreign = make_credentials(other, "stranger", other.dir / "stranger");
    RunningRunner runner(server, foreign);
    auto outcome = runner.process->wait();
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 77);
    // Either side may notice first: the runner (the server's certificate is
    // not from its CA) or the server (the runner's is not from ours).
    CHECK(outcome->err.find("CA") != std::string::npos);
    CHECK(server.process->err().find("tunnel refused at the TLS handshake") != std::string::npos);
}

TEST_CASE("regenerate-credentials closes the live tunnel within a second; the runner exits 77; the new file connects") {
    RunningServer server;
    auto runner = connected_runner(server, "rotating");
    auto started = std::chrono::steady_clock::now();
    auto fresh = make_credentials(server, "rotating", server.dir / "rotating-new", false, true);
    auto outcome = runner->process->wait(10s);
    REQUIRE(outcome);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(outcome->exit_code == 77);
    CHECK(outcome->err.find("revoked") != std::string::npos);
    auto closed = server.process->wait_for_log("closing a tunnel whose credentials are no longer valid", 1s);
    CHECK(closed);

    RunningRunner renewed(server, fresh);
    renewed.wait_until_connected();
    CHECK(run_operation(server, {"--runner", "rotating", "system.info"})["status"] == "succeeded");
}

TEST_CASE("disabling the runner's account or deleting the runner ends its tunnel, and the runner exits 77") {
    RunningServer server;
    auto disabled = connected_runner(server, "acct");
    Outcome disable = server.admin({"service-account", "disable", "runner:acct"});
    REQUIRE_MESSAGE(disable.exit_code == 0, disable.err);
    auto ended = disabled->process->wait(10s);
    REQUIRE(ended);
    CHECK(ended->exit_code == 77);
    CHECK(ended->err.find("disabled") != std::string::npos);

    auto deleted = connected_runner(server, "doomed");
    REQUIRE(server.admin({"runner", "delete", "doomed"}).exit_code == 0);
    auto outcome = deleted->process->wait(10s);
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 77);
}

TEST_CASE("the tunnel goes through an HTTPS_PROXY with CONNECT (an independent proxy), and NO_PROXY bypasses it") {
    RunningServer server;
    ConnectProxy proxy;
    auto credentials = make_credentials(server, "behind-proxy", server.dir / "behind-proxy");
    Options via_proxy{.env = {{"HTTPS_PROXY", "http://" + proxy.address().to_string()}}};
    RunningRunner runner(server, credentials, "", via_proxy);
    runner.wait_until_connected();
    CHECK(proxy.printed("CONNECT " + server.tunnel_address + " 200"));
    CHECK(run_operation(server, {"--runner", "behind-proxy", "system.info"})["status"] == "succeeded");
    runner.process->stop(SIGTERM);

    // The API (https://localhost:…) goes the same way as the tunnel.
    CHECK(proxy.printed("CONNECT localhost:" + server.address.substr(server.address.rfind(':') + 1) + " 200"));
    Options bypass{.env = {{"HTTPS_PROXY", "http://127.0.0.1:1"}, {"NO_PROXY", "127.0.0.1,localhost"}}};
    RunningRunner direct(server, credentials, "", bypass);
    direct.wait_until_connected();
}

TEST_CASE("a result larger than one tunnel message streams back in chunk frames; past the server's bound it fails") {
    RunningServer server({"--tunnel-max-result-size", "30000000"});
    auto runner = connected_runner(server, "streamer");
    json big = server.call("POST", "/v1/operations",
                           {{"runner", "streamer"}, {"type", "system.generate"}, {"params", {{"bytes", 20 << 20}}}}, 201);
    json done = wait_for_status(server, big["id"], 60s);
    REQUIRE(done["status"] == "succeeded");
    const std::string& data = done["result"]["data"].get_ref<const std::string&>();
    REQUIRE(data.size() == 20u << 20);
    bool pattern = true;
    for (std::size_t i = 0; i < data.size(); i += 7919) pattern = pattern && data[i] == static_cast<char>('a' + i % 26);
    CHECK(pattern);

    json too_big = server.call("POST", "/v1/operations",
                               {{"runner", "streamer"}, {"type", "system.generate"}, {"params", {{"bytes", 40 << 20}}}}, 201);
    json refused = wait_for_status(server, too_big["id"], 60s);
    CHECK(refused["status"] == "failed");
    CHECK(refused["error"]["code"] == "message_too_big");
    CHECK(run_operation(server, {"--runner", "streamer", "system.info"})["status"] == "succeeded");
}

TEST_CASE("SIGTERM drains: work in flight finishes, systemd hears READY, WATCHDOG and STOPPING, and the runner exits 0") {
    RunningServer server;
    TempDir notify_dir;
    std::string socket_path = (notify_dir / "notify").string();
    int notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(notify >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(notify, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval wait{0, 200'000};
    ::setsockopt(notify, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    // Every notification until `wanted` has arrived (or `timeout` passed).
    auto received = [&](std::string_view wanted, std::chrono::milliseconds timeout) {
        std::string all;
        for (auto until = std::chrono::steady_clock::now() + timeout;
             all.find(wanted) == std::string::npos && std::chrono::steady_clock::now() < until;) {
            char buffer[512];
            ssize_t n = ::recv(notify, buffer, sizeof buffer, 0);
            if (n > 0) all.append(buffer, static_cast<std::size_t>(n)).append("|");
        }
        return all;
    };

    auto credentials = make_credentials(server, "drainer", server.dir / "drainer");
    Options systemd{.env = {{"NOTIFY_SOCKET", socket_path}, {"WATCHDOG_USEC", "400000"}}};
    RunningRunner runner(server, credentials, "drain_timeout = \"20s\"\n", systemd);
    runner.wait_until_connected();
    // The watchdog is fed from the start, READY only once the API knows the
    // key too: the first WATCHDOG=1 may come before READY=1 or after it.
    std::string early = received("READY=1", 5s);
    early += received("WATCHDOG=1", 5s);
    CHECK(early.find("READY=1") != std::string::npos);
    CHECK(early.find("WATCHDOG=1") != std::string::npos);

    // Sent, then a moment for the runner to read it: the signal must find
    // the operation in flight, not arriving after the drain began.
    json slow = server.call("POST", "/v1/operations",
                            {{"runner", "drainer"}, {"type", "system.sleep"}, {"params", {{"duration_ms", 3000}}}}, 201);
    REQUIRE(wait_until_sent(server, slow["id"])["status"] == "running");
    std::this_thread::sleep_for(300ms);
    ::kill(runner.process->pid(), SIGTERM);
    CHECK(received("STOPPING=1", 5s).find("STOPPING=1") != std::string::npos);
    auto draining = runner.process->wait_for_log("draining", 5s);
    REQUIRE(draining);
    CHECK(draining->at("in_flight") == 1);
    auto outcome = runner.process->wait(20s);
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 0);
    CHECK(wait_for_status(server, slow["id"])["status"] == "succeeded");
    ::close(notify);

    // With a short drain, what is still running is answered shutting_down.
    RunningRunner hasty(server, credentials, "drain_timeout = \"200ms\"\n");
    hasty.wait_until_connected();
    json stuck = server.call("POST", "/v1/operations",
                             {{"runner", "drainer"}, {"type", "system.sleep"}, {"params", {{"duration_ms", 30000}}}}, 201);
    REQUIRE(wait_until_sent(server, stuck["id"])["status"] == "running");
    std::this_thread::sleep_for(300ms);
    auto stopped = hasty.process->stop(SIGTERM);
    CHECK(stopped.exit_code == 0);
    json ended = wait_for_status(server, stuck["id"]);
    CHECK(ended["status"] == "failed");
    CHECK(ended["error"]["code"] == "shutting_down");
}

TEST_CASE("a silent peer is detected within the liveness timeout, on both sides") {
    RunningServer server({"--tunnel-liveness-timeout", "2s"});
    auto runner = connected_runner(server, "sleepy", "liveness_timeout = \"2s\"\n");

    // The runner freezes: the server gives up on it.
    ::kill(runner->process->pid(), SIGSTOP);
    auto frozen_at = std::chrono::steady_clock::now();
    auto lost = server.process->wait_for_log("tunnel lost", 6s);
    ::kill(runner->process->pid(), SIGCONT);
    REQUIRE(lost);
    CHECK(std::chrono::steady_clock::now() - frozen_at < 4s);
    CHECK(lost->at("reason").get<std::string>().find("silent") != std::string::npos);

    // The server freezes: the runner gives up on it and keeps trying.
    auto back = [&] {
        auto text = runner->process->err();
        return text.find("tunnel up") != text.rfind("tunnel up");
    };
    for (auto until = std::chrono::steady_clock::now() + 20s; !back() && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE(back());
    auto losses = [&] {
        std::size_t count = 0;
        for (const auto& line : lines(runner->process->err())) count += line.find("tunnel lost; reconnecting") != std::string::npos;
        return count;
    };
    std::size_t before = losses();
    ::kill(server.process->pid(), SIGSTOP);
    frozen_at = std::chrono::steady_clock::now();
    while (losses() == before && std::chrono::steady_clock::now() - frozen_at < 6s) std::this_thread::sleep_for(50ms);
    ::kill(server.process->pid(), SIGCONT);
    CHECK(losses() > before);
    CHECK(std::chrono::steady_clock::now() - frozen_at < 4s);
}

TEST_CASE("a deleted runner is refused at the TLS handshake; a broken credentials file is a config error") {
    RunningServer server;
    auto credentials = make_credentials(server, "removed", server.dir / "removed");
    REQUIRE(server.admin({"runner", "delete", "removed"}).exit_code == 0);
    RunningRunner deleted(server, credentials);
    auto outcome = deleted.process->wait();
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 77);
    CHECK_MESSAGE(outcome->err.find("deleted") != std::string::npos, outcome->err);

    std::string text = read_text(credentials);
    std::filesystem::path broken = server.dir / "broken" / "credentials.json";
    std::filesystem::create_directories(broken.parent_path());
    write_file(broken, text.substr(0, text.size() / 2), 0600);
    RunningRunner truncated(server, broken);
    outcome = truncated.process->wait();
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 78);
    CHECK(outcome->err.find("credentials file") != std::string::npos);
    CHECK(outcome->err.find("BEGIN") == std::string::npos);  // no key material in the message

    write_file(broken, text, 0644);
    RunningRunner loose(server, broken);
    outcome = loose.process->wait();
    REQUIRE(outcome);
    CHECK(outcome->exit_code == 78);
}
