// Endpoint URLs by the SDKs' convention: service variable, global
// variable, services section, profile, default.
#include <doctest/doctest.h>

#include "common/aws_profile.h"
#include "common/environment.h"
#include "tether/providers/aws/endpoints.h"

namespace aws = tether::providers::aws;
using tether::testing::default_profile_of;
using tether::testing::environment_of;

namespace {

const std::string services_config =
    "[default]\nservices = local\nendpoint_url = http://profile:1\n"
    "[services local]\nsecrets_manager =\n  endpoint_url = http://services:2\n";

std::string endpoint(std::string_view service, std::map<std::string, std::string> environment,
                     const std::string& config = "[default]\n") {
    auto found =
        aws::service_endpoint(service, "eu-west-1", environment_of(std::move(environment)), default_profile_of(config));
    REQUIRE_MESSAGE(found, (found ? "" : found.error().message));
    return found.value();
}

}  // namespace

TEST_CASE("the order: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, services section, profile, default") {
    std::map<std::string, std::string> both = {{"AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://service-env:3"},
                                               {"AWS_ENDPOINT_URL", "http://global-env:4"}};
    CHECK(endpoint("Secrets Manager", both, services_config) == "http://service-env:3");
    CHECK(endpoint("Secrets Manager", {{"AWS_ENDPOINT_URL", "http://global-env:4"}}, services_config) ==
          "http://global-env:4");
    CHECK(endpoint("Secrets Manager", {}, services_config) == "http://services:2");
    CHECK(endpoint("STS", {}, services_config) == "http://profile:1");
    CHECK(endpoint("STS", {}) == "https://sts.eu-west-1.amazonaws.com");
}

TEST_CASE("configured endpoints can be ignored, by environment or profile") {
    CHECK(endpoint("STS", {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}, {"AWS_ENDPOINT_URL", "http://x:1"}},
                   services_config) == "https://sts.eu-west-1.amazonaws.com");
    CHECK(endpoint("STS", {}, "[default]\nendpoint_url = http://p:1\nignore_configured_endpoint_urls = TRUE\n") ==
          "https://sts.eu-west-1.amazonaws.com");
}

TEST_CASE("default endpoints by partition") {
    CHECK(aws::default_endpoint("s3", "eu-west-3") == "https://s3.eu-west-3.amazonaws.com");
    CHECK(aws::default_endpoint("sts", "cn-northwest-1") == "https://sts.cn-northwest-1.amazonaws.com.cn");
    CHECK(aws::default_endpoint("sts", "us-iso-east-1") == "https://sts.us-iso-east-1.c2s.ic.gov");
    CHECK(aws::default_endpoint("sts", "us-isob-east-1") == "https://sts.us-isob-east-1.sc2s.sgov.gov");
}

TEST_CASE("a malformed URL names its origin; no region and nothing configured is an error") {
    auto bad = aws::service_endpoint("STS", "eu-west-1", environment_of({{"AWS_ENDPOINT_URL_STS", "localhost:4566"}}),
                                     default_profile_of("[default]\n"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("AWS_ENDPOINT_URL_STS: endpoint URL 'localhost:4566'") == 0);
    auto from_profile = aws::service_endpoint("STS", "eu-west-1", environment_of({}),
                                              default_profile_of("[default]\nendpoint_url = nope\n"));
    REQUIRE_FALSE(from_profile);
    CHECK(from_profile.error().message.find("config:2:") == 0);
    auto no_region = aws::service_endpoint("STS", "", environment_of({}), default_profile_of("[default]\n"));
    REQUIRE_FALSE(no_region);
    CHECK(no_region.error().message.find("no region") != std::string::npos);
    auto bad_region =
        aws::service_endpoint("STS", "eu-west-1.evil.com/x", environment_of({}), default_profile_of("[default]\n"));
    CHECK_FALSE(bad_region);
}

TEST_CASE("the region: AWS_REGION, AWS_DEFAULT_REGION, then the profile") {
    auto profile = default_profile_of("[default]\nregion = eu-central-1\n");
    CHECK(aws::configured_region(environment_of({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "x"}}), profile) ==
          "us-west-2");
    CHECK(aws::configured_region(environment_of({{"AWS_DEFAULT_REGION", "ap-south-1"}}), profile) == "ap-south-1");
    CHECK(aws::configured_region(environment_of({}), profile) == "eu-central-1");
    CHECK_FALSE(aws::configured_region(environment_of({}), default_profile_of("[default]\n")));
}
