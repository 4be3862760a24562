// Settings come from the file, the environment and flags, in that order of
// strength, for every mode.
#include <doctest/doctest.h>

#include "process.h"

using namespace tether::testing;

namespace {

// The "key = value  # origin" line of --print-config for `key`.
std::string setting_line(const std::string& printed, const std::string& key) {
    for (const std::string& line : lines(printed)) {
        if (line.rfind(key + " = ", 0) == 0) return line;
    }
    return "(missing)";
}

}  // namespace

TEST_CASE("flags beat the environment, which beats the config file, which beats the defaults") {
    TempDir dir;
    write_file(dir / "server.toml",
               "data_dir = \"/srv/from-file\"\n"
               "[api]\nlisten = \"127.0.0.1:1001\"\n"
               "[log]\nlevel = \"error\"\nformat = \"text\"\n");
    Outcome outcome = run({"server", "--config", (dir / "server.toml").string(), "--log-level", "debug",
                           "--print-config"},
                          {.env = {{"TETHER_API_LISTEN", "127.0.0.1:1002"}, {"TETHER_LOG_LEVEL", "warn"}}});
    REQUIRE_MESSAGE(outcome.exit_code == 0, outcome.err);
    std::string file = (dir / "server.toml").string();
    CHECK(setting_line(outcome.out, "data_dir") == "data_dir = /srv/from-file  # file " + file + ":1");
    CHECK(setting_line(outcome.out, "api.listen") == "api.listen = 127.0.0.1:1002  # env TETHER_API_LISTEN");
    CHECK(setting_line(outcome.out, "log.level") == "log.level = debug  # flag --log-level");
    CHECK(setting_line(outcome.out, "log.format") == "log.format = text  # file " + file + ":6");
}

TEST_CASE("the config file can be named by TETHER_<MODE>_CONFIG, and --config wins over it") {
    TempDir dir;
    write_file(dir / "a.toml", "output = \"json\"\n");
    write_file(dir / "b.toml", "server = \"http://b.example:9\"\n");
    Outcome by_env = run({"admin", "--print-config"}, {.env = {{"TETHER_ADMIN_CONFIG", (dir / "a.toml").string()}}});
    REQUIRE(by_env.exit_code == 0);
    CHECK(setting_line(by_env.out, "output").find("json  # file") != std::string::npos);

    Outcome by_flag = run({"admin", "--config", (dir / "b.toml").string(), "--print-config"},
                          {.env = {{"TETHER_ADMIN_CONFIG", (dir / "a.toml").string()}}});
    REQUIRE(by_flag.exit_code == 0);
    CHECK(setting_line(by_flag.out, "output") == "output = table  # default");
    CHECK(setting_line(by_flag.out, "server").find("http://b.example:9  # file") != std::string::npos);
}

TEST_CASE("admin reads ~/.config/tether/admin.toml when nothing else is named") {
    TempDir home;
    std::filesystem::create_directories(home / ".config/tether");
    write_file(home / ".config/tether/admin.toml", "timeout = \"3s\"\n");
    Outcome outcome = run({"admin", "--print-config"}, {.env = {{"HOME", home.path.string()}}});
    REQUIRE(outcome.exit_code == 0);
    CHECK(setting_line(outcome.out, "timeout").find("timeout = 3s  # file") != std::string::npos);
}

TEST_CASE("a running server obeys the winning layer: the flag's log level") {
    TempDir dir;
    Outcome init = run({"server", "init", "--data-dir", (dir / "data").string(), "--hostname", "localhost"});
    REQUIRE(init.exit_code == 0);
    write_file(dir / "server.toml", "[log]\nlevel = \"error\"\n");
    Process server({"server", "--config", (dir / "server.toml").string(), "--data-dir", (dir / "data").string(),
                    "--api-listen", "127.0.0.1:0", "--log-level", "debug", "--log-format", "json"},
                   {.env = {{"TETHER_LOG_LEVEL", "warn"}}});
    auto listening = server.wait_for_log("api listening");
    REQUIRE_MESSAGE(listening, server.err());
    // Probe requests are logged at debug: they appear only if debug won.
    Outcome status = run({"admin", "status", "--server", "https://" + listening->at("address").get<std::string>(),
                          "--ca", (dir / "data/ca.crt").string()});
    CHECK_MESSAGE(status.exit_code == 0, status.err);
    auto probe = server.wait_for_log("request", 5s);
    REQUIRE(probe);
    CHECK(probe->at("level") == "debug");
    CHECK(probe->at("path") == "/readyz");
    CHECK(server.stop(SIGTERM).exit_code == 0);
}
