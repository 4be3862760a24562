// What a hostile or careless client tries against the real binary: deep and
// ambiguous JSON, requests that bend HTTP, idle connections by the
// thousand, arguments that smuggle a second request, and flags that make
// no sense. Each answer names the problem, the store keeps what it had, and
// the server keeps serving everyone else.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <thread>

#include "server_fixture.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

const std::filesystem::path raw_client_script = TETHER_SOURCE_DIR "/tests/fakes/raw_client.py";
const std::filesystem::path debian_python = "/usr/bin/python3";

// Sends `bytes` as they are over TLS to the API; raw_client.py's report.
json send_raw(const RunningServer& server, const std::string& bytes, const std::string& linger = "5") {
    TempDir dir;
    write_file(dir / "request", bytes);
    std::string port = server.address.substr(server.address.rfind(':') + 1);
    Outcome sent = run({raw_client_script.string(), "send", "--port", port, "--ca", (server.data / "ca.crt").string(),
                        "--linger", linger},
                       {.stdin_path = dir / "request", .program = debian_python});
    REQUIRE_MESSAGE(sent.exit_code == 0, sent.err);
    json report = json::parse(sent.out, nullptr, false);
    REQUIRE_MESSAGE(report.is_object(), sent.out);
    return report;
}

std::string post(const std::string& path, const std::string& key, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

// The JSON body of a raw answer.
json body_of(const json& report) {
    const std::string& text = report["response"].get_ref<const std::string&>();
    auto start = text.find("\r\n\r\n");
    REQUIRE_MESSAGE(start != std::string::npos, text);
    return json::parse(text.substr(start + 4), nullptr, false);
}

std::size_t count_of(const std::string& text, const std::string& word) {
    std::size_t count = 0;
    for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++count;
    return count;
}

std::size_t service_accounts(const RunningServer& server) {
    return server.call("GET", "/v1/service-accounts", nullptr, 200)["service_accounts"].size();
}

}  // namespace

TEST_CASE("params nested 10,000 deep get a 400 naming the depth; the server stays up and stores nothing") {
    RunningServer server;
    std::string deep = std::string(10'000, '[') + std::string(10'000, ']');
    json refused = send_raw(server, post("/v1/operations", server.admin_key(),
                                         R"({"runner":"none","type":"system.echo","params":)" + deep + "}"));
    CHECK(refused["status"] == 400);
    std::string message = body_of(refused)["error"]["message"];
    CHECK(message == "the request body is not valid JSON: byte 110: nested deeper than 64 levels");
    CHECK(server.get("/healthz").value().status == 200);
    CHECK(server.call("GET", "/v1/operations", nullptr, 200)["operations"].empty());
}

TEST_CASE("a key named twice is refused, so {\"role\":\"viewer\",\"role\":\"admin\"} creates nobody") {
    RunningServer server;
    std::size_t before = service_accounts(server);
    json refused = send_raw(server, post("/v1/service-accounts", server.admin_key(),
                                         R"({"name":"sneaky","role":"viewer","role":"admin"})"));
    CHECK(refused["status"] == 400);
    CHECK(body_of(refused)["error"]["message"] ==
          "the request body is not valid JSON: key \"role\" appears twice in one object");
    CHECK(service_accounts(server) == before);
}

TEST_CASE("truncated JSON, trailing garbage and invalid UTF-8 each get their own message with an offset") {
    RunningServer server;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"name":"x","role":)", "byte 19: unexpected end of input"},
        {R"({"name":"x","role":"viewer"} {})", "byte 29: unexpected text after the JSON value"},
        {"{\"name\":\"x\xff\",\"role\":\"viewer\"}", "byte 10: invalid string: ill-formed UTF-8 byte"},
        {"[]", "the request body must be a JSON object, not array"},
    };
    for (const auto& [body, expected] : cases) {
        json refused = send_raw(server, post("/v1/service-accounts", server.admin_key(), body));
        CHECK(refused["status"] == 400);
        std::string message = body_of(refused)["error"]["message"];
        CHECK_MESSAGE(message.find(expected) != std::string::npos, message);
    }
    CHECK(service_accounts(server) == 1);
}

TEST_CASE("HTTP/1.1 without a Host, or with two, gets a 400; HTTP/1.0 without one is served") {
    RunningServer server;
    std::string auth = "Authorization: Bearer " + server.admin_key() + "\r\n";
    json none = send_raw(server, "GET /v1/whoami HTTP/1.1\r\n" + auth + "\r\n");
    CHECK(none["status"] == 400);
    CHECK(body_of(none)["error"]["message"] == "an HTTP/1.1 request needs a Host header");
    json two = send_raw(server, "GET /v1/whoami HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + auth + "\r\n");
    CHECK(two["status"] == 400);
    CHECK(body_of(two)["error"]["message"] == "the request has more than one Host header");
    json old = send_raw(server, "GET /v1/whoami HTTP/1.0\r\n" + auth + "\r\n");
    CHECK(old["status"] == 200);
}

TEST_CASE("an unauthenticated 16 MB body gets its 401 at once, without the server reading it") {
    RunningServer server;
    // The header promises 16 MB; none of it is sent. The answer comes anyway.
    json refused = send_raw(server,
                            "POST /v1/service-accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            "Content-Length: 16000000\r\n\r\n",
                            "3");
    CHECK(refused["status"] == 401);
    CHECK(refused["closed"] == true);
    CHECK(refused["elapsed_ms"].get<int>() < 2500);
    CHECK(body_of(refused)["error"]["message"].get<std::string>().find("at most 4096 bytes") != std::string::npos);

    // With a key, a declared length past the API's limit is refused unread too.
    json huge = send_raw(server,
                         "POST /v1/service-accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                             server.admin_key() + "\r\nContent-Length: 400000000000\r\n\r\n",
                         "3");
    CHECK(huge["status"] == 413);
    CHECK(huge["elapsed_ms"].get<int>() < 2500);
    CHECK(server.get("/healthz").value().status == 200);

    // A valid key lifts the bound to the usual one (and the missing body then times nothing out: 3 s linger).
    json small = send_raw(server, post("/v1/service-accounts", "tth_nokey_nosecret", std::string(5000, ' ')));
    CHECK(small["status"] == 401);
    json fine = send_raw(server, post("/v1/service-accounts", server.admin_key(),
                                      R"({"name":"padded","role":"viewer"})" + std::string(5000, ' ')));
    CHECK(fine["status"] == 201);
}

TEST_CASE("1,100 idle connections from one address neither lock others out nor flood the log") {
    RunningServer server;
    std::string port = server.address.substr(server.address.rfind(':') + 1);
    Process flood({raw_client_script.string(), "flood", "--port", port, "--source", "127.0.0.2", "--count", "1100", "--hold",
                   "4"},
                  {.program = debian_python});
    auto ready_by = std::chrono::steady_clock::now() + 60s;
    while (flood.out().find("\"ready\"") == std::string::npos && std::chrono::steady_clock::now() < ready_by) {
        std::this_thread::sleep_for(50ms);
    }
    REQUIRE_MESSAGE(flood.out().find("\"ready\"") != std::string::npos, flood.err());
    json ready = json::parse(lines(flood.out()).front());
    CHECK(ready["opened"].get<int>() + ready["refused"].get<int>() == 1100);

    // While they are held: the admin from 127.0.0.1 is served, promptly.
    for (int i = 0; i < 5; ++i) {
        auto started = std::chrono::steady_clock::now();
        Outcome whoami = server.admin({"whoami"});
        CHECK_MESSAGE(whoami.exit_code == 0, whoami.err);
        bool prompt = std::chrono::steady_clock::now() - started < 5s;
        CHECK(prompt);
    }
    auto ended = flood.wait(30s);
    REQUIRE(ended);
    json end = json::parse(lines(flood.out()).back());
    CHECK(end["open_at_end"].get<int>() <= 64);  // the per-address limit; the rest were closed at once

    // At most a line or two about it, each with the count refused since the last.
    std::string log = server.process->err();
    std::size_t refusal_lines = count_of(log, "\"msg\":\"connections refused\"");
    CHECK(refusal_lines >= 1);
    CHECK(refusal_lines <= 2);
    CHECK(log.find("\"refused\":") != std::string::npos);
}

TEST_CASE("the admin CLI percent-encodes what it puts in a path: no smuggled request, no other route") {
    RunningServer server;
    std::size_t before = service_accounts(server);
    // A CR LF in a name would end the request line and start a second
    // request carrying the admin's key.
    std::string smuggle = "x HTTP/1.1\r\nHost: localhost\r\n\r\nDELETE /v1/service-accounts/admin HTTP/1.1\r\nX: y";
    Outcome show = server.admin({"runner", "show", smuggle});
    CHECK(show.exit_code == 64);
    CHECK_MESSAGE(show.err.find("runner names use a-z") != std::string::npos, show.err);
    CHECK(server.process->err().find("\"method\":\"DELETE\"") == std::string::npos);
    CHECK(service_accounts(server) == before);

    Outcome traversal = server.admin({"op", "get", "../../service-accounts"});
    CHECK(traversal.exit_code == 64);
    CHECK(traversal.err.find("no such route") == std::string::npos);
    CHECK(traversal.out.find("service_accounts") == std::string::npos);
}

TEST_CASE("generate-credentials checks its destination before the server mints, and revokes what it could not write") {
    RunningServer server;
    REQUIRE(server.admin({"runner", "create", "edge"}).exit_code == 0);
    auto minted = [&] {
        json entries = json::parse(server.admin({"audit", "list", "-o", "json"}).out)["entries"];
        std::size_t count = 0;
        for (const json& entry : entries) count += entry["action"] == "runner.credentials.generate" ? 1 : 0;
        return count;
    };

    Outcome missing = server.admin({"runner", "generate-credentials", "edge", "--output-dir", (server.dir / "nowhere").string()});
    CHECK(missing.exit_code == 73);
    CHECK(missing.err.find("does not exist") != std::string::npos);
    CHECK(minted() == 0);

    // The destination passes the check, then writing fails: a directory
    // stands where the file goes, and --force cannot replace it.
    std::filesystem::create_directories(server.dir / "out" / "credentials.json" / "inside");
    Outcome failed = server.admin(
        {"runner", "generate-credentials", "edge", "--output-dir", (server.dir / "out").string(), "--force"});
    CHECK(failed.exit_code == 73);
    CHECK_MESSAGE(failed.err.find("are revoked") != std::string::npos, failed.err);
    CHECK(minted() == 1);
    json entries = json::parse(server.admin({"audit", "list", "-o", "json"}).out)["entries"];
    CHECK(entries.back()["action"] == "runner.credentials.revoke");
}

TEST_CASE("a mistyped flag with a key after it is refused without echoing the key") {
    RunningServer server;
    const std::string key = server.admin_key();
    for (const std::vector<std::string>& args : {std::vector<std::string>{"whoami", "--api-kee", key},
                                                  std::vector<std::string>{"whoami", "--api-kee=" + key},
                                                  std::vector<std::string>{"whoami", key},
                                                  std::vector<std::string>{"whoami", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}) {
        Outcome refused = server.admin(args);
        CHECK(refused.exit_code == 64);
        CHECK(refused.err.find(key.substr(key.rfind('_'))) == std::string::npos);
        CHECK(refused.err.find("bPxRfiCYEXAMPLEKEY") == std::string::npos);
        CHECK_MESSAGE(refused.err.find("looks like a secret") != std::string::npos, refused.err);
    }
}

TEST_CASE("an admin config or key file that others can read is refused, as ssh refuses such a key") {
    RunningServer server;
    std::filesystem::path config = server.data / "admin.toml";
    ::chmod(config.c_str(), 0644);
    Outcome refused = server.admin({"whoami"});
    CHECK(refused.exit_code == 78);
    CHECK(refused.err.find("mode 0644") != std::string::npos);
    CHECK(refused.err.find("chmod 600") != std::string::npos);
    ::chmod(config.c_str(), 0600);
    CHECK(server.admin({"whoami"}).exit_code == 0);

    write_file(server.dir / "key", server.admin_key(), 0640);
    Outcome key_file = run({"admin", "--server", server.url(), "--ca", (server.data / "ca.crt").string(),
                            "--api-key-file", (server.dir / "key").string(), "whoami"});
    CHECK(key_file.exit_code == 78);
    CHECK(key_file.err.find("mode 0640") != std::string::npos);
}

TEST_CASE("durations of zero are refused at start: --timeout 0s, --runner-certificate-lifetime 0s") {
    RunningServer server;
    Outcome zero = server.admin({"--timeout", "0s", "whoami"});
    CHECK(zero.exit_code == 64);
    CHECK(zero.err.find("greater than zero") != std::string::npos);
    Outcome op = server.admin({"op", "run", "--runner", "x", "--timeout", "0s", "system.echo"});
    CHECK(op.exit_code == 64);

    TempDir dir;
    Outcome init = run({"server", "init", "--data-dir", (dir / "d").string(), "--hostname", "localhost"});
    REQUIRE(init.exit_code == 0);
    Outcome lifetime = run({"server", "--data-dir", (dir / "d").string(), "--api-listen", "127.0.0.1:0",
                            "--tunnel-listen", "127.0.0.1:0", "--runner-certificate-lifetime", "0s"});
    CHECK(lifetime.exit_code == 64);
    CHECK(lifetime.err.find("runner_certificate_lifetime") != std::string::npos);
    Outcome short_lifetime = run({"server", "--data-dir", (dir / "d").string(), "--api-listen", "127.0.0.1:0",
                                  "--tunnel-listen", "127.0.0.1:0", "--runner-certificate-lifetime", "30s"});
    CHECK(short_lifetime.exit_code == 78);
    CHECK(short_lifetime.err.find("at least 1m") != std::string::npos);
}

TEST_CASE("what one org sees of the audit log depends on its rows alone") {
    RunningServer server;
    std::string other_key = server.call("POST", "/v1/orgs", {{"name", "other"}}, 201).value("api_key", "");
    json first = server.call("GET", "/v1/audit", nullptr, 200)["entries"];
    json verify_before = server.call("GET", "/v1/audit/verify", nullptr, 200);
    // The other org acts a lot; this org's numbers and counts do not move.
    for (int i = 0; i < 5; ++i) {
        server.call("POST", "/v1/service-accounts", {{"name", "sa-" + std::to_string(i)}, {"role", "viewer"}}, 201,
                    other_key);
    }
    json after = server.call("GET", "/v1/audit", nullptr, 200)["entries"];
    CHECK(after == first);
    CHECK(server.call("GET", "/v1/audit/verify", nullptr, 200) == verify_before);
    CHECK(first.front()["id"] == 1);
    json theirs = server.call("GET", "/v1/audit", nullptr, 200, other_key)["entries"];
    REQUIRE_FALSE(theirs.empty());
    CHECK(theirs.front()["id"] == 1);
}
