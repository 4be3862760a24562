#include <doctest/doctest.h>

#include "tether/runner/policy.h"

using namespace tether::runner;

TEST_CASE("a pattern's * matches any run of characters, dots included, and nothing else is special") {
    CHECK(matches_pattern("system.*", "system.info"));
    CHECK(matches_pattern("system.*", "system."));
    CHECK(matches_pattern("system.*", "system.a.b"));
    CHECK_FALSE(matches_pattern("system.*", "system"));
    CHECK_FALSE(matches_pattern("system.*", "systemXinfo"));  // '.' is a dot, not "any character"
    CHECK(matches_pattern("*", "anything.at.all"));
    CHECK(matches_pattern("*", ""));
    CHECK(matches_pattern("aws.call", "aws.call"));
    CHECK_FALSE(matches_pattern("aws.call", "aws.calls"));
    CHECK_FALSE(matches_pattern("aws.call", "aws.cal"));
    CHECK(matches_pattern("*.call", "aws.call"));
    CHECK(matches_pattern("a*b*c", "a-b-b-c"));
    CHECK_FALSE(matches_pattern("a*b*c", "a-b-b-"));
    CHECK(matches_pattern("**", "x"));
    CHECK_FALSE(matches_pattern("?", "x"));
    CHECK(matches_pattern("?", "?"));
    CHECK_FALSE(matches_pattern("[ab]", "a"));
    CHECK_FALSE(matches_pattern("", "x"));
    CHECK(matches_pattern("", ""));
    CHECK_FALSE(matches_pattern("System.*", "system.info"));  // case matters outside endpoints
}

TEST_CASE("a pattern with many stars against a long mismatch finishes at once") {
    std::string value(10000, 'a');
    CHECK_FALSE(matches_pattern("*a*a*a*a*a*a*a*a*a*b", value));
}

TEST_CASE("a fresh policy allows the system operations and nothing else") {
    Policy policy = default_policy();
    CHECK(policy.allows_operation("system.info"));
    CHECK_FALSE(policy.allows_operation("aws.call"));
    CHECK_FALSE(policy.allows_connection("prod"));
    CHECK_FALSE(policy.allows_auth_mode("inline"));
    CHECK_FALSE(policy.allows_provider("aws"));
    CHECK_FALSE(policy.allows_endpoint("sts.amazonaws.com", 443));
    CHECK(policy.summary() == "operations=[system.*] connections=[] auth_modes=[] providers=[] endpoints=[] secrets=[] variables=[] "
                              "environment=[] files=[]");
}

TEST_CASE("each list allows what one of its patterns matches") {
    Policy policy{{"system.*", "aws.call"}, {"prod-*"}, {"runner-delegated"}, {"aws", "kubernetes"}, {}};
    CHECK(policy.allows_operation("aws.call"));
    CHECK_FALSE(policy.allows_operation("gcp.call"));
    CHECK(policy.allows_connection("prod-eu"));
    CHECK_FALSE(policy.allows_connection("staging"));
    CHECK(policy.allows_auth_mode("runner-delegated"));
    CHECK_FALSE(policy.allows_auth_mode("inline"));
    CHECK(policy.allows_provider("kubernetes"));
    CHECK_FALSE(policy.allows_provider("exec"));
    CHECK(policy.summary() ==
          "operations=[system.*,aws.call] connections=[prod-*] auth_modes=[runner-delegated] "
          "providers=[aws,kubernetes] endpoints=[] secrets=[] variables=[] environment=[] files=[]");
}

TEST_CASE("endpoint patterns: host for any port, host:port for one, host names without regard to case") {
    Policy policy;
    policy.endpoints = {"*.amazonaws.com:443", "kubernetes.default.svc", "10.0.0.*:6443", "[fd00::1]:443", "::2",
                        "metadata.internal:*"};
    CHECK(policy.allows_endpoint("sts.amazonaws.com", 443));
    CHECK(policy.allows_endpoint("STS.AmazonAWS.com", 443));
    CHECK_FALSE(policy.allows_endpoint("sts.amazonaws.com", 80));
    CHECK_FALSE(policy.allows_endpoint("amazonaws.com.evil.test", 443));
    CHECK_FALSE(policy.allows_endpoint("sts.amazonaws.com.evil.test", 443));
    CHECK(policy.allows_endpoint("kubernetes.default.svc", 443));
    CHECK(policy.allows_endpoint("kubernetes.default.svc", 8443));
    CHECK(policy.allows_endpoint("10.0.0.7", 6443));
    CHECK_FALSE(policy.allows_endpoint("10.0.0.7", 443));
    CHECK(policy.allows_endpoint("fd00::1", 443));
    CHECK_FALSE(policy.allows_endpoint("fd00::1", 444));
    CHECK(policy.allows_endpoint("::2", 1));
    CHECK(policy.allows_endpoint("metadata.internal", 80));
    CHECK_FALSE(policy.allows_endpoint("example.com", 443));

    Policy everything;
    everything.endpoints = {"*"};
    CHECK(everything.allows_endpoint("anything.test", 1234));
}

TEST_CASE("endpoint patterns are checked: a URL, an empty host or a bad port is refused") {
    for (const char* good : {"host", "host:443", "*.amazonaws.com:443", "host:*", "[::1]:443", "[::1]", "::1",
                             "10.0.0.*"}) {
        CHECK_MESSAGE(!check_endpoint_pattern(good).has_value(), good);
    }
    CHECK(check_endpoint_pattern("https://sts.amazonaws.com") == "expected host or host:port, not a URL");
    CHECK(check_endpoint_pattern("host/path") == "expected host or host:port, not a URL");
    CHECK(check_endpoint_pattern("user@host") == "the host may hold only a name, an IP address and '*'");
    CHECK(check_endpoint_pattern("a host") == "the host may hold only a name, an IP address and '*'");
    CHECK(check_endpoint_pattern(":443") == "the host is empty");
    CHECK(check_endpoint_pattern("host:") == "the port after ':' is empty");
    CHECK(check_endpoint_pattern("[::1]:") == "the port after ':' is empty");
    CHECK(check_endpoint_pattern("host:https") == "the port must be a number from 0 to 65535, or *");
    CHECK(check_endpoint_pattern("host:65536") == "the port must be a number from 0 to 65535, or *");
    CHECK(check_endpoint_pattern("[::1") == "expected host, host:port or [IPv6]:port");
    CHECK(check_endpoint_pattern("[::1]x") == "expected host, host:port or [IPv6]:port");
}
