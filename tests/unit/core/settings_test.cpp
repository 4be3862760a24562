#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "tether/core/error.h"
#include "tether/core/settings.h"
#include "common/environment.h"

using namespace tether;
using namespace tether::config;

using tether::testing::environment_of;

namespace {

std::vector<Spec> specs() {
    return {
        {"api.listen", Kind::address, "127.0.0.1:8443", "listen"},
        {"data_dir", Kind::path, "", "data"},
        {"log.level", Kind::choice, "info", "level", {"debug", "info", "warn", "error"}},
        {"drain", Kind::duration, "30s", "drain"},
        {"verbose", Kind::boolean, "false", "verbose"},
        {"limit", Kind::integer, "10", "limit"},
        {"server", Kind::url, "", "server"},
        {"api_key", Kind::text, "", "key", {}, true},
        {"policy.operations", Kind::list, "system.*", "operations"},
        {"policy.connections", Kind::list, "", "connections"},
    };
}

// The exit code and message of a Fatal thrown by `action`.
template <typename Action>
std::pair<ExitCode, std::string> failure(Action action) {
    try {
        action();
    } catch (const Fatal& fatal) {
        return {fatal.code(), fatal.what()};
    }
    FAIL("expected a Fatal");
    return {ExitCode::ok, ""};
}

}  // namespace

TEST_CASE("names: api.listen is TETHER_API_LISTEN and --api-listen") {
    CHECK(env_name("api.listen") == "TETHER_API_LISTEN");
    CHECK(env_name("data_dir") == "TETHER_DATA_DIR");
    CHECK(flag_name("api.listen") == "api-listen");
    CHECK(flag_name("data_dir") == "data-dir");
}

TEST_CASE("precedence: flags over environment over file over defaults") {
    Settings settings(specs());
    settings.load_toml("drain = \"1m\"\nlimit = 5\nverbose = true\n[api]\nlisten = \"0.0.0.0:1000\"\n", "server.toml");
    settings.load_environment(environment_of({{"TETHER_API_LISTEN", "0.0.0.0:2000"}, {"TETHER_LIMIT", "6"}}));
    settings.set_flag("api.listen", "0.0.0.0:3000");

    CHECK(settings.text("api.listen") == "0.0.0.0:3000");
    CHECK(settings.find("api.listen")->origin == Origin::flag);
    CHECK(settings.find("api.listen")->where == "--api-listen");
    CHECK(settings.integer("limit") == 6);
    CHECK(settings.find("limit")->where == "TETHER_LIMIT");
    CHECK(settings.duration("drain") == std::chrono::minutes(1));
    CHECK(settings.find("drain")->where == "server.toml:1");
    CHECK(settings.boolean("verbose"));
    CHECK(settings.text("log.level") == "info");
    CHECK(settings.find("log.level")->origin == Origin::default_value);
    CHECK_FALSE(settings.has("data_dir"));
}

TEST_CASE("describe shows each value with its origin and never a secret") {
    Settings settings(specs());
    settings.load_environment(environment_of({{"TETHER_API_KEY", "tth_abc_supersecretpart"}}));
    settings.set_flag("log.level", "debug");
    std::string text = settings.describe();
    CHECK(text.find("log.level = debug  # flag --log-level") != std::string::npos);
    CHECK(text.find("api.listen = 127.0.0.1:8443  # default") != std::string::npos);
    CHECK(text.find("data_dir = (not set)") != std::string::npos);
    CHECK(text.find("api_key = tth_abc_[redacted]  # env TETHER_API_KEY") != std::string::npos);
    CHECK(text.find("supersecretpart") == std::string::npos);
}

TEST_CASE("an invalid value names the setting, the value, where it came from and what is expected") {
    Settings settings(specs());
    auto [code, message] = failure([&] { settings.load_environment(environment_of({{"TETHER_LOG_LEVEL", "loud"}})); });
    CHECK(code == ExitCode::config);
    CHECK(message == "invalid log.level 'loud' (from TETHER_LOG_LEVEL): expected one of: debug, info, warn, error");

    auto [flag_code, flag_message] = failure([&] { settings.set_flag("drain", "soon"); });
    CHECK(flag_code == ExitCode::usage);
    CHECK(flag_message.find("(from --drain)") != std::string::npos);

    auto [secret_code, secret_message] = failure([&] { settings.set_flag("api_key", ""); });
    CHECK(secret_code == ExitCode::usage);
}

TEST_CASE("a bad value leaves the earlier one in place") {
    Settings settings(specs());
    settings.set_flag("limit", "7");
    CHECK_THROWS_AS(settings.set_flag("limit", "seven"), Fatal);
    CHECK(settings.integer("limit") == 7);
}

TEST_CASE("each kind validates its values") {
    auto check = [](Kind kind, const char* text) {
        return !check_value(Spec{"k", kind, "", "", {"a", "b"}}, text).has_value();
    };
    CHECK(check(Kind::address, "localhost:0"));
    CHECK(check(Kind::address, "[::1]:8443"));
    CHECK_FALSE(check(Kind::address, "localhost"));
    CHECK_FALSE(check(Kind::address, "host:99999"));
    CHECK(check(Kind::url, "http://127.0.0.1:8443"));
    CHECK_FALSE(check(Kind::url, "ftp://x"));
    CHECK(check(Kind::boolean, "yes"));
    CHECK_FALSE(check(Kind::boolean, "maybe"));
    CHECK(check(Kind::integer, "-3"));
    CHECK_FALSE(check(Kind::integer, "3x"));
    CHECK(check(Kind::duration, "1h30m"));
    CHECK_FALSE(check(Kind::duration, "30"));
    CHECK_FALSE(check(Kind::duration, "0s"));
    CHECK_FALSE(check(Kind::duration, "0ms"));
    CHECK(check(Kind::choice, "b"));
    CHECK_FALSE(check(Kind::choice, "c"));
    CHECK_FALSE(check(Kind::text, ""));
}

TEST_CASE("the file layer: syntax errors, unknown keys and wrong types name file and line") {
    Settings settings(specs());
    auto [code, message] = failure([&] { settings.load_toml("[api]\nlisten = \n", "s.toml"); });
    CHECK(code == ExitCode::config);
    CHECK(message.rfind("s.toml:2", 0) == 0);

    auto [unknown_code, unknown] = failure([&] { settings.load_toml("\n[api]\nlisen = \"x:1\"\n", "s.toml"); });
    CHECK(unknown_code == ExitCode::config);
    CHECK(unknown == "s.toml:3: unknown setting 'api.lisen' (did you mean 'api.listen'?)");

    auto [type_code, type] = failure([&] { settings.load_toml("limit = [1, 2]\n", "s.toml"); });
    CHECK(type_code == ExitCode::config);
    CHECK(type == "s.toml:1: limit must be a string, a whole number or true/false");

    auto [value_code, value] = failure([&] { settings.load_toml("limit = \"many\"\n", "s.toml"); });
    CHECK(value == "invalid limit 'many' (from s.toml:1): expected a whole number");
}

TEST_CASE("load_file reads a file and reports a missing one") {
    std::string path = "settings_test_config.toml";
    std::ofstream(path) << "[log]\nlevel = \"warn\"\n";
    Settings settings(specs());
    settings.load_file(path);
    CHECK(settings.text("log.level") == "warn");
    CHECK(settings.find("log.level")->where == path + ":2");
    std::remove(path.c_str());

    auto [code, message] = failure([&] { settings.load_file("/nonexistent/tether.toml"); });
    CHECK(code == ExitCode::config);
    CHECK(message.find("cannot read config file /nonexistent/tether.toml") == 0);
}

TEST_CASE("malformed table headers that break toml++ 3.3.0's preconditions are plain config errors") {
    // Found by tests/fuzz/settings_toml_fuzz: these aborted on an assertion.
    for (const char* text : {"[}\n", "[}}}}\nx = 1\n", "[[[1]]]\n", "[[[a]]\n", "[[=\n"}) {
        Settings settings(specs());
        auto [code, message] = failure([&] { settings.load_toml(text, "s.toml"); });
        CHECK_MESSAGE(code == ExitCode::config, text);
        CHECK(message.rfind("s.toml:1: ", 0) == 0);
    }
}

TEST_CASE("tables and arrays nested past 64 levels are config errors, not a deep recursion") {
    Settings settings(specs());
    std::string header = "[" + std::string(100'000, 'a');
    for (std::size_t i = 1; i < header.size(); i += 2) header[i] = '.';
    std::string dotted_key = "x" + std::string(130, '.') + " = 1\n";
    for (std::size_t i = 2; i < dotted_key.size(); i += 2) dotted_key[i] = 'x';
    for (const std::string& text : {header + "]\n", dotted_key}) {
        auto [code, message] = failure([&] { settings.load_toml(text, "s.toml"); });
        CHECK(code == ExitCode::config);
        CHECK_MESSAGE(message == "s.toml:1: more than 64 dots in one line's keys", message);
    }
    auto [code, message] = failure([&] {
        settings.load_toml("policy.operations = " + std::string(10'000, '[') + "\n", "s.toml");
    });
    CHECK(code == ExitCode::config);
    CHECK_MESSAGE(message.find("exceeded maximum nested value depth of 64") != std::string::npos, message);
    // Dots inside strings and comments are not keys.
    settings.load_toml("data_dir = \"" + std::string(200, '.') + "\" # " + std::string(200, '.') + "\n", "s.toml");
}

TEST_CASE("non-ASCII is fine in strings and comments and refused elsewhere, naming the line") {
    Settings settings(specs());
    settings.load_toml("# Привет, ümlauts\ndata_dir = \"/srv/données\"\n", "s.toml");
    CHECK(settings.text("data_dir") == "/srv/données");
    settings.load_toml("data_dir = '''/srv/\nдругой'''\n", "s.toml");
    CHECK(settings.text("data_dir") == "/srv/\nдругой");

    // Found by tests/fuzz/settings_toml_fuzz: toml++ 3.3.0 hit
    // __builtin_unreachable() on such input.
    for (const char* text : {"data_dir = \"/x\"щ\n", "\n\nключ = 1\n", "data_dir = \"a\\\"\" é\n"}) {
        auto [code, message] = failure([&] { settings.load_toml(text, "s.toml"); });
        CHECK(code == ExitCode::config);
        CHECK_MESSAGE(message.find("non-ASCII character outside a string or comment") != std::string::npos, message);
    }
    CHECK(failure([&] { settings.load_toml("\n\nключ = 1\n", "s.toml"); }).second.rfind("s.toml:3:", 0) == 0);
}

TEST_CASE("lists: a TOML array, comma-separated in the environment and flags, later layers replacing earlier ones") {
    Settings settings(specs());
    CHECK(settings.list("policy.operations") == std::vector<std::string>{"system.*"});
    CHECK(settings.list("policy.connections").empty());

    settings.load_toml("[policy]\noperations = [\"system.*\", \"aws.call\"]\nconnections = [\"prod\"]\n", "r.toml");
    CHECK(settings.list("policy.operations") == std::vector<std::string>{"system.*", "aws.call"});
    CHECK(settings.find("policy.operations")->where == "r.toml:2");

    settings.load_environment(environment_of({{"TETHER_POLICY_CONNECTIONS", " prod , staging eu,dev "}}));
    CHECK(settings.list("policy.connections") == std::vector<std::string>{"prod", "staging eu", "dev"});

    settings.set_flag("policy.operations", "kubernetes.call");
    CHECK(settings.list("policy.operations") == std::vector<std::string>{"kubernetes.call"});
    CHECK(settings.find("policy.operations")->where == "--policy-operations");
}

TEST_CASE("lists: [] in the file and an empty string in the environment or a flag are the empty list") {
    Settings from_file(specs());
    from_file.load_toml("[policy]\noperations = []\n", "r.toml");
    CHECK(from_file.list("policy.operations").empty());
    CHECK(from_file.find("policy.operations")->origin == Origin::file);

    Settings from_env(specs());
    from_env.load_environment(environment_of({{"TETHER_POLICY_OPERATIONS", ""}}));
    CHECK(from_env.list("policy.operations").empty());

    Settings from_flag(specs());
    from_flag.set_flag("policy.operations", " ");
    CHECK(from_flag.list("policy.operations").empty());
}

TEST_CASE("lists: describe prints them as in the file, with their origin") {
    Settings settings(specs());
    settings.load_toml("[policy]\noperations = [\"system.*\", \"aws.call\"]\n", "r.toml");
    std::string text = settings.describe();
    CHECK(text.find("policy.operations = [\"system.*\", \"aws.call\"]  # file r.toml:2\n") != std::string::npos);
    CHECK(text.find("policy.connections = []  # default\n") != std::string::npos);
}

TEST_CASE("lists: empty items, commas inside items and values that are not arrays of strings are refused") {
    Settings settings(specs());
    CHECK(failure([&] { settings.load_toml("[policy]\noperations = \"system.*\"\n", "r.toml"); }).second ==
          "r.toml:2: policy.operations must be a list of strings, such as [\"a\", \"b\"]");
    CHECK(failure([&] { settings.load_toml("[policy]\noperations = [\"a\", 1]\n", "r.toml"); }).second ==
          "r.toml:2: each item of policy.operations must be a string");
    CHECK(failure([&] { settings.load_toml("[policy]\noperations = [[\"a\"]]\n", "r.toml"); }).second ==
          "r.toml:2: each item of policy.operations must be a string");
    CHECK(failure([&] { settings.load_toml("[policy]\noperations = [\"a,b\"]\n", "r.toml"); }).second ==
          "r.toml:2: an item of policy.operations must not contain a comma");
    CHECK(failure([&] { settings.load_toml("[policy]\noperations = [\"a\", \" \"]\n", "r.toml"); }).second ==
          "r.toml:2: an item of policy.operations is empty");
    CHECK(failure([&] { settings.load_toml("[[policy.operations]]\n", "r.toml"); }).first == ExitCode::config);

    auto [env_code, env_message] =
        failure([&] { settings.load_environment(environment_of({{"TETHER_POLICY_OPERATIONS", "a,,b"}})); });
    CHECK(env_code == ExitCode::config);
    CHECK(env_message ==
          "invalid policy.operations 'a,,b' (from TETHER_POLICY_OPERATIONS): has an empty item (two commas in a row, "
          "or a comma at an end)");
    CHECK(failure([&] { settings.set_flag("policy.operations", "a,"); }).first == ExitCode::usage);
    CHECK(settings.list("policy.operations") == std::vector<std::string>{"system.*"});

    CHECK_FALSE(check_value(Spec{"k", Kind::list}, "a, b").has_value());
    CHECK_FALSE(check_value(Spec{"k", Kind::list}, "").has_value());
    CHECK(check_value(Spec{"k", Kind::list}, ",a").has_value());
}
