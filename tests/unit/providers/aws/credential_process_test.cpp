// credential_process: the output format, its errors, and a real program
// named by a profile.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/aws_profile.h"
#include "common/environment.h"
#include "tether/core/timestamp.h"
#include "tether/providers/aws/credential_process.h"

namespace aws = tether::providers::aws;
namespace fs = std::filesystem;
using tether::ErrorKind;
using tether::testing::default_profile_of;

namespace {

std::string error_of(std::string_view output) {
    auto parsed = aws::parse_credential_process_output(output, "/bin/helper");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    CHECK(parsed.error().message.find("/bin/helper") != std::string::npos);
    CHECK(parsed.error().message.find("SECRETVALUE") == std::string::npos);
    return parsed.error().message;
}

}  // namespace

TEST_CASE("the full answer: keys, token and expiration") {
    auto parsed = aws::parse_credential_process_output(
        R"({"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "SECRET", "SessionToken": "TOKEN",
            "Expiration": "2026-11-29T15:00:00Z", "AccountId": "123456789012"})",
        "/bin/helper");
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    CHECK(parsed.value().credentials.access_key_id == "AKID");
    CHECK(parsed.value().credentials.secret_access_key.reveal() == "SECRET");
    CHECK(parsed.value().credentials.session_token.reveal() == "TOKEN");
    CHECK(parsed.value().expiration == tether::parse_timestamp("2026-11-29T15:00:00Z").value());
}

TEST_CASE("long-term keys: no token, no expiration") {
    auto parsed = aws::parse_credential_process_output(
        R"({"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "SECRET", "SessionToken": null})", "x");
    REQUIRE(parsed);
    CHECK(parsed.value().credentials.session_token.empty());
    CHECK_FALSE(parsed.value().expiration);
}

TEST_CASE("every malformed answer is refused, naming the program and what is wrong, never a value") {
    CHECK(error_of("SECRETVALUE").find("not JSON") != std::string::npos);
    CHECK(error_of(R"(["SECRETVALUE"])").find("not an object") != std::string::npos);
    CHECK(error_of(R"({"AccessKeyId": "A", "SecretAccessKey": "SECRETVALUE"})").find("no Version") !=
          std::string::npos);
    CHECK(error_of(R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "SECRETVALUE"})").find("Version 2") !=
          std::string::npos);
    CHECK(error_of(R"({"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "SECRETVALUE"})").find("Version \"1\"") !=
          std::string::npos);
    CHECK(error_of(R"({"Version": 1})").find("no AccessKeyId and SecretAccessKey") != std::string::npos);
    CHECK(error_of(R"({"Version": 1, "AccessKeyId": "A"})").find("no SecretAccessKey") != std::string::npos);
    CHECK(error_of(R"({"Version": 1, "AccessKeyId": "", "SecretAccessKey": "SECRETVALUE"})").find("no AccessKeyId") !=
          std::string::npos);
    CHECK(error_of(R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": 5})").find("not a string") !=
          std::string::npos);
    CHECK(error_of(R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "SECRETVALUE", "Expiration": "soon"})")
              .find("Expiration") != std::string::npos);
}

TEST_CASE("the command line is split like botocore's shlex.split; errors name the line, not the command") {
    auto request = aws::credential_process_request(R"(/usr/bin/helper --profile "my dev" 'a\b')", "config:3");
    REQUIRE(request);
    CHECK(request.value().argv == std::vector<std::string>{"/usr/bin/helper", "--profile", "my dev", "a\\b"});
    auto bad = aws::credential_process_request("helper --key 'SECRETVALUE", "config:3");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("config:3: credential_process") == 0);
    CHECK(bad.error().message.find("SECRETVALUE") == std::string::npos);
    CHECK_FALSE(aws::credential_process_request("   ", "config:3"));
}

TEST_CASE("a profile's credential_process runs and its answer comes back") {
    fs::path script = fs::temp_directory_path() / ("tether-credential-process-" + std::to_string(::getpid()));
    std::ofstream(script) << "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": "
                             "\"S\", \"Expiration\": \"2026-11-29T15:00:00Z\"}' \"$1\"\n";
    fs::permissions(script, fs::perms::owner_all);
    auto environment = tether::testing::environment_of({{"PATH", "/usr/bin:/bin"}});
    auto fetched = aws::run_credential_process(
        default_profile_of("[default]\ncredential_process = " + script.string() + " \"AK ID\"\n"), environment);
    REQUIRE_MESSAGE(fetched, (fetched ? "" : fetched.error().message));
    CHECK(fetched.value().credentials.access_key_id == "AK ID");

    std::ofstream(script) << "#!/bin/sh\necho 'no SSO session' >&2\nexit 2\n";
    auto failed = aws::run_credential_process(
        default_profile_of("[default]\ncredential_process = " + script.string() + "\n"), environment);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message == script.string() + " failed with exit code 2: no SSO session");
    fs::remove(script);

    auto none = aws::run_credential_process(default_profile_of("[default]\nregion = r\n"), environment);
    REQUIRE_FALSE(none);
    CHECK(none.error().kind == ErrorKind::failed_precondition);
}
