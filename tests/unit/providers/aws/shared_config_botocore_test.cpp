// Random config and credentials files, resolved by tether and by botocore
// (tests/oracles/botocore_config.py): both must find the same profile with
// the same keys and values, or both refuse the files. The seed is printed
// on failure; TETHER_AWS_CONFIG_SEED replays one.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "common/botocore.h"
#include "common/environment.h"
#include "tether/providers/aws/shared_config.h"

namespace aws = tether::providers::aws;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int case_count = 300;

struct ConfigGenerator {
    std::mt19937_64 random;

    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); }
    bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
    template <typename T>
    const T& pick(const std::vector<T>& from) {
        return from[below(from.size())];
    }

    std::string key() {
        static const std::vector<std::string> keys = {"region",
                                                      "aws_access_key_id",
                                                      "aws_secret_access_key",
                                                      "aws_session_token",
                                                      "role_arn",
                                                      "source_profile",
                                                      "credential_process",
                                                      "output",
                                                      "endpoint_url",
                                                      "s3",
                                                      "x"};
        std::string name = pick(keys);
        if (chance(20)) {
            for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        return name;
    }

    std::string value() {
        static const std::vector<std::string> values = {"us-east-1",
                                                        "AKIDEXAMPLE",
                                                        "wJalr/K7MDENG+bPxRfiCY",
                                                        "a # not a comment",
                                                        "b ; neither",
                                                        "http://localhost:4566",
                                                        "arn:aws:iam::123456789012:role/r",
                                                        "/bin/echo \"a b\" 'c'",
                                                        "x=y",
                                                        "p:q",
                                                        ""};
        return pick(values);
    }

    std::string delimiter() {
        static const std::vector<std::string> delimiters = {" = ", "=", " =", ": ", ":", "  =  "};
        return pick(delimiters);
    }

    std::string section_body() {
        std::string out;
        std::set<std::string> used;
        for (std::size_t i = 0, n = below(5); i < n; ++i) {
            std::string name = key();
            std::string lower = name;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (!used.insert(lower).second && !chance(5)) continue;  // now and then a duplicate key
            if (chance(15)) out += pick(std::vector<std::string>{"# comment\n", "; comment\n", "  # indented\n", "\n"});
            std::string indent = chance(10) ? pick(std::vector<std::string>{" ", "\t"}) : "";
            if (chance(15)) {
                out += indent + name + (chance(50) ? " =\n" : ":\n\n") +
                       "    addressing_style = path\n    Endpoint_URL= http://n:1=2\n";
                if (chance(5)) out += "    broken line\n";
            } else {
                out += indent + name + delimiter() + value() + "\n";
                if (chance(10)) out += "   continued" + std::string(chance(50) ? "\n\n   more\n" : "\n");
                if (chance(5)) out += "  # a comment inside a value\n\t tabbed = continuation\n";
            }
        }
        return out;
    }

    std::string config_file() {
        static const std::vector<std::string> headers = {"[default]",
                                                         "[profile default]",
                                                         "[profile dev]",
                                                         "[profile \"two words\"]",
                                                         "[profile a b]",
                                                         "[profilex dev]",
                                                         "[ profile dev]",
                                                         "[sso-session s]",
                                                         "[services local]",
                                                         "[DEFAULT]",
                                                         "[prod]",
                                                         "[profile prod] trailing text",
                                                         "[profile 'two words']",
                                                         "\t[profile dev]",
                                                         "[profile dev]\r"};
        std::string out;
        if (chance(5)) out += "orphan = 1\n";
        std::set<std::string> used;
        for (std::size_t i = 0, n = 1 + below(4); i < n; ++i) {
            std::string header = pick(headers);
            if (!used.insert(header).second && !chance(5)) continue;  // now and then a duplicate section
            out += header + "\n" + section_body();
        }
        return out;
    }

    std::string credentials_file() {
        static const std::vector<std::string> headers = {"[default]", "[dev]", "[prod]", "[profile dev]"};
        std::string out;
        std::set<std::string> used;
        for (std::size_t i = 0, n = below(3); i < n; ++i) {
            std::string header = pick(headers);
            if (!used.insert(header).second) continue;
            out += header + "\n" + section_body();
        }
        return out;
    }
};

struct ConfigCase {
    std::map<std::string, std::string> environment;
    std::optional<std::string> explicit_profile;
};

json to_json(const aws::Section& section) {
    json settings = json::object();
    for (const auto& [key, setting] : section) {
        if (setting.is_nested) {
            settings[key] = setting.nested;
        } else {
            settings[key] = setting.value;
        }
    }
    return settings;
}

// Ours, in the oracle's shape.
json resolve(const ConfigCase& c) {
    auto profile = aws::load_profile(tether::testing::environment_of(c.environment), c.explicit_profile);
    if (!profile) {
        return {{"ok", false}, {"kind", tether::to_string(profile.error().kind)}, {"message", profile.error().message}};
    }
    json services = json::object();
    auto shared = aws::load_shared_config(tether::testing::environment_of(c.environment));
    REQUIRE(shared);
    for (const auto& [name, section] : shared.value().services) services[name] = to_json(section);
    return {{"ok", true}, {"profile", to_json(profile.value().settings())}, {"services", services}};
}

}  // namespace

TEST_CASE("random config files: tether resolves the profile botocore resolves") {
    std::uint64_t seed = std::random_device{}();
    if (const char* fixed = std::getenv("TETHER_AWS_CONFIG_SEED")) seed = std::strtoull(fixed, nullptr, 10);
    CAPTURE(seed);
    ConfigGenerator generate{std::mt19937_64(seed)};

    fs::path dir = fs::temp_directory_path() / ("tether-aws-config-oracle-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::vector<ConfigCase> cases;
    std::string input;
    static const std::vector<std::string> profiles = {"default", "dev", "prod", "two words", "missing"};
    for (int i = 0; i < case_count; ++i) {
        fs::path home = dir / std::to_string(i);
        fs::create_directories(home / ".aws");
        ConfigCase c;
        c.environment["HOME"] = home.string();
        std::string config = generate.config_file();
        // Half use ~/.aws/config, half AWS_CONFIG_FILE (sometimes with ~).
        if (generate.chance(50)) {
            std::ofstream(home / ".aws" / "config", std::ios::binary) << config;
        } else {
            std::ofstream(home / "elsewhere", std::ios::binary) << config;
            c.environment["AWS_CONFIG_FILE"] = generate.pick(std::vector<std::string>{
                "~/elsewhere", "$HOME/elsewhere", "${HOME}/elsewhere", (home / "elsewhere").string()});
        }
        if (generate.chance(70)) {
            std::ofstream(home / "creds", std::ios::binary) << generate.credentials_file();
            c.environment["AWS_SHARED_CREDENTIALS_FILE"] = (home / "creds").string();
        }
        std::size_t choice = generate.below(3);
        if (choice == 1) c.environment["AWS_PROFILE"] = generate.pick(profiles);
        if (choice == 2) c.explicit_profile = generate.pick(profiles);
        json line = {{"env", c.environment},
                     {"profile", c.explicit_profile ? json(*c.explicit_profile) : json(nullptr)}};
        input += line.dump() + "\n";
        cases.push_back(std::move(c));
    }
    std::ofstream(dir / "input.jsonl") << input;
    std::string output = tether::testing::run_oracle("botocore_config.py", "< " + (dir / "input.jsonl").string());

    std::istringstream lines(output);
    std::size_t agreed_ok = 0;
    std::size_t agreed_not_found = 0;
    std::size_t agreed_error = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        std::string line;
        REQUIRE(std::getline(lines, line));
        json expected = json::parse(line);
        json ours = resolve(cases[i]);
        std::string home = cases[i].environment["HOME"];
        CAPTURE(i);
        CAPTURE(tether::testing::read_text(home + "/.aws/config") + tether::testing::read_text(home + "/elsewhere"));
        CAPTURE(tether::testing::read_text(home + "/creds"));
        CAPTURE(ours.dump());
        CAPTURE(expected.dump());
        REQUIRE(ours["ok"] == expected["ok"]);
        if (expected["ok"]) {
            CHECK(ours["profile"] == expected["profile"]);
            CHECK(ours["services"] == expected["services"]);
            ++agreed_ok;
        } else {
            std::string kind = expected["error"] == "ProfileNotFound" ? "not_found" : "invalid_argument";
            CHECK(ours["kind"] == kind);
            ++(kind == "not_found" ? agreed_not_found : agreed_error);
        }
    }
    fs::remove_all(dir);
    MESSAGE("agreed on " << agreed_ok << " profiles, " << agreed_not_found << " missing profiles and " << agreed_error
                         << " refused files");
    CHECK(agreed_ok > case_count / 3);
}
