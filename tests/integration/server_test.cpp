// `tether server` as a process: it listens, answers its health checks,
// survives bad input, keeps its files private and stops cleanly.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "server_fixture.h"
#include "common/files.h"

using namespace tether::testing;

using tether::testing::mode_of;

namespace {

// Sends raw bytes and returns whatever comes back before the server closes.
std::string raw_exchange(const std::string& address, const std::string& bytes) {
    auto host_port = tether::parse_host_port(address).value();
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(host_port.port);
    ::inet_pton(AF_INET, host_port.host.c_str(), &addr.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
    std::string reply;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) reply.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return reply;
}

}  // namespace

TEST_CASE("the server answers /healthz and /readyz over HTTPS, and admin status reports ready") {
    RunningServer server;
    auto health = server.get("/healthz");
    REQUIRE_MESSAGE(health, health.error().message);
    CHECK(health.value().status == 200);
    CHECK(nlohmann::json::parse(health.value().body)["status"] == "ok");

    auto ready = server.get("/readyz");
    REQUIRE(ready);
    CHECK(ready.value().status == 200);
    auto body = nlohmann::json::parse(ready.value().body);
    CHECK(body["status"] == "ready");
    CHECK(body["checks"]["store"] == "ok");

    Outcome table = server.admin({"status"});
    CHECK_MESSAGE(table.exit_code == 0, table.err);
    CHECK(table.out.find("status  ready") != std::string::npos);

    Outcome json = run({"admin", "status", "-o", "json", "--ca", (server.data / "ca.crt").string()},
                       {.env = {{"TETHER_SERVER", server.url()}}});
    CHECK_MESSAGE(json.exit_code == 0, json.err);
    auto parsed = nlohmann::json::parse(json.out);
    CHECK(parsed["ready"] == true);
    CHECK(parsed["checks"]["store"] == "ok");
}

TEST_CASE("init writes secrets 0600 and certificates 0644 in a 0700 dir; the database is 0600") {
    RunningServer server;
    REQUIRE(server.get("/readyz"));  // the first read creates the -wal file
    CHECK(mode_of(server.data) == 0700);
    for (const char* secret : {"tether.db", "tether.db-wal", "ca.key", "server.key", "master.key", "admin.toml"}) {
        CHECK_MESSAGE(mode_of(server.data / secret) == 0600, secret);
    }
    CHECK(mode_of(server.data / "ca.crt") == 0644);
    CHECK(mode_of(server.data / "server.crt") == 0644);
}

TEST_CASE("init refuses a non-empty dir with exit 78 and changes nothing in it") {
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    write_file(dir / "data/keep.txt", "mine");
    Outcome outcome = run({"server", "init", "--data-dir", (dir / "data").string(), "--hostname", "localhost"});
    CHECK(outcome.exit_code == 78);
    CHECK(outcome.err.find("is not empty") != std::string::npos);
    CHECK(std::distance(std::filesystem::directory_iterator(dir / "data"), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("the server refuses an uninitialised data dir with exit 78 and says what to run") {
    TempDir dir;
    Outcome outcome = run({"server", "--data-dir", (dir / "data").string(), "--api-listen", "127.0.0.1:0"});
    CHECK(outcome.exit_code == 78);
    CHECK(outcome.err.find("is not initialised: run tether server init") != std::string::npos);
}

TEST_CASE("init, start, and admin whoami works at once with the admin.toml init wrote") {
    RunningServer server;
    CHECK(server.init_output.find("tth_") != std::string::npos);
    Outcome whoami = server.admin({"whoami", "-o", "json"});
    REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
    auto me = nlohmann::json::parse(whoami.out);
    CHECK(me["org"] == "default");
    CHECK(me["service_account"] == "admin");
    CHECK(me["role"] == "admin");
}

TEST_CASE("a wrong, malformed or missing API key gets 401 and exit 77, with the reason only in the server log") {
    RunningServer server;
    Outcome wrong = server.admin({"whoami"}, {.env = {{"TETHER_API_KEY", "tth_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"}}});
    CHECK(wrong.exit_code == 77);
    CHECK(wrong.err.find("missing or invalid API key") != std::string::npos);

    for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {}, {{"Authorization", "Basic YTpi"}}, {{"Authorization", "Bearer not-a-key"}}}) {
        auto response = server.get("/v1/whoami", headers);
        REQUIRE(response);
        CHECK(response.value().status == 401);
        CHECK(nlohmann::json::parse(response.value().body)["error"]["code"] == "unauthenticated");
    }
    auto refused = server.process->wait_for_log("request refused", 5s);
    REQUIRE(refused);
    CHECK(refused->at("reason") == "unknown key id");
    CHECK(refused->at("key_id") == "AAAAAAAAAAAA");
}

TEST_CASE("plain HTTP, garbage and oversized headers are refused and the server stays up") {
    RunningServer server;
    std::string garbage = raw_exchange(server.address, "NOT TLS AT ALL\r\n\r\n");
    CHECK(garbage.find("HTTP/1.1 200") == std::string::npos);
    CHECK(server.process->wait_for_log("TLS handshake failed", 5s));

    auto huge = server.get("/healthz", {{"X-Pad", std::string(20 * 1024, 'a')}});
    REQUIRE(huge);
    CHECK(huge.value().status == 431);

    auto unknown = server.get("/v1/nothing-here");
    REQUIRE(unknown);
    CHECK(unknown.value().status == 404);
    CHECK(nlohmann::json::parse(unknown.value().body)["error"]["code"] == "not_found");

    auto still = server.get("/healthz");
    REQUIRE(still);
    CHECK(still.value().status == 200);
}

TEST_CASE("SIGTERM stops the server cleanly with exit 0, and so does SIGINT, even right after it is ready") {
    // Several rounds: a signal sent the moment readiness is logged once
    // found the handlers not yet installed and killed the process.
    for (int signal : {SIGTERM, SIGINT, SIGTERM, SIGINT}) {
        RunningServer server;
        Outcome outcome = server.process->stop(signal);
        CHECK(outcome.exit_code == 0);
        CHECK(outcome.err.find("\"msg\":\"stopped\"") != std::string::npos);
    }
}

TEST_CASE("a port already in use exits 69 naming the address; so does a data dir another server holds") {
    RunningServer first;
    TempDir other;
    Outcome init = run({"server", "init", "--data-dir", (other / "data").string(), "--hostname", "localhost"});
    REQUIRE_MESSAGE(init.exit_code == 0, init.err);
    Outcome second = run({"server", "--data-dir", (other / "data").string(), "--api-listen", first.address,
                          "--tunnel-listen", "127.0.0.1:0"});
    CHECK(second.exit_code == 69);
    CHECK(second.err.find("cannot listen on " + first.address) != std::string::npos);
    CHECK(second.err.find("in use") != std::string::npos);

    // The same data dir: refused before it touches the store or a port.
    Outcome twin = run({"server", "--data-dir", first.data.string(), "--api-listen", "127.0.0.1:0", "--tunnel-listen",
                        "127.0.0.1:0"});
    CHECK(twin.exit_code == 69);
    CHECK(twin.err.find("is in use by another tether process") != std::string::npos);
    CHECK(first.admin({"status"}).exit_code == 0);
}

TEST_CASE("the server resolves a host name for its listen address") {
    RunningServer server({"--api-listen", "localhost:0"});
    auto health = server.get("/healthz");
    REQUIRE(health);
    CHECK(health.value().status == 200);
}

TEST_CASE("the admin API key appears neither in the server's log nor in its database") {
    RunningServer server({"--log-level", "debug"});
    std::string admin_toml = read_text(server.data / "admin.toml");
    auto start = admin_toml.find("tth_");
    REQUIRE(start != std::string::npos);
    std::string key = admin_toml.substr(start, 4 + 12 + 1 + 40);
    std::string secret_part = key.substr(4 + 12 + 1);
    CHECK(server.init_output.find(key) != std::string::npos);  // shown once, to the operator

    for (const std::string& path : {std::string("/v1/whoami"), "/v1/keys/" + key, "/readyz?key=" + key}) {
        REQUIRE(server.get(path, {{"Authorization", "Bearer " + key}, {"X-Api-Key", key}}));
    }
    Outcome outcome = server.process->stop(SIGTERM);
    REQUIRE(outcome.exit_code == 0);
    CHECK(outcome.err.find("_[redacted]") != std::string::npos);  // the path with the key was logged, masked
    CHECK(outcome.err.find(secret_part) == std::string::npos);
    for (const char* file : {"tether.db", "tether.db-wal"}) {
        CHECK_MESSAGE(read_text(server.data / file).find(secret_part) == std::string::npos, file);
    }
}

TEST_CASE("a database from a newer tether is refused with exit 78, untouched") {
    RunningServer server;
    REQUIRE(server.process->stop(SIGTERM).exit_code == 0);
    // Mark it as written by a future release (PRAGMA user_version lives at
    // byte offset 60 of the file header, big-endian).
    {
        std::fstream db(server.data / "tether.db", std::ios::in | std::ios::out | std::ios::binary);
        db.seekp(60);
        const char future[4] = {0, 0, 0x03, static_cast<char>(0xE7)};  // 999
        db.write(future, 4);
    }
    Outcome outcome = run({"server", "--data-dir", server.data.string(), "--api-listen", "127.0.0.1:0"});
    CHECK(outcome.exit_code == 78);
    CHECK(outcome.err.find("schema version 999, newer than this tether knows") != std::string::npos);
}
