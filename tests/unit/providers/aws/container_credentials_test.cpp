// Container credentials: the request the environment describes, the hosts
// plain http may go to, the authorization token, and the answer.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/environment.h"
#include "tether/core/timestamp.h"
#include "tether/providers/aws/container_credentials.h"

namespace aws = tether::providers::aws;
using tether::ErrorKind;
using tether::testing::environment_of;

namespace {

tether::Result<aws::HttpCall> call_for(std::map<std::string, std::string> environment) {
    return aws::container_credentials_call(environment_of(std::move(environment)));
}

}  // namespace

TEST_CASE("a relative URI goes to the ECS agent at 169.254.170.2") {
    auto call = call_for({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123"}});
    REQUIRE_MESSAGE(call, (call ? "" : call.error().message));
    CHECK(call.value().method == "GET");
    CHECK(call.value().url.to_string() == "http://169.254.170.2:80/v2/credentials/abc-123");
    CHECK(call.value().secret_headers.empty());
    CHECK_FALSE(call_for({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/x"}}));
}

TEST_CASE("a full URI: https anywhere, http only to the allowed hosts") {
    for (const char* allowed : {"https://creds.example.com/x", "http://127.0.0.1:8080/c", "http://127.9.9.9/c",
                                "http://localhost/c", "http://[::1]:9/c", "http://169.254.170.2/c",
                                "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"}) {
        CAPTURE(allowed);
        auto call = call_for({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed}});
        REQUIRE_MESSAGE(call, (call ? "" : call.error().message));
    }
    for (const char* refused : {"http://creds.example.com/x", "http://169.254.169.254/x", "http://10.0.0.1/x",
                                "ftp://localhost/x", "localhost/x"}) {
        CAPTURE(refused);
        auto call = call_for({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", refused}});
        REQUIRE_FALSE(call);
        CHECK(call.error().kind == ErrorKind::invalid_argument);
        CHECK(call.error().message.find("AWS_CONTAINER_CREDENTIALS_FULL_URI: ") == 0);
    }
}

TEST_CASE("the relative URI wins over the full one; neither is failed_precondition") {
    auto call = call_for({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/r"},
                          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://full.example.com/f"}});
    CHECK(call.value().url.to_string() == "http://169.254.170.2:80/r");
    CHECK(call_for({}).error().kind == ErrorKind::failed_precondition);
    CHECK_FALSE(aws::has_container_credentials(environment_of({})));
    CHECK(aws::has_container_credentials(environment_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "x"}})));
}

TEST_CASE("the authorization token: the file wins over the variable; line breaks inside are refused") {
    auto file = std::filesystem::temp_directory_path() / ("tether-ecs-token-" + std::to_string(::getpid()));
    std::ofstream(file) << "from-file\n";
    std::map<std::string, std::string> environment = {
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-variable"}};
    CHECK(call_for(environment).value().secret_headers.at(0).second.reveal() == "from-variable");
    environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = file.string();
    auto call = call_for(environment);
    REQUIRE(call);
    CHECK(call.value().secret_headers.at(0).first == "Authorization");
    CHECK(call.value().secret_headers.at(0).second.reveal() == "from-file");

    std::ofstream(file) << "two\nlines";
    auto broken = call_for(environment);
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.find("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: ") == 0);
    CHECK(broken.error().message.find("two") == std::string::npos);
    std::filesystem::remove(file);
    CHECK(call_for(environment).error().kind == ErrorKind::failed_precondition);
}

TEST_CASE("the answer: AccessKeyId, SecretAccessKey, Token, Expiration") {
    auto parsed = aws::parse_container_credentials(
        200, R"({"RoleArn": "arn:aws:iam::123456789012:role/task", "AccessKeyId": "ASIA1", "SecretAccessKey": "S",
                 "Token": "T", "Expiration": "2026-11-29T15:00:00Z"})");
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    CHECK(parsed.value().credentials.access_key_id == "ASIA1");
    CHECK(parsed.value().credentials.secret_access_key.reveal() == "S");
    CHECK(parsed.value().credentials.session_token.reveal() == "T");
    CHECK(parsed.value().expiration == tether::parse_timestamp("2026-11-29T15:00:00Z").value());
}

TEST_CASE("bad answers and error statuses") {
    CHECK(aws::parse_container_credentials(200, R"({"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T"})")
              .error()
              .message.find("no Expiration") != std::string::npos);
    CHECK(aws::parse_container_credentials(200, R"({"AccessKeyId": "A", "SecretAccessKey": "S"})")
              .error()
              .message.find("no Token") != std::string::npos);
    CHECK(aws::parse_container_credentials(200, "not json").error().kind == ErrorKind::invalid_argument);
    auto denied = aws::parse_container_credentials(403, R"({"code": "AccessDenied", "message": "bad token"})");
    REQUIRE_FALSE(denied);
    CHECK(denied.error().kind == ErrorKind::permission_denied);
    CHECK(denied.error().message == "the container credentials endpoint answered HTTP 403: AccessDenied: bad token");
    CHECK(aws::parse_container_credentials(500, "").error().kind == ErrorKind::unavailable);
}
