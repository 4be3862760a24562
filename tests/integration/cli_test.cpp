// The command line as a user meets it: help everywhere, exit codes from
// sysexits, and one actionable line on stderr when something is wrong.
#include <doctest/doctest.h>

#include "process.h"

using namespace tether::testing;
using nlohmann::json;

namespace {

// A failing command prints exactly one line, on stderr, and nothing on stdout.
void check_one_line_error(const Outcome& outcome, const std::string& expected_part) {
    CHECK(outcome.out.empty());
    auto err_lines = lines(outcome.err);
    REQUIRE_MESSAGE(err_lines.size() == 1, outcome.err);
    CHECK_MESSAGE(err_lines[0].find(expected_part) != std::string::npos, err_lines[0]);
}

}  // namespace

TEST_CASE("--help works on every level and exits 0") {
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"--help"}, {"server", "--help"}, {"runner", "--help"}, {"admin", "--help"}, {"admin", "status", "--help"},
             {"version", "--help"}}) {
        Outcome outcome = run(args);
        CHECK_MESSAGE(outcome.exit_code == 0, args[0]);
        CHECK(outcome.out.find("Usage: tether") != std::string::npos);
    }
    Outcome root = run({"--help"});
    for (const char* mode : {"server", "runner", "admin", "version"}) CHECK(root.out.find(mode) != std::string::npos);
}

TEST_CASE("version names the release, the commit and the libraries built in") {
    Outcome outcome = run({"version"});
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.out.rfind("tether 0.", 0) == 0);
    CHECK(outcome.out.find("(commit ") != std::string::npos);
    CHECK(outcome.out.find("OpenSSL 3.") != std::string::npos);
    CHECK(outcome.out.find("SQLite 3.") != std::string::npos);
    CHECK(run({"--version"}).exit_code == 0);
}

TEST_CASE("version -o json gives scripts the version, commit, build date, compiler and every library built in") {
    Outcome outcome = run({"version", "-o", "json"});
    REQUIRE_MESSAGE(outcome.exit_code == 0, outcome.err);
    json report = json::parse(outcome.out);
    CHECK(report["version"].get<std::string>().rfind("0.", 0) == 0);
    CHECK(report["commit"].is_string());
    CHECK(report["commit"] != "");
    // An ISO 8601 UTC date: the commit's, or SOURCE_DATE_EPOCH's.
    std::string date = report["build_date"];
    CHECK(date.size() == 20);
    CHECK(date.back() == 'Z');
    CHECK(report["compiler"].get<std::string>().find("12.") != std::string::npos);
    CHECK(report["static"].is_boolean());
    for (const char* library : {"Boost", "CLI11", "fmt", "nlohmann_json", "OpenSSL", "pugixml", "SQLite", "toml++",
                                "yaml-cpp"}) {
        INFO(library);
        REQUIRE(report["libraries"].contains(library));
        CHECK(report["libraries"][library].get<std::string>().find('.') != std::string::npos);
    }
    CHECK(report["runtime"]["OpenSSL"].get<std::string>().rfind("OpenSSL 3.", 0) == 0);
    CHECK(report["runtime"]["SQLite"] == report["libraries"]["SQLite"]);
    CHECK(run({"version", "-o", "yaml"}).exit_code == 64);
}

TEST_CASE("usage errors exit 64 with one line naming the problem") {
    Outcome unknown = run({"frobnicate"});
    CHECK(unknown.exit_code == 64);
    check_one_line_error(unknown, "unknown command 'frobnicate'");

    Outcome none = run({});
    CHECK(none.exit_code == 64);
    check_one_line_error(none, "see 'tether --help'");

    Outcome bad_flag = run({"server", "--no-such-flag"});
    CHECK(bad_flag.exit_code == 64);
    check_one_line_error(bad_flag, "--no-such-flag");

    Outcome bad_value = run({"server", "--api-listen", "nowhere"});
    CHECK(bad_value.exit_code == 64);
    check_one_line_error(bad_value, "invalid api.listen 'nowhere' (from --api-listen)");

    Outcome no_admin_command = run({"admin"});
    CHECK(no_admin_command.exit_code == 64);
    check_one_line_error(no_admin_command, "tether admin needs a command");
}

TEST_CASE("configuration errors exit 78 and name the file, line or variable") {
    TempDir dir;
    write_file(dir / "bad-syntax.toml", "[api\nlisten = 1\n");
    Outcome syntax = run({"server", "--config", (dir / "bad-syntax.toml").string()});
    CHECK(syntax.exit_code == 78);
    check_one_line_error(syntax, "bad-syntax.toml:1");

    write_file(dir / "typo.toml", "[api]\nlisen = \"127.0.0.1:1\"\n");
    Outcome typo = run({"server", "--config", (dir / "typo.toml").string()});
    CHECK(typo.exit_code == 78);
    check_one_line_error(typo, "typo.toml:2: unknown setting 'api.lisen' (did you mean 'api.listen'?)");

    Outcome missing = run({"server", "--config", (dir / "missing.toml").string()});
    CHECK(missing.exit_code == 78);
    check_one_line_error(missing, "cannot read config file");

    Outcome env = run({"server"}, {.env = {{"TETHER_LOG_LEVEL", "chatty"}}});
    CHECK(env.exit_code == 78);
    check_one_line_error(env, "invalid log.level 'chatty' (from TETHER_LOG_LEVEL)");

    Outcome no_credentials = run({"runner"});
    CHECK(no_credentials.exit_code == 78);
    check_one_line_error(no_credentials, "no credentials file");
}

TEST_CASE("the runner refuses a credentials file other users can read") {
    TempDir dir;
    write_file(dir / "credentials.json", "{}", 0644);
    Outcome outcome = run({"runner", "--credentials", (dir / "credentials.json").string()});
    CHECK(outcome.exit_code == 78);
    check_one_line_error(outcome, "is accessible to other users (mode 0644); run: chmod 600");
}

TEST_CASE("an unreachable server exits 69 and says where it tried") {
    Outcome outcome = run({"admin", "status", "--server", "http://127.0.0.1:1", "--timeout", "5s"});
    CHECK(outcome.exit_code == 69);
    check_one_line_error(outcome, "cannot connect to 127.0.0.1:1");
}
