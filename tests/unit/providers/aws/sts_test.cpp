// STS: the endpoint for a region, the form bodies of AssumeRole and
// AssumeRoleWithWebIdentity, and the answers (tests/data/aws-sts, in the
// shapes the STS API reference documents).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/aws_profile.h"
#include "common/environment.h"
#include "tether/core/timestamp.h"
#include "tether/providers/aws/sts.h"

namespace aws = tether::providers::aws;
using namespace std::chrono_literals;
using tether::ErrorKind;
using tether::testing::default_profile_of;
using tether::testing::environment_of;

namespace {

std::string sample(const std::string& name) {
    std::ifstream in(std::filesystem::path(TETHER_SOURCE_DIR) / "tests" / "data" / "aws-sts" / name);
    REQUIRE_MESSAGE(in, "no sample " << name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string endpoint(std::string_view region, std::map<std::string, std::string> environment = {},
                     const std::string& config = "[default]\n") {
    auto found = aws::sts_endpoint(region, environment_of(std::move(environment)), default_profile_of(config));
    REQUIRE_MESSAGE(found, (found ? "" : found.error().message));
    return found.value().url;
}

aws::StsEndpoint regional() { return {"https://sts.eu-west-1.amazonaws.com", "eu-west-1"}; }

}  // namespace

TEST_CASE("STS endpoints: regional by default, global only for legacy regions in legacy mode") {
    CHECK(endpoint("eu-west-1") == "https://sts.eu-west-1.amazonaws.com");
    CHECK(endpoint("cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn");
    CHECK(endpoint("us-east-1", {{"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}}) == "https://sts.amazonaws.com");
    CHECK(endpoint("us-east-1", {}, "[default]\nsts_regional_endpoints = legacy\n") == "https://sts.amazonaws.com");
    CHECK(endpoint("af-south-1", {{"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}}) == "https://sts.af-south-1.amazonaws.com");
    CHECK(endpoint("us-east-1", {{"AWS_STS_REGIONAL_ENDPOINTS", "regional"}},
                   "[default]\nsts_regional_endpoints = legacy\n") == "https://sts.us-east-1.amazonaws.com");
    CHECK(endpoint("") == "https://sts.amazonaws.com");
    auto global = aws::sts_endpoint("aws-global", environment_of({}), default_profile_of("[default]\n"));
    CHECK(global.value().signing_region == "us-east-1");
}

TEST_CASE("configured STS endpoints win: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, services, endpoint_url") {
    CHECK(endpoint("eu-west-1", {{"AWS_ENDPOINT_URL_STS", "http://localhost:4566"},
                                 {"AWS_ENDPOINT_URL", "http://x:1"}}) == "http://localhost:4566");
    CHECK(endpoint("eu-west-1", {{"AWS_ENDPOINT_URL", "http://x:1"}}) == "http://x:1");
    auto found = aws::sts_endpoint("eu-west-1", environment_of({{"AWS_ENDPOINT_URL", "http://x:1"}}),
                                   default_profile_of("[default]\n"));
    CHECK(found.value().signing_region == "eu-west-1");
}

TEST_CASE("bad STS settings are refused, naming where they come from") {
    auto bad_mode = aws::sts_endpoint("eu-west-1", environment_of({}),
                                      default_profile_of("[default]\nsts_regional_endpoints = global\n"));
    REQUIRE_FALSE(bad_mode);
    CHECK(bad_mode.error().message.find("config:2: sts_regional_endpoints is 'global'") != std::string::npos);
    CHECK_FALSE(aws::sts_endpoint("eu-west-1/../x", environment_of({}), default_profile_of("[default]\n")));
    CHECK_FALSE(aws::sts_endpoint("eu-west-1", environment_of({{"AWS_ENDPOINT_URL_STS", "ftp://x"}}),
                                  default_profile_of("[default]\n")));
}

TEST_CASE("AssumeRole: the form body, in STS's parameter names") {
    aws::AssumeRoleParameters parameters{"arn:aws:iam::123456789012:role/admin role", "dev@session", 3600s,
                                         std::string("ext:id/1")};
    parameters.role_arn = "arn:aws:iam::123456789012:role/admin";
    auto call = aws::assume_role_call(regional(), parameters);
    REQUIRE_MESSAGE(call, (call ? "" : call.error().message));
    CHECK(call.value().method == "POST");
    CHECK(call.value().url.to_string() == "https://sts.eu-west-1.amazonaws.com:443/");
    CHECK(call.value().headers.at(0).second == "application/x-www-form-urlencoded; charset=utf-8");
    CHECK(call.value().body.reveal() ==
          "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fadmin"
          "&RoleSessionName=dev%40session&DurationSeconds=3600&ExternalId=ext%3Aid%2F1");
    parameters.duration.reset();
    parameters.external_id.reset();
    CHECK(aws::assume_role_call(regional(), parameters).value().body.reveal().find("Duration") == std::string::npos);
}

TEST_CASE("AssumeRole parameters that STS would refuse are refused here") {
    aws::AssumeRoleParameters good{"arn:aws:iam::123456789012:role/admin", "session", std::nullopt, std::nullopt};
    auto refused = [&](aws::AssumeRoleParameters parameters) {
        auto call = aws::assume_role_call(regional(), parameters);
        return !call && call.error().kind == ErrorKind::invalid_argument;
    };
    auto p = good;
    p.role_arn = "admin";
    CHECK(refused(p));
    p = good;
    p.role_session_name = "has space";
    CHECK(refused(p));
    p.role_session_name = "x";
    CHECK(refused(p));
    p.role_session_name = std::string(65, 'x');
    CHECK(refused(p));
    p = good;
    p.duration = 899s;
    CHECK(refused(p));
    p.duration = 43'201s;
    CHECK(refused(p));
    p = good;
    p.external_id = "a b";
    CHECK(refused(p));
    CHECK_FALSE(refused(good));
}

TEST_CASE("AssumeRoleWithWebIdentity: the token goes in the body, and only there") {
    aws::WebIdentityParameters parameters{"arn:aws:iam::123456789012:role/ci", "ci-run", tether::Secret("eyJ.a+b/c="),
                                          900s};
    auto call = aws::assume_role_with_web_identity_call(regional(), parameters);
    REQUIRE(call);
    CHECK(call.value().body.reveal() ==
          "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci"
          "&RoleSessionName=ci-run&WebIdentityToken=eyJ.a%2Bb%2Fc%3D&DurationSeconds=900");
    parameters.web_identity_token = tether::Secret("abc");
    auto short_token = aws::assume_role_with_web_identity_call(regional(), parameters);
    REQUIRE_FALSE(short_token);
    CHECK(short_token.error().message.find("abc") == std::string::npos);
}

TEST_CASE("an AssumeRole answer gives keys, token and expiration") {
    auto parsed = aws::parse_assume_role_response(200, sample("assume_role.xml"));
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    CHECK(parsed.value().credentials.access_key_id == "ASIAIOSFODNN7EXAMPLE");
    CHECK(parsed.value().credentials.secret_access_key.reveal() == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    CHECK(parsed.value().credentials.session_token.reveal().substr(0, 12) == "AQoDYXdzEPT/");
    CHECK(parsed.value().credentials.session_token.reveal().back() == '=');
    CHECK(parsed.value().expiration == tether::parse_timestamp("2019-11-09T13:34:41Z").value());
}

TEST_CASE("an AssumeRoleWithWebIdentity answer, and the other action's answer is not one") {
    auto parsed = aws::parse_assume_role_with_web_identity_response(200, sample("assume_role_with_web_identity.xml"));
    REQUIRE(parsed);
    CHECK(parsed.value().credentials.access_key_id == "ASgeIAIOSFODNN7EXAMPLE");
    CHECK(parsed.value().expiration == tether::parse_timestamp("2014-10-24T23:00:23.521Z").value());
    auto crossed = aws::parse_assume_role_response(200, sample("assume_role_with_web_identity.xml"));
    REQUIRE_FALSE(crossed);
    CHECK(crossed.error().kind == ErrorKind::unavailable);
}

TEST_CASE("STS errors carry Code and Message and map to kinds") {
    struct Expected {
        const char* file;
        unsigned status;
        ErrorKind kind;
        const char* code;
    };
    for (const auto& e :
         {Expected{"access_denied.xml", 403, ErrorKind::permission_denied, "AccessDenied"},
          Expected{"expired_token.xml", 400, ErrorKind::unauthenticated, "ExpiredToken"},
          Expected{"invalid_identity_token.xml", 400, ErrorKind::unauthenticated, "InvalidIdentityToken"},
          Expected{"throttling.xml", 400, ErrorKind::unavailable, "Throttling"}}) {
        CAPTURE(e.file);
        auto parsed = aws::parse_assume_role_response(e.status, sample(e.file));
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == e.kind);
        CHECK(parsed.error().message.find(std::string("STS AssumeRole failed: ") + e.code + ": ") == 0);
        CHECK(parsed.error().message.find("(request id ") != std::string::npos);
    }
    auto denied = aws::parse_assume_role_response(403, sample("access_denied.xml"));
    CHECK(denied.error().message.find("is not authorized to perform: sts:AssumeRole") != std::string::npos);
}

TEST_CASE("answers that are not STS's XML are unavailable, without quoting them") {
    auto html = aws::parse_assume_role_response(502, "<html><body>Bad Gateway SECRET");
    REQUIRE_FALSE(html);
    CHECK(html.error().kind == ErrorKind::unavailable);
    CHECK(html.error().message.find("SECRET") == std::string::npos);
    auto not_xml = aws::parse_assume_role_response(200, "{\"json\": true}");
    CHECK(not_xml.error().kind == ErrorKind::unavailable);
    std::string missing = sample("assume_role.xml");
    missing.replace(missing.find("<Expiration>"), 45, "");
    auto no_expiration = aws::parse_assume_role_response(200, missing);
    REQUIRE_FALSE(no_expiration);
    CHECK(no_expiration.error().message.find("without Expiration") != std::string::npos);
    CHECK(aws::parse_assume_role_response(404, "<Other/>").error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("answers captured from moto's STS read the same way") {
    auto role = aws::parse_assume_role_response(200, sample("moto_assume_role.xml"));
    REQUIRE_MESSAGE(role, (role ? "" : role.error().message));
    CHECK(role.value().credentials.access_key_id == "ASIARZPUZDIKMOSJAQTA");
    CHECK(role.value().credentials.session_token.reveal().substr(0, 8) == "FQoGZXIv");
    CHECK(role.value().expiration == tether::parse_timestamp("2026-11-29T15:58:59.547464Z").value());
    auto web = aws::parse_assume_role_with_web_identity_response(200, sample("moto_assume_role_with_web_identity.xml"));
    REQUIRE(web);
    CHECK(web.value().credentials.secret_access_key.reveal() == "nC48mluoww1uViUAIWMARuWEFncyVpCpYo+MlxZT");
    auto failed = aws::parse_assume_role_response(500, sample("moto_internal_error.html"));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().kind == ErrorKind::unavailable);
    CHECK(failed.error().message.find("HTTP 500") != std::string::npos);
}
