#include <doctest/doctest.h>

#include "tether/pki/authority.h"
#include "tether/providers/connection.h"

using namespace tether;
using namespace tether::providers;

namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

Result<nlohmann::json> check(std::string provider, std::string mode, Settings settings = {},
                             const char* credentials = nullptr) {
    Secret secret(credentials == nullptr ? "" : credentials);
    return check_definition({std::move(provider), std::move(mode), std::move(settings),
                             credentials == nullptr ? nullptr : &secret});
}

std::string problem(const Result<nlohmann::json>& result) {
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::invalid_argument);
    return result.error().message;
}

constexpr const char* aws_keys = R"({"access_key_id":"AKIDEXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"})";

constexpr const char* kubeconfig = R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: abc}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
)";

}  // namespace

TEST_CASE("connection definitions: each provider's auth modes and settings") {
    auto aws = check("aws", "cross-account",
                     {{"region", "eu-west-1"},
                      {"role_arn", "arn:aws:iam::123456789012:role/path/Deploy"},
                      {"external_id", "ext-42"},
                      {"session_name", "tether"},
                      {"duration", "1h"}});
    REQUIRE(aws);
    CHECK(aws.value() == nlohmann::json{{"region", "eu-west-1"},
                                         {"role_arn", "arn:aws:iam::123456789012:role/path/Deploy"},
                                         {"external_id", "ext-42"},
                                         {"session_name", "tether"},
                                         {"duration", "1h"}});
    CHECK(check("aws", "runner-delegated", {{"region", "us-gov-west-1"}, {"profile", "prod"}}));
    CHECK(check("aws", "cross-account", {{"role_arn", "arn:aws-cn:iam::123456789012:role/x"}, {"duration", "900"}}));
    CHECK(check("aws", "inline", {{"endpoint_url", "http://127.0.0.1:5000"}}, aws_keys));
    CHECK(check("aws", "inline", {}, R"({"access_key_id":"AKID","secret_access_key":"s","session_token":"t"})"));
    CHECK(check("kubernetes", "inline", {{"namespace", "default"}, {"context", "ctx"}}, kubeconfig));
    CHECK(check("kubernetes", "runner-delegated", {{"server", "https://10.0.0.1:6443"}}));
    CHECK(check("exec", "runner-delegated", {{"vault_path", "secret/aws/prod"}, {"ttl", "15m"}}));

    auto authority = pki::create_authority("test CA", std::chrono::hours(1));
    CHECK(check("kubernetes", "runner-delegated", {{"certificate_authority", authority.certificate.to_pem()}}));
}

TEST_CASE("connection definitions: every problem is named, credentials never quoted") {
    CHECK(problem(check("gcp", "inline")) == "unknown provider 'gcp' (this tether has aws, kubernetes, exec)");
    CHECK(problem(check("aws", "sideways")) == "unknown auth mode 'sideways' (inline, runner-delegated or cross-account)");
    CHECK(problem(check("kubernetes", "cross-account")) ==
          "provider kubernetes has no auth mode cross-account (it has inline, runner-delegated)");
    CHECK(problem(check("exec", "inline", {}, "{}")) ==
          "provider exec has no auth mode inline (it has runner-delegated)");
    CHECK(problem(check("aws", "cross-account")) == "auth mode cross-account of provider aws needs setting role_arn");
    CHECK(problem(check("aws", "runner-delegated", {{"role_arn", "arn:aws:iam::123456789012:role/x"}})) ==
          "setting role_arn does not apply to auth mode runner-delegated (only to cross-account)");
    CHECK(problem(check("aws", "runner-delegated", {{"colour", "blue"}})).starts_with("provider aws has no setting 'colour'"));
    CHECK(problem(check("aws", "runner-delegated", {{"region", "eu-west-1"}, {"region", "eu-west-2"}})) ==
          "setting region is given twice");
    CHECK(problem(check("aws", "runner-delegated", {{"region", "EU West"}})) ==
          "setting region must be a region such as eu-west-1");
    CHECK(problem(check("aws", "cross-account", {{"role_arn", "arn:aws:iam::12345:role/x"}})).starts_with(
        "setting role_arn must be an IAM role ARN"));
    CHECK(problem(check("aws", "cross-account", {{"role_arn", "arn:aws:iam::123456789012:user/x"}})).starts_with(
        "setting role_arn must be an IAM role ARN"));
    CHECK(problem(check("aws", "cross-account", {{"role_arn", "arn:aws:iam::123456789012:role/x"}, {"duration", "14h"}}))
              .starts_with("setting duration must be from 900 to 43200 seconds"));
    CHECK(problem(check("aws", "runner-delegated", {{"region", ""}})) == "setting region must be 1 to 4096 bytes");
    CHECK(problem(check("aws", "runner-delegated", {{"endpoint_url", "ftp://x"}})).starts_with("setting endpoint_url must be an http or https URL"));
    CHECK(problem(check("kubernetes", "runner-delegated", {{"server", "http://10.0.0.1"}})) ==
          "setting server must be an https URL such as https://10.0.0.1:6443");
    CHECK(problem(check("kubernetes", "runner-delegated", {{"namespace", "Kube_System"}})).starts_with("setting namespace must be a DNS label"));
    CHECK(problem(check("kubernetes", "runner-delegated", {{"certificate_authority", "not pem"}})).starts_with(
        "setting certificate_authority must be PEM certificates"));
    CHECK(problem(check("exec", "runner-delegated", {{"Vault", "x"}})) ==
          "setting name 'Vault' must be a-z, 0-9 and '_', starting with a letter");
    CHECK(problem(check("exec", "runner-delegated", {{"path", "a\x01"}})) == "setting path holds control characters");

    // Credentials: required for inline only, of the provider's form, and
    // never echoed back in the message.
    CHECK(problem(check("aws", "inline")) == "auth mode inline needs a credentials file (--credentials-file)");
    CHECK(problem(check("aws", "runner-delegated", {}, aws_keys)) ==
          "auth mode runner-delegated holds no credential material: give a credentials file only with inline");
    std::string secret = "wJalrXUtnFEMI-very-secret";
    for (const std::string& text : std::vector<std::string>{std::string("not json ") + secret, R"({"access_key_id":"AKID"})",
                             R"({"access_key_id":"AK ID","secret_access_key":")" + secret + "\"}",
                             R"({"access_key_id":"AKID","secret_access_key":")" + secret + R"(","extra":1})",
                             R"({"access_key_id":"AKID","secret_access_key":7})"}) {
        std::string message = problem(check("aws", "inline", {}, text.c_str()));
        CHECK(message.starts_with("the credentials file must be "));
        CHECK(message.find(secret) == std::string::npos);
    }
    CHECK(problem(check("kubernetes", "inline", {}, "clusters: [\n  bad")).starts_with(
        "the credentials file must be a kubeconfig: kubeconfig:2:"));
    CHECK(problem(check("kubernetes", "inline", {}, "apiVersion: v1\nkind: Config\nclusters: []\n")) ==
          "the credentials file must be a kubeconfig: it has no clusters");
    CHECK(problem(check("kubernetes", "inline", {}, "- a\n- b\n")) ==
          "the credentials file must be a kubeconfig: kubeconfig:1:1: a kubeconfig must be a mapping with clusters, users "
          "and contexts");
    // The runner's parser: an inline kubeconfig cannot name files on the runner.
    CHECK(problem(check("kubernetes", "inline", {}, "users:\n- {name: u, user: {tokenFile: /token}}\n")) ==
          "the credentials file must be a kubeconfig: kubeconfig:2:31: users[0].user.tokenFile names a file on the "
          "runner, which an inline kubeconfig cannot use: embed the data instead");
}

TEST_CASE("the runner reads the connection a request carries, and names what is malformed") {
    nlohmann::json config = {{"provider", "aws"}, {"auth_mode", "inline"}, {"settings", {{"region", "eu-west-1"}}},
                             {"credentials", "{\"access_key_id\":\"AKID\",\"secret_access_key\":\"s3cr3t\"}"}};
    auto read = parse_connection("prod", Secret(config.dump()));
    REQUIRE(read);
    CHECK(read.value().name == "prod");
    CHECK(read.value().provider == "aws");
    CHECK(read.value().auth_mode == "inline");
    CHECK(read.value().setting("region") == "eu-west-1");
    CHECK(read.value().setting("profile") == "");
    CHECK(read.value().inline_credentials.reveal() == config["credentials"].get<std::string>());

    auto message_of = [](std::string_view text) {
        auto result = parse_connection("prod", Secret(text));
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == ErrorKind::invalid_argument);
        return result.error().message;
    };
    CHECK(message_of("[]") == "connection prod: the server sent it with JSON that is not an object");
    CHECK(message_of(R"({"provider":"aws"})") == "connection prod: the server sent it with no provider or auth_mode");
    CHECK(message_of(R"({"provider":"aws","auth_mode":"inline","credentials":7})") ==
          "connection prod: the server sent it with credentials not a string");
    CHECK(message_of(R"({"provider":"aws","auth_mode":"inline","settings":{"region":1}})") ==
          "connection prod: the server sent it with setting region not a string");
    CHECK(message_of(R"({"provider":"aws","auth_mode":"inline","token":"x"})") ==
          "connection prod: the server sent it with an unknown member 'token'");
    CHECK(message_of(R"({"provider":"aws","auth_mode":"inline","settings":{"a":{"b":"c"}}})").find("nested deeper than 2") !=
          std::string::npos);
    // A credential in malformed JSON is not quoted back.
    CHECK(message_of(R"({"credentials":"s3cr3t)").find("s3cr3t") == std::string::npos);
}
