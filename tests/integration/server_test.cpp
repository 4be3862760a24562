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

#include "process.h"
#include "tether/http/client.h"

using namespace tether::testing;

namespace {

// A server on a free port of 127.0.0.1, ready to be asked.
struct RunningServer {
    TempDir dir;
    std::unique_ptr<Process> process;
    std::string address;

    explicit RunningServer(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"server", "--data-dir", (dir / "data").string(), "--api-listen", "127.0.0.1:0",
                                         "--log-format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        process = std::make_unique<Process>(args);
        auto listening = process->wait_for_log("api listening");
        REQUIRE_MESSAGE(listening, process->err());
        address = listening->at("address").get<std::string>();
    }

    tether::Result<tether::http::Response> get(const std::string& path) const {
        tether::http::Request request;
        request.url = tether::parse_url("http://" + address + path).value();
        return tether::http::fetch(request);
    }
};

unsigned mode_of(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 0777;
}

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

TEST_CASE("the server answers /healthz and /readyz, and admin status reports ready") {
    RunningServer server;
    auto health = server.get("/healthz");
    REQUIRE(health);
    CHECK(health.value().status == 200);
    CHECK(nlohmann::json::parse(health.value().body)["status"] == "ok");

    auto ready = server.get("/readyz");
    REQUIRE(ready);
    CHECK(ready.value().status == 200);
    auto body = nlohmann::json::parse(ready.value().body);
    CHECK(body["status"] == "ready");
    CHECK(body["checks"]["store"] == "ok");

    Outcome table = run({"admin", "status", "--server", "http://" + server.address});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find("status  ready") != std::string::npos);

    Outcome json = run({"admin", "status", "-o", "json"}, {.env = {{"TETHER_SERVER", "http://" + server.address}}});
    CHECK(json.exit_code == 0);
    auto parsed = nlohmann::json::parse(json.out);
    CHECK(parsed["ready"] == true);
    CHECK(parsed["checks"]["store"] == "ok");
}

TEST_CASE("the data dir is 0700 and the database 0600 from creation") {
    RunningServer server;
    REQUIRE(server.get("/readyz"));  // the first read creates the -wal file
    CHECK(mode_of(server.dir / "data") == 0700);
    CHECK(mode_of(server.dir / "data/tether.db") == 0600);
    CHECK(mode_of(server.dir / "data/tether.db-wal") == 0600);
}

TEST_CASE("garbage, oversized headers and unknown routes get an error answer and the server stays up") {
    RunningServer server;
    std::string garbage = raw_exchange(server.address, "NOT HTTP AT ALL\r\n\r\n");
    CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);

    std::string huge = raw_exchange(server.address,
                                    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    CHECK(huge.rfind("HTTP/1.1 431", 0) == 0);

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
    for (int signal : {SIGTERM, SIGINT, SIGTERM, SIGINT, SIGTERM, SIGINT}) {
        RunningServer server;
        Outcome outcome = server.process->stop(signal);
        CHECK(outcome.exit_code == 0);
        CHECK(outcome.err.find("\"msg\":\"stopped\"") != std::string::npos);
    }
}

TEST_CASE("a port already in use exits 69 naming the address") {
    RunningServer first;
    TempDir dir;
    Outcome second = run({"server", "--data-dir", (dir / "data").string(), "--api-listen", first.address});
    CHECK(second.exit_code == 69);
    CHECK(second.err.find("cannot listen on " + first.address) != std::string::npos);
    CHECK(second.err.find("in use") != std::string::npos);
}

TEST_CASE("the server resolves a host name for its listen address") {
    RunningServer server({"--api-listen", "localhost:0"});
    auto health = server.get("/healthz");
    REQUIRE(health);
    CHECK(health.value().status == 200);
}

TEST_CASE("an API key sent to the server appears neither in its log nor in its database") {
    const std::string key = "tth_k7Q2mZ9x_Zs8dPq4Lw1Vb6NcRt0YhUe3JkXa5Gf";
    const std::string secret_part = "Zs8dPq4Lw1Vb6NcRt0YhUe3JkXa5Gf";
    RunningServer server({"--log-level", "debug"});
    for (const std::string& path : {std::string("/healthz"), "/v1/keys/" + key, "/readyz?key=" + key}) {
        tether::http::Request request;
        request.url = tether::parse_url("http://" + server.address + path).value();
        request.headers = {{"Authorization", "Bearer " + key}, {"X-Api-Key", key}};
        REQUIRE(tether::http::fetch(request));
    }
    std::string garbage = raw_exchange(server.address, "GET /" + key + " HTTP/1.1\r\nBad Header\r\n\r\n");
    CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
    Outcome outcome = server.process->stop(SIGTERM);
    REQUIRE(outcome.exit_code == 0);

    // The log did record those requests, with the key's public id only.
    CHECK(outcome.err.find("tth_k7Q2mZ9x_[redacted]") != std::string::npos);
    CHECK(outcome.err.find(secret_part) == std::string::npos);
    for (const char* file : {"data/tether.db", "data/tether.db-wal"}) {
        std::ifstream in(server.dir / file, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(bytes.find(secret_part) == std::string::npos);
    }
}

TEST_CASE("the server migrates its database at start, and refuses one from a newer tether with exit 78") {
    TempDir dir;
    {
        RunningServer server;
        auto migrated = server.process->wait_for_log("database migrated", 5s);
        REQUIRE(migrated);
        CHECK(migrated->at("from_version") == 0);
        CHECK(server.process->stop(SIGTERM).exit_code == 0);
        std::filesystem::copy(server.dir / "data", dir / "data");
    }
    // Mark the copy as written by a future release (PRAGMA user_version lives
    // at byte offset 60 of the file header, big-endian).
    {
        std::fstream db(dir / "data/tether.db", std::ios::in | std::ios::out | std::ios::binary);
        db.seekp(60);
        const char future[4] = {0, 0, 0x03, static_cast<char>(0xE7)};  // 999
        db.write(future, 4);
    }
    Outcome outcome = run({"server", "--data-dir", (dir / "data").string(), "--api-listen", "127.0.0.1:0"});
    CHECK(outcome.exit_code == 78);
    CHECK(outcome.err.find("schema version 999, newer than this tether knows") != std::string::npos);
}
