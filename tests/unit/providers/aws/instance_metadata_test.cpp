// Instance metadata (IMDSv2): the endpoint, the three requests, the answers.
#include <doctest/doctest.h>

#include "common/aws_profile.h"
#include "common/environment.h"
#include "tether/core/timestamp.h"
#include "tether/providers/aws/instance_metadata.h"

namespace aws = tether::providers::aws;
using tether::ErrorKind;
using tether::Secret;
using tether::testing::default_profile_of;
using tether::testing::environment_of;

namespace {

std::string endpoint(std::map<std::string, std::string> environment, const std::string& config = "[default]\n") {
    auto found = aws::instance_metadata_endpoint(environment_of(std::move(environment)), default_profile_of(config));
    REQUIRE_MESSAGE(found, (found ? "" : found.error().message));
    REQUIRE(found.value());
    return found.value()->to_string();
}

tether::Url base() { return tether::parse_url("http://169.254.169.254").value(); }

}  // namespace

TEST_CASE("the endpoint: IPv4 by default, IPv6 by mode, a configured URL over both") {
    CHECK(endpoint({}) == "http://169.254.169.254:80/");
    CHECK(endpoint({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}) == "http://[fd00:ec2::254]:80/");
    CHECK(endpoint({}, "[default]\nec2_metadata_service_endpoint_mode = ipv6\n") == "http://[fd00:ec2::254]:80/");
    CHECK(endpoint({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338"},
                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}) == "http://127.0.0.1:1338/");
    CHECK(endpoint({}, "[default]\nec2_metadata_service_endpoint = http://[::1]:8\n") == "http://[::1]:8/");
}

TEST_CASE("AWS_EC2_METADATA_DISABLED=true turns it off; bad settings name their origin") {
    auto off = aws::instance_metadata_endpoint(environment_of({{"AWS_EC2_METADATA_DISABLED", "TRUE"}}),
                                               default_profile_of("[default]\n"));
    REQUIRE(off);
    CHECK_FALSE(off.value());
    auto mode = aws::instance_metadata_endpoint(environment_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv5"}}),
                                                default_profile_of("[default]\n"));
    REQUIRE_FALSE(mode);
    CHECK(mode.error().message.find("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: ") == 0);
    auto url = aws::instance_metadata_endpoint(
        environment_of({}), default_profile_of("[default]\nec2_metadata_service_endpoint = 169.254.169.254\n"));
    REQUIRE_FALSE(url);
    CHECK(url.error().message.find("config:2: ") == 0);
}

TEST_CASE("the token PUT, the role list and the role's credentials") {
    auto token_call = aws::imds_token_call(base());
    CHECK(token_call.method == "PUT");
    CHECK(token_call.url.target == "/latest/api/token");
    CHECK(token_call.headers ==
          std::vector<std::pair<std::string, std::string>>{{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}});

    Secret token("TOKEN");
    auto list = aws::imds_role_list_call(base(), token);
    CHECK(list.method == "GET");
    CHECK(list.url.to_string() == "http://169.254.169.254:80/latest/meta-data/iam/security-credentials/");
    CHECK(list.secret_headers.at(0).first == "X-aws-ec2-metadata-token");
    CHECK(list.secret_headers.at(0).second.reveal() == "TOKEN");
    CHECK(aws::imds_role_list_call(base(), Secret()).secret_headers.empty());

    auto role = aws::imds_role_credentials_call(base(), "web-server", token);
    REQUIRE(role);
    CHECK(role.value().url.target == "/latest/meta-data/iam/security-credentials/web-server");
    CHECK_FALSE(aws::imds_role_credentials_call(base(), "../../user-data", token));
    CHECK_FALSE(aws::imds_role_credentials_call(base(), "", token));

    auto prefixed = aws::imds_token_call(tether::parse_url("http://127.0.0.1:1338/imds/").value());
    CHECK(prefixed.url.target == "/imds/latest/api/token");
}

TEST_CASE("the answers: token, first role, credentials") {
    CHECK(aws::parse_imds_token(200, "AQAEAN...==").value().reveal() == "AQAEAN...==");
    CHECK(aws::parse_imds_token(403, "").error().kind == ErrorKind::permission_denied);
    CHECK_FALSE(aws::parse_imds_token(200, ""));
    CHECK(aws::parse_imds_role_list(200, "web-server\nother\n").value() == "web-server");
    CHECK(aws::parse_imds_role_list(404, "").error().kind == ErrorKind::not_found);
    CHECK(aws::parse_imds_role_list(200, "").error().kind == ErrorKind::not_found);
    CHECK(aws::parse_imds_role_list(401, "").error().kind == ErrorKind::unauthenticated);

    auto parsed = aws::parse_imds_credentials(
        200, R"({"Code": "Success", "LastUpdated": "2026-11-29T09:00:00Z", "Type": "AWS-HMAC",
                 "AccessKeyId": "ASIA2", "SecretAccessKey": "S2", "Token": "T2",
                 "Expiration": "2026-11-29T15:00:00Z"})");
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    CHECK(parsed.value().credentials.access_key_id == "ASIA2");
    CHECK(parsed.value().credentials.secret_access_key.reveal() == "S2");
    CHECK(parsed.value().credentials.session_token.reveal() == "T2");
    CHECK(parsed.value().expiration == tether::parse_timestamp("2026-11-29T15:00:00Z").value());
}

TEST_CASE("credentials that are not ready, or incomplete, are errors") {
    auto failed =
        aws::parse_imds_credentials(200, R"({"Code": "AssumeRoleUnauthorizedAccess", "Message": "no trust"})");
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("Code AssumeRoleUnauthorizedAccess: no trust") != std::string::npos);
    CHECK(aws::parse_imds_credentials(200, R"({"AccessKeyId": "A"})").error().message.find("no Code") !=
          std::string::npos);
    CHECK(aws::parse_imds_credentials(200, R"({"Code": "Success", "AccessKeyId": "A", "SecretAccessKey": "S",
                                               "Token": "T"})")
              .error()
              .message.find("no Expiration") != std::string::npos);
    CHECK(aws::parse_imds_credentials(404, "").error().kind == ErrorKind::not_found);
}

TEST_CASE("IMDSv1 fallback is forbidden by AWS_EC2_METADATA_V1_DISABLED or the profile") {
    CHECK_FALSE(aws::imds_v1_disabled(environment_of({}), default_profile_of("[default]\n")));
    CHECK(aws::imds_v1_disabled(environment_of({{"AWS_EC2_METADATA_V1_DISABLED", "True"}}),
                                default_profile_of("[default]\n")));
    CHECK(
        aws::imds_v1_disabled(environment_of({}), default_profile_of("[default]\nec2_metadata_v1_disabled = true\n")));
    CHECK_FALSE(aws::imds_v1_disabled(environment_of({{"AWS_EC2_METADATA_V1_DISABLED", "false"}}),
                                      default_profile_of("[default]\nec2_metadata_v1_disabled = true\n")));
}
