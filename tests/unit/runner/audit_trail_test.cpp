#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "support.h"
#include "tether/runner/audit_trail.h"
#include "common/files.h"

using namespace std::chrono_literals;
using tether::ErrorKind;
using tether::runner::AuditRecord;
using tether::runner::AuditTrail;
using tether::runner::to_json_line;

using tether::testing::mode_of;

namespace {

AuditRecord record(const std::string& request_id) {
    AuditRecord r;
    r.time = std::chrono::sys_days{std::chrono::year{2025} / 3 / 4} + 5h + 6min + 7s + 89ms;
    r.request_id = request_id;
    r.operation = "aws.call";
    r.connection = "prod";
    r.auth_mode = "runner-delegated";
    r.outcome = "succeeded";
    r.duration = 1234ms;
    r.endpoint = "sts.amazonaws.com";
    return r;
}

std::vector<std::string> request_ids(const std::filesystem::path& path) {
    std::vector<std::string> ids;
    for (const auto& line : runner_test::read_lines(path)) {
        ids.push_back(nlohmann::json::parse(line).at("request_id").get<std::string>());
    }
    return ids;
}

}  // namespace

TEST_CASE("a record is one JSON line with an RFC 3339 UTC time in milliseconds") {
    CHECK(to_json_line(record("r1")) ==
          "{\"time\":\"2025-03-04T05:06:07.089Z\",\"request_id\":\"r1\",\"operation\":\"aws.call\","
          "\"connection\":\"prod\",\"auth_mode\":\"runner-delegated\",\"outcome\":\"succeeded\","
          "\"duration_ms\":1234,\"endpoint\":\"sts.amazonaws.com\"}\n");

    AuditRecord bare = record("r2");
    bare.connection.clear();
    bare.auth_mode.clear();
    bare.endpoint.reset();
    bare.operation = "system.info\n\xff";  // a newline or bad UTF-8 from the server cannot break the line
    bare.outcome = "permission_denied";
    std::string line = to_json_line(bare);
    CHECK(line.find('\n') == line.size() - 1);
    auto json = nlohmann::json::parse(line);
    CHECK(json["connection"].is_null());
    CHECK(json["auth_mode"].is_null());
    CHECK(json["endpoint"].is_null());
    CHECK(json["operation"] == "system.info\n\xEF\xBF\xBD");
    CHECK(json["outcome"] == "permission_denied");
}

TEST_CASE("the trail is created 0600 whatever the umask, and appended to across openings") {
    runner_test::TempDir dir;
    auto path = dir.path / "audit.jsonl";
    mode_t old_umask = ::umask(0);
    {
        auto trail = AuditTrail::open(path, 1 << 20, 5);
        ::umask(old_umask);
        REQUIRE(trail);
        CHECK(mode_of(path) == 0600);
        REQUIRE(trail.value().append(record("r1")));
        REQUIRE(trail.value().append(record("r2")));
    }
    auto again = AuditTrail::open(path, 1 << 20, 5);
    REQUIRE(again);
    REQUIRE(again.value().append(record("r3")));
    CHECK(request_ids(path) == std::vector<std::string>{"r1", "r2", "r3"});
}

TEST_CASE("an existing trail that others can read is refused with the fix; a missing directory is not_found") {
    runner_test::TempDir dir;
    auto path = dir.path / "audit.jsonl";
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
    REQUIRE(fd >= 0);
    ::close(fd);
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    auto loose = AuditTrail::open(path, 1 << 20, 5);
    REQUIRE_FALSE(loose);
    CHECK(loose.error().kind == ErrorKind::invalid_argument);
    CHECK(loose.error().message ==
          "audit trail " + path.string() + " is accessible to other users (mode 0644); run: chmod 600 " + path.string());

    auto missing = AuditTrail::open(dir.path / "no" / "audit.jsonl", 1 << 20, 5);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK(missing.error().message.rfind("cannot open audit trail ", 0) == 0);

    std::filesystem::create_symlink(dir.path / "elsewhere", dir.path / "link.jsonl");
    CHECK_FALSE(AuditTrail::open(dir.path / "link.jsonl", 1 << 20, 5));
}

TEST_CASE("rotation by size keeps keep_files older files, drops the oldest, and never splits a line") {
    runner_test::TempDir dir;
    auto path = dir.path / "audit.jsonl";
    std::size_t line_size = to_json_line(record("r00")).size();
    // Three lines a file.
    auto trail = AuditTrail::open(path, 3 * line_size + 10, 2);
    REQUIRE(trail);
    for (int i = 0; i < 12; ++i) {
        char id[8];
        std::snprintf(id, sizeof id, "r%02d", i);
        REQUIRE(trail.value().append(record(id)));
    }
    CHECK(request_ids(path) == std::vector<std::string>{"r09", "r10", "r11"});
    CHECK(request_ids(dir.path / "audit.jsonl.1") == std::vector<std::string>{"r06", "r07", "r08"});
    CHECK(request_ids(dir.path / "audit.jsonl.2") == std::vector<std::string>{"r03", "r04", "r05"});
    CHECK_FALSE(std::filesystem::exists(dir.path / "audit.jsonl.3"));
    CHECK(mode_of(dir.path / "audit.jsonl.2") == 0600);
}

TEST_CASE("with keep_files 0 a full trail starts afresh; a line over the limit goes alone into a file") {
    runner_test::TempDir dir;
    auto path = dir.path / "audit.jsonl";
    auto trail = AuditTrail::open(path, 10, 0);
    REQUIRE(trail);
    REQUIRE(trail.value().append(record("r1")));
    REQUIRE(trail.value().append(record("r2")));
    CHECK(request_ids(path) == std::vector<std::string>{"r2"});
    CHECK_FALSE(std::filesystem::exists(dir.path / "audit.jsonl.1"));
}

TEST_CASE("a trail moved away by someone else is recreated at its path") {
    runner_test::TempDir dir;
    auto path = dir.path / "audit.jsonl";
    auto trail = AuditTrail::open(path, 1 << 20, 5);
    REQUIRE(trail);
    REQUIRE(trail.value().append(record("r1")));
    std::filesystem::rename(path, dir.path / "moved.jsonl");
    REQUIRE(trail.value().append(record("r2")));
    CHECK(request_ids(path) == std::vector<std::string>{"r2"});
    CHECK(mode_of(path) == 0600);
}

TEST_CASE("lines appended from several threads never interleave, across rotations") {
    runner_test::TempDir dir;
    auto path = dir.path / "audit.jsonl";
    auto opened = AuditTrail::open(path, 4096, 1000);
    REQUIRE(opened);
    AuditTrail trail = std::move(opened).value();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&trail, t] {
            for (int i = 0; i < 200; ++i) {
                AuditRecord r = record("t" + std::to_string(t) + "-" + std::to_string(i));
                r.connection.assign(static_cast<std::size_t>(i % 50) * 10, 'c');  // lines of varied lengths
                (void)trail.append(r);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> seen;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
        CHECK(std::filesystem::file_size(entry.path()) <= 4096);
        for (const auto& id : request_ids(entry.path())) seen.insert(id);  // parse throws on a torn line
    }
    CHECK(seen.size() == 800);
}
