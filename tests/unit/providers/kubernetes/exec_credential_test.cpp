// client-go exec credential plugins: the answer's format and errors, real
// /bin/sh plugins (what they are told in KUBERNETES_EXEC_INFO, failures, a
// missing command), and the cache.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support.h"
#include "tether/core/timestamp.h"
#include "tether/providers/kubernetes/exec_credential.h"

namespace kube = tether::providers::kubernetes;
namespace fs = std::filesystem;
using kube_test::TempDir;
using tether::ErrorKind;

namespace {

kube::ExecConfig plugin(const std::string& command, std::string api_version = std::string(kube::exec_api_v1)) {
    kube::ExecConfig exec;
    exec.api_version = std::move(api_version);
    exec.command = command;
    exec.interactive_mode = "Never";
    return exec;
}

kube::ExecSettings settings() {
    kube::ExecSettings out;
    out.environment = {"PATH=/usr/bin:/bin", "HOME=/nonexistent", "SHARED=from-runner"};
    out.timeout = std::chrono::seconds(10);
    return out;
}

std::string credential_parse_error(const std::string& output, std::string api_version = std::string(kube::exec_api_v1)) {
    auto parsed = kube::parse_exec_credential(output, plugin("/bin/plugin", std::move(api_version)));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    CHECK(parsed.error().message.find("SECRETVALUE") == std::string::npos);
    std::string prefix = "kubernetes exec plugin /bin/plugin answered without a valid credential: ";
    REQUIRE(parsed.error().message.starts_with(prefix));
    return parsed.error().message.substr(prefix.size());
}

// A /bin/sh plugin printing `json` after `before` (more shell lines).
fs::path script(const TempDir& dir, const std::string& name, const std::string& json, const std::string& before = "") {
    return dir.write(name, "#!/bin/sh\n" + before + "cat <<'EOF'\n" + json + "\nEOF\n", 0755);
}

const std::string token_answer = R"({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
  "status": {"token": "plugin-token", "expirationTimestamp": "2026-11-29T16:00:00Z"}})";

}  // namespace

TEST_CASE("kubernetes exec: a token answer with an expiry, and a client certificate answer without one") {
    auto token = kube::parse_exec_credential(token_answer, plugin("/bin/plugin"));
    REQUIRE_MESSAGE(token, (token ? "" : token.error().message));
    CHECK(token.value().token.reveal() == "plugin-token");
    CHECK(token.value().expiration == tether::parse_timestamp("2026-11-29T16:00:00Z").value());
    CHECK(token.value().client_certificate_pem.empty());

    auto pair = kube_test::client_pair("exec");
    nlohmann::json answer = {{"apiVersion", "client.authentication.k8s.io/v1beta1"},
                             {"kind", "ExecCredential"},
                             {"status", {{"clientCertificateData", pair.certificate_pem}, {"clientKeyData", pair.key_pem}}}};
    auto certificate = kube::parse_exec_credential(answer.dump(), plugin("/bin/plugin", std::string(kube::exec_api_v1beta1)));
    REQUIRE_MESSAGE(certificate, (certificate ? "" : certificate.error().message));
    CHECK(certificate.value().token.empty());
    CHECK(certificate.value().client_certificate_pem == pair.certificate_pem);
    CHECK(certificate.value().client_key_pem.reveal() == pair.key_pem);
    CHECK_FALSE(certificate.value().expiration);
}

TEST_CASE("kubernetes exec: every malformed answer is refused, naming the plugin, never a value") {
    const std::string head = R"({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", )";
    CHECK(credential_parse_error("SECRETVALUE") == "its output is not JSON (byte 0: invalid literal)");
    CHECK(credential_parse_error(R"(["SECRETVALUE"])") == "its output is not a JSON object");
    CHECK(credential_parse_error(R"({"apiVersion": "client.authentication.k8s.io/v1", "status": {"token": "SECRETVALUE"}})") ==
          "kind is not ExecCredential");
    CHECK(credential_parse_error(R"({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                          "status": {"token": "SECRETVALUE"}})") ==
          "apiVersion client.authentication.k8s.io/v1beta1 is not the configured client.authentication.k8s.io/v1");
    CHECK(credential_parse_error(R"({"kind": "ExecCredential", "status": {"token": "SECRETVALUE"}})") ==
          "apiVersion (none) is not the configured client.authentication.k8s.io/v1");
    CHECK(credential_parse_error(head + R"("spec": {}})") == "no status");
    CHECK(credential_parse_error(head + R"("status": {}})") == "status has neither token nor clientCertificateData and clientKeyData");
    CHECK(credential_parse_error(head + R"("status": {"clientKeyData": "SECRETVALUE"}})") ==
          "status has only one of clientCertificateData and clientKeyData");
    auto typed = kube::parse_exec_credential(head + R"("status": {"token": 7}})", plugin("/bin/plugin"));
    REQUIRE_FALSE(typed);
    CHECK(typed.error().message == "kubernetes exec plugin /bin/plugin answered with status.token not a string");
    CHECK(credential_parse_error(head + R"("status": {"token": "SECRETVALUE", "expirationTimestamp": "tomorrow"}})")
              .starts_with("status.expirationTimestamp: "));
}

TEST_CASE("kubernetes exec: the plugin gets its args, env and KUBERNETES_EXEC_INFO with the cluster") {
    TempDir dir;
    fs::path seen = dir.path / "seen";
    auto exec = plugin(script(dir, "plugin", token_answer,
                              "printf '%s\\n' \"$KUBERNETES_EXEC_INFO\" > '" + seen.string() +
                                  "'\nprintf '%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$EXTRA\" \"$SHARED\" >> '" + seen.string() +
                                  "'\n")
                           .string());
    exec.args = {"get-token", "two words"};
    exec.env = {{"EXTRA", "from-kubeconfig"}, {"SHARED", "overridden"}};
    exec.provide_cluster_info = true;
    kube::ExecClusterInfo cluster{"https://k.example:6443", kube_test::ca_pem(), "api.internal", ""};
    auto credential = kube::run_exec_plugin(exec, cluster, settings());
    REQUIRE_MESSAGE(credential, (credential ? "" : credential.error().message));
    CHECK(credential.value().token.reveal() == "plugin-token");

    std::ifstream in(seen);
    std::string info_line, args_line;
    std::getline(in, info_line);
    std::getline(in, args_line);
    auto info = nlohmann::json::parse(info_line);
    CHECK(info["apiVersion"] == "client.authentication.k8s.io/v1");
    CHECK(info["kind"] == "ExecCredential");
    CHECK(info["spec"]["interactive"] == false);
    CHECK(info["spec"]["cluster"]["server"] == "https://k.example:6443");
    CHECK(info["spec"]["cluster"]["tls-server-name"] == "api.internal");
    CHECK(kube_test::unbase64(info["spec"]["cluster"]["certificate-authority-data"].get<std::string>()) ==
          kube_test::ca_pem());
    CHECK_FALSE(info["spec"]["cluster"].contains("proxy-url"));
    CHECK(args_line == "get-token|two words|from-kubeconfig|overridden");

    exec.provide_cluster_info = false;
    auto bare = nlohmann::json::parse(kube::exec_info_json(exec, cluster));
    CHECK(bare == nlohmann::json{{"apiVersion", "client.authentication.k8s.io/v1"},
                                 {"kind", "ExecCredential"},
                                 {"spec", {{"interactive", false}}}});
}

TEST_CASE("kubernetes exec: a plugin that checks KUBERNETES_EXEC_INFO itself") {
    TempDir dir;
    auto exec = plugin("", std::string(kube::exec_api_v1beta1));
    std::string expected = kube::exec_info_json(exec, {});
    CHECK(expected == R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
                       R"("spec":{"interactive":false}})");
    exec.command = script(dir, "checker",
                          R"({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                              "status": {"token": "checked"}})",
                          "[ \"$KUBERNETES_EXEC_INFO\" = '" + expected +
                              "' ] || { echo 'unexpected KUBERNETES_EXEC_INFO' >&2; exit 2; }\n")
                       .string();
    auto credential = kube::run_exec_plugin(exec, {}, settings());
    REQUIRE_MESSAGE(credential, (credential ? "" : credential.error().message));
    CHECK(credential.value().token.reveal() == "checked");
}

TEST_CASE("kubernetes exec: a failing plugin gives its stderr's first line; a missing one its install hint") {
    TempDir dir;
    auto failing = plugin(dir.write("failing", "#!/bin/sh\necho 'error: not logged in' >&2\necho more >&2\nexit 3\n", 0755));
    auto failed = kube::run_exec_plugin(failing, {}, settings());
    REQUIRE_FALSE(failed);
    CHECK(failed.error().kind == ErrorKind::unavailable);
    CHECK(failed.error().message.starts_with("kubernetes exec plugin: "));
    CHECK(failed.error().message.find("failing") != std::string::npos);
    CHECK(failed.error().message.find("error: not logged in") != std::string::npos);
    CHECK(failed.error().message.find("more") == std::string::npos);

    auto missing = plugin("tether-no-such-auth-plugin");
    missing.install_hint = "Install it with: apt-get install tether-auth-plugin";
    auto absent = kube::run_exec_plugin(missing, {}, settings());
    REQUIRE_FALSE(absent);
    CHECK(absent.error().kind == ErrorKind::not_found);
    CHECK(absent.error().message.find("tether-no-such-auth-plugin") != std::string::npos);
    CHECK(absent.error().message.ends_with("\nInstall it with: apt-get install tether-auth-plugin"));

    auto slow = plugin(dir.write("slow", "#!/bin/sh\nexec sleep 10\n", 0755));
    auto options = settings();
    options.timeout = std::chrono::milliseconds(200);
    auto late = kube::run_exec_plugin(slow, {}, options);
    REQUIRE_FALSE(late);
    CHECK(late.error().kind == ErrorKind::deadline_exceeded);

    auto garbage = plugin(dir.write("garbage", "#!/bin/sh\necho SECRETVALUE\n", 0755));
    auto bad = kube::run_exec_plugin(garbage, {}, settings());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.ends_with("answered without a valid credential: its output is not JSON (byte 0: invalid literal)"));
}

TEST_CASE("kubernetes exec cache: reused until shortly before expiry, or until invalidated") {
    TempDir dir;
    fs::path runs = dir.path / "runs";
    auto exec = plugin(script(dir, "counted", token_answer, "echo run >> '" + runs.string() + "'\n"));
    auto count = [&runs] {
        std::ifstream in(runs);
        int lines = 0;
        for (std::string line; std::getline(in, line);) ++lines;
        return lines;
    };
    auto expiry = tether::parse_timestamp("2026-11-29T16:00:00Z").value();
    auto now = expiry - std::chrono::minutes(10);
    kube::ExecCredentialCache cache(exec, {}, settings(), [&now] { return now; });
    REQUIRE(cache.credential());
    CHECK(cache.credential().value().token.reveal() == "plugin-token");
    CHECK(count() == 1);
    now = expiry - kube::ExecCredentialCache::refresh_before - std::chrono::seconds(1);
    REQUIRE(cache.credential());
    CHECK(count() == 1);
    now = expiry - kube::ExecCredentialCache::refresh_before;
    REQUIRE(cache.credential());
    CHECK(count() == 2);
    cache.invalidate();
    REQUIRE(cache.credential());
    CHECK(count() == 3);

    // Without an expiry: reused until a 401 invalidates it.
    auto forever = plugin(script(dir, "forever", R"({"apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential", "status": {"token": "t"}})",
                                 "echo run >> '" + runs.string() + "'\n"));
    kube::ExecCredentialCache lasting(forever, {}, settings(), [&now] { return now; });
    REQUIRE(lasting.credential());
    now += std::chrono::hours(24 * 365);
    REQUIRE(lasting.credential());
    CHECK(count() == 4);
    lasting.invalidate();
    REQUIRE(lasting.credential());
    CHECK(count() == 5);
}
