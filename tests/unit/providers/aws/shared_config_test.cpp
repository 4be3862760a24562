// The shared config and credentials files: the INI dialect, every error it
// refuses, profile names, file paths and the typed accessors.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/environment.h"
#include "tether/providers/aws/config_file.h"
#include "tether/providers/aws/shared_config.h"
#include "common/files.h"

namespace aws = tether::providers::aws;
namespace fs = std::filesystem;
using tether::ErrorKind;
using tether::testing::environment_of;

namespace {

aws::IniFile parse(std::string_view text) {
    auto parsed = aws::parse_ini(text, "config");
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    return std::move(parsed).value();
}

std::string error_of(std::string_view text) {
    auto parsed = aws::parse_ini(text, "config");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    return parsed.error().message;
}

const aws::Setting& setting(const aws::IniFile& file, std::size_t section, const std::string& key) {
    REQUIRE(section < file.sections.size());
    auto found = file.sections[section].settings.find(key);
    REQUIRE_MESSAGE(found != file.sections[section].settings.end(), "no key " << key);
    return found->second;
}

using tether::testing::TempDir;

}  // namespace

TEST_CASE("keys are trimmed and lower-cased, values trimmed; '=' or ':' splits at the first") {
    auto file = parse("[default]\n  Region = us-east-1 \nAWS_Access_Key_ID:AKID\nurl = http://h:1/a=b\n");
    CHECK(setting(file, 0, "region").value == "us-east-1");
    CHECK(setting(file, 0, "aws_access_key_id").value == "AKID");
    CHECK(setting(file, 0, "url").value == "http://h:1/a=b");
    CHECK(setting(file, 0, "region").where == "config:2");
}

TEST_CASE("full-line comments are skipped; a '#' or ';' inside a line stays in the value") {
    auto file =
        parse("# top\n[default]\n; comment\n  # indented comment\nregion = us-west-2 # not a comment\nk = a;b\n");
    CHECK(setting(file, 0, "region").value == "us-west-2 # not a comment");
    CHECK(setting(file, 0, "k").value == "a;b");
}

TEST_CASE("indented lines continue a value; after an empty value they are a nested block") {
    auto file =
        parse("[default]\nlong = one\n  two\n\n  three\n\ns3 =\n  addressing_style = path\n  Signature_Version=s3v4\n");
    CHECK(setting(file, 0, "long").value == "one\ntwo\n\nthree");
    const auto& s3 = setting(file, 0, "s3");
    CHECK(s3.is_nested);
    CHECK(s3.nested.at("addressing_style") == "path");
    CHECK(s3.nested.at("Signature_Version") == "s3v4");
}

TEST_CASE("[DEFAULT] gives fallbacks to every section; CRLF and CR line ends are line ends") {
    auto file = parse("[DEFAULT]\r\nregion = eu-west-1\r\n[a]\rregion = us-east-2\r[b]\nx = 1\n");
    REQUIRE(file.sections.size() == 2);
    CHECK(setting(file, 0, "region").value == "us-east-2");
    CHECK(setting(file, 1, "region").value == "eu-west-1");
}

TEST_CASE("section names are what lies between the first '[' and the last ']'") {
    auto file = parse("[profile a]b]\nx = 1\n[ spaced ]\ny = 2\n");
    CHECK(file.sections[0].name == "profile a]b");
    CHECK(file.sections[1].name == " spaced ");
}

TEST_CASE("every malformed line is refused with its file and line") {
    CHECK(error_of("region = us-east-1\n") == "config:1: a setting before any [section] header");
    CHECK(error_of("[default]\nregion\n").find("config:2:") == 0);
    CHECK(error_of("[default]\n= value\n").find("config:2: a setting with no name") == 0);
    CHECK(error_of("[a]\nx = 1\n[a]\n") == "config:3: section [a] appears a second time (first at config:1)");
    CHECK(error_of("[a]\nx = 1\nX = 2\n") == "config:3: 'x' is set a second time in [a] (first at config:2)");
    CHECK(error_of("[a]\ns3 =\n  style path\n") ==
          "config:3: a line of the nested block under 's3' is not \"key = value\"");
    CHECK(error_of("[]\n").find("config:1: a setting before any") == 0);
}

TEST_CASE("errors never quote a value") {
    std::string message = error_of("[a]\naws_secret_access_key = hunter2\naws_secret_access_key = hunter2\n");
    CHECK(message.find("hunter2") == std::string::npos);
    message = error_of("[a]\ns =\n  hunter2\n");
    CHECK(message.find("hunter2") == std::string::npos);
}

TEST_CASE("profiles: [profile x] and [default] in config, [x] in credentials, whose keys win") {
    auto config = parse(
        "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\naws_access_key_id = A\n"
        "[profile \"two words\"]\nx = 1\n[profile a b]\ny = 1\n[sso-session s]\nsso_region = r\n"
        "[services local]\nsts =\n  endpoint_url = http://localhost:4566\n[plain]\nz = 1\n");
    auto credentials = parse("[dev]\naws_access_key_id = B\naws_secret_access_key = S\n[other]\nk = v\n");
    auto shared = aws::merge_shared_config(config, credentials);
    CHECK(shared.profiles.size() == 4);  // default, dev, "two words", other
    CHECK(shared.profiles.count("two words") == 1);
    CHECK(shared.sso_sessions.count("s") == 1);
    auto dev = shared.profile("dev");
    REQUIRE(dev);
    CHECK(dev.value().access_key_id() == "B");
    CHECK(dev.value().secret_access_key().reveal() == "S");
    CHECK(dev.value().region() == "eu-west-1");
    CHECK(dev.value().session_token().empty());
    CHECK(shared.profile("missing").error().kind == ErrorKind::not_found);
}

TEST_CASE("a profile's services section gives per-service endpoint URLs") {
    auto config = parse(
        "[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = http://localhost:4566\n"
        "[profile broken]\nservices = nowhere\n");
    auto shared = aws::merge_shared_config(config, {});
    auto url = shared.profile("default").value().service_endpoint_url("sts");
    REQUIRE(url);
    CHECK(url.value() == "http://localhost:4566");
    CHECK(shared.profile("default").value().service_endpoint_url("s3").value() == std::nullopt);
    auto broken = shared.profile("broken").value().service_endpoint_url("sts");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.find("config:7") != std::string::npos);
}

TEST_CASE("duration_seconds is checked and its errors name the line") {
    auto shared = aws::merge_shared_config(parse("[profile a]\nduration_seconds = 3600\n[profile b]\n"
                                                 "duration_seconds = 60\n[profile c]\nduration_seconds = 1h\n"),
                                           {});
    CHECK(shared.profile("a").value().duration_seconds().value() == std::chrono::seconds(3600));
    auto b = shared.profile("b").value().duration_seconds();
    REQUIRE_FALSE(b);
    CHECK(b.error().message.find("config:4: duration_seconds '60'") == 0);
    CHECK_FALSE(shared.profile("c").value().duration_seconds());
}

TEST_CASE("session_token falls back to aws_security_token") {
    auto shared = aws::merge_shared_config(parse("[default]\naws_security_token = old\n"), {});
    CHECK(shared.profile("default").value().session_token().reveal() == "old");
}

TEST_CASE("file paths: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE with ~, else under HOME") {
    auto paths = aws::shared_config_paths(environment_of({{"HOME", "/home/u"}}));
    REQUIRE(paths);
    CHECK(paths.value().config_file == "/home/u/.aws/config");
    CHECK(paths.value().credentials_file == "/home/u/.aws/credentials");
    paths = aws::shared_config_paths(
        environment_of({{"HOME", "/h"}, {"AWS_CONFIG_FILE", "~/c"}, {"AWS_SHARED_CREDENTIALS_FILE", "/abs/k"}}));
    CHECK(paths.value().config_file == "/h/c");
    CHECK(paths.value().credentials_file == "/abs/k");
    paths = aws::shared_config_paths(environment_of(
        {{"HOME", "/h"}, {"D", "/d"}, {"AWS_CONFIG_FILE", "$D/c${D}x$UNSET/${U}$"}, {"AWS_SHARED_CREDENTIALS_FILE", "${D"}}));
    CHECK(paths.value().config_file == "/d/c/dx$UNSET/${U}$");
    CHECK(paths.value().credentials_file == "${D");
    auto no_home = aws::shared_config_paths(environment_of({}));
    REQUIRE_FALSE(no_home);
    CHECK(no_home.error().kind == ErrorKind::failed_precondition);
}

TEST_CASE("profile name: explicit, else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else default") {
    CHECK(aws::profile_name(environment_of({{"AWS_PROFILE", "p"}}), std::string("x")) == "x");
    CHECK(aws::profile_name(environment_of({{"AWS_PROFILE", "p"}, {"AWS_DEFAULT_PROFILE", "d"}})) == "p");
    CHECK(aws::profile_name(environment_of({{"AWS_DEFAULT_PROFILE", "d"}})) == "d");
    CHECK(aws::profile_name(environment_of({{"AWS_PROFILE", ""}})) == "default");
}

TEST_CASE("load_profile: missing files are empty; a chosen profile must exist, the default need not") {
    TempDir dir;
    auto empty = aws::load_profile(environment_of({{"HOME", dir.path.string()}}));
    REQUIRE(empty);
    CHECK(empty.value().settings().empty());
    auto chosen = aws::load_profile(environment_of({{"HOME", dir.path.string()}, {"AWS_PROFILE", "nope"}}));
    REQUIRE_FALSE(chosen);
    CHECK(chosen.error().kind == ErrorKind::not_found);

    dir.write("config", "[profile dev]\nregion = r\n[broken\n");
    auto broken = aws::load_profile(
        environment_of({{"HOME", dir.path.string()}, {"AWS_CONFIG_FILE", (dir.path / "config").string()}}));
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.find((dir.path / "config").string() + ":3:") == 0);
}

TEST_CASE("a broken nested block in [DEFAULT] matters only to sections that inherit it") {
    CHECK(aws::parse_ini("[DEFAULT]\ns3 =\n  broken\n[a]\ns3 = mine\n", "config"));
    CHECK_FALSE(aws::parse_ini("[DEFAULT]\ns3 =\n  broken\n[a]\nx = 1\n", "config"));
    CHECK(aws::parse_ini("[DEFAULT]\ns3 =\n  broken\n", "config"));
}
