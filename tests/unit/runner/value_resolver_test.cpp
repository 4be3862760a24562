#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <map>

#include "support.h"
#include "tether/runner/value_resolver.h"

using namespace tether;
using namespace tether::runner;
using nlohmann::json;

namespace {

// A resolver with no control plane: ${secret:…} and ${var:…} cannot be
// fetched (unavailable), ${env:…} and ${file:…} come from here.
struct Local {
    boost::asio::io_context io;
    Policy policy;
    std::map<std::string, std::string> environment = {{"APP_TOKEN", "tok-3Hs9"}, {"HOME", "/root"}};
    ValueResolver resolver{io, policy, nullptr,
                           [this](const std::string& name) -> std::optional<std::string> {
                               auto found = environment.find(name);
                               if (found == environment.end()) return std::nullopt;
                               return found->second;
                           },
                           std::nullopt};

    Result<ResolvedValues> resolve(json& params, providers::ConnectionConfig* connection = nullptr) {
        std::optional<Result<ResolvedValues>> out;
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                out = co_await resolver.resolve("op_test", params, connection,
                                                std::chrono::steady_clock::now() + std::chrono::seconds(1));
            },
            boost::asio::detached);
        io.run();
        io.restart();
        REQUIRE(out);
        return std::move(*out);
    }
};

}  // namespace

TEST_CASE("resolved values: each confidential value and its base64 form is redacted in strings and keys; variables are not") {
    ResolvedValues values;
    values.add("${secret:db@2}", Secret("hunter2-xyz"), true);
    values.add("${var:region@1}", Secret("eu-west-1"), false);
    CHECK(values.references() == std::vector<std::string>{"${secret:db@2}", "${var:region@1}"});

    json result = {{"dsn", "postgres://u:hunter2-xyz@h"},
                   {"nested", {{"list", {"aHVudGVyMi14eXo=", "eu-west-1"}}}},
                   {"hunter2-xyz", "as a key"}};
    auto redacted = values.redact(result);
    CHECK(redacted == std::vector<std::string>{"${secret:db@2}"});
    CHECK(result["dsn"] == "postgres://u:[redacted ${secret:db@2}]@h");
    CHECK(result["nested"]["list"][0] == "[redacted ${secret:db@2}]");
    CHECK(result["nested"]["list"][1] == "eu-west-1");
    CHECK(result["[redacted ${secret:db@2}]"] == "as a key");
    CHECK(result.dump().find("hunter2") == std::string::npos);

    std::string message = "login failed for hunter2-xyz, twice: hunter2-xyz";
    CHECK(values.redact(message) == std::vector<std::string>{"${secret:db@2}"});
    CHECK(message == "login failed for [redacted ${secret:db@2}], twice: [redacted ${secret:db@2}]");
    json clean = {{"a", "nothing here"}};
    CHECK(values.redact(clean).empty());
}

TEST_CASE("the resolver replaces runner-local references the policy allows, in params and connections, and nothing else") {
    Local local;
    runner_test::TempDir dir;
    std::string token_path = (dir.path / "token").string();
    {
        std::ofstream(token_path) << "file-secret-1\n\n";
    }
    local.policy.environment = {"APP_*"};
    local.policy.files = {dir.path.string()};

    json params = {{"h", "Bearer ${env:APP_TOKEN}"},
                   {"f", "${file:" + token_path + "}"},
                   {"deep", {{"x", {"${env:APP_TOKEN}", 5, nullptr}}}},
                   {"escaped", "$${env:APP_TOKEN} ${HOME}"}};
    auto resolved = local.resolve(params);
    REQUIRE_MESSAGE(resolved, resolved.error().message);
    CHECK(params["h"] == "Bearer tok-3Hs9");
    CHECK(params["f"] == "file-secret-1");  // trailing newlines dropped
    CHECK(params["deep"]["x"][0] == "tok-3Hs9");
    CHECK(params["escaped"] == "${env:APP_TOKEN} ${HOME}");
    CHECK(resolved.value().references() ==
          std::vector<std::string>{"${env:APP_TOKEN}", "${file:" + token_path + "}"});

    SUBCASE("a connection's settings and JSON credentials") {
        providers::ConnectionConfig connection;
        connection.settings = {{"endpoint_url", "https://${env:APP_TOKEN}.example"}};
        connection.inline_credentials = Secret(R"({"access_key_id":"AKIA","secret_access_key":"${env:APP_TOKEN}"})");
        json none = json::object();
        REQUIRE(local.resolve(none, &connection));
        CHECK(connection.settings["endpoint_url"] == "https://tok-3Hs9.example");
        CHECK(json::parse(connection.inline_credentials.reveal())["secret_access_key"] == "tok-3Hs9");
    }
    SUBCASE("credentials that are not JSON (a kubeconfig) as text") {
        providers::ConnectionConfig connection;
        connection.inline_credentials = Secret("users:\n- name: u\n  user:\n    token: ${env:APP_TOKEN}\n");
        json none = json::object();
        REQUIRE(local.resolve(none, &connection));
        CHECK(connection.inline_credentials.reveal() == "users:\n- name: u\n  user:\n    token: tok-3Hs9\n");
    }
}

TEST_CASE("the resolver refuses what the policy does not name, what is missing and what is malformed, changing nothing") {
    Local local;
    runner_test::TempDir dir;
    local.policy.environment = {"APP_*"};
    local.policy.files = {dir.path.string()};
    auto refusal = [&](json params) {
        json before = params;
        auto resolved = local.resolve(params);
        REQUIRE_FALSE(resolved);
        CHECK(params == before);
        return resolved.error();
    };
    CHECK(refusal({{"v", "${env:HOME}"}}).kind == ErrorKind::permission_denied);
    CHECK(refusal({{"v", "${secret:db}"}}).kind == ErrorKind::permission_denied);  // policy.secrets is empty
    CHECK(refusal({{"v", "${file:/etc/passwd}"}}).kind == ErrorKind::permission_denied);
    CHECK(refusal({{"v", "${file:" + (dir.path / ".." / "x").string() + "}"}}).kind == ErrorKind::not_found);
    CHECK(refusal({{"v", "${env:APP_MISSING}"}}).message == "environment variable APP_MISSING is not set");
    CHECK(refusal({{"v", "${secret:bad name}"}}).kind == ErrorKind::invalid_argument);
    json many = json::object();
    for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "${env:APP_" + std::to_string(i) + "}";
    local.policy.environment = {"*"};
    CHECK(refusal(many).message.find("at most 64") != std::string::npos);

    // A symlink inside an allowed directory that points outside it.
    std::filesystem::create_symlink("/etc/passwd", dir.path / "link");
    CHECK(refusal({{"v", "${file:" + (dir.path / "link").string() + "}"}}).kind == ErrorKind::permission_denied);

    // Secrets need the control plane; without one they are unavailable.
    local.policy.secrets = {"*"};
    CHECK(refusal({{"v", "${secret:db}"}}).kind == ErrorKind::unavailable);
}

TEST_CASE("policy: allows_file takes a canonical path inside a named directory, never a sibling with the same prefix") {
    Policy policy;
    policy.files = {"/etc/tether/values", "/srv/"};
    CHECK(policy.allows_file("/etc/tether/values/db"));
    CHECK(policy.allows_file("/etc/tether/values/a/b"));
    CHECK(policy.allows_file("/srv/x"));
    CHECK_FALSE(policy.allows_file("/etc/tether/values"));
    CHECK_FALSE(policy.allows_file("/etc/tether/values-other/db"));
    CHECK_FALSE(policy.allows_file("/etc/tether/db"));
    policy.secrets = {"db-*"};
    CHECK(policy.allows_secret("db-password"));
    CHECK_FALSE(policy.allows_secret("prod-db"));
    CHECK_FALSE(Policy{}.allows_variable("x"));
}
