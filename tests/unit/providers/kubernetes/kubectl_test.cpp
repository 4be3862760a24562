// kubectl as the reference: kubeconfig files of every auth kind, alone and
// merged through KUBECONFIG, resolved by `kubectl config view --minify
// --flatten -o json [--context X]` and by tether; the cluster, CA, user and
// namespace must agree. --flatten makes kubectl read the CA and client
// certificate files (relative to the file that names them) and embed them.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "common/environment.h"
#include "support.h"
#include "tether/providers/kubernetes/kubeconfig.h"
#include "tether/providers/process.h"

namespace kube = tether::providers::kubernetes;
namespace fs = std::filesystem;
using kube_test::TempDir;
using nlohmann::json;

namespace {

struct Files {
    TempDir dir;
    fs::path a, b, c;
    kube_test::KeyPair alice = kube_test::client_pair("alice");
    kube_test::KeyPair bob = kube_test::client_pair("bob");
    std::string ca = kube_test::ca_pem();
    std::string other_ca = kube_test::client_pair("a-certificate-as-ca").certificate_pem;

    Files() {
        dir.write("one/certs/ca.crt", ca);
        dir.write("one/certs/alice.crt", alice.certificate_pem);
        dir.write("one/certs/alice.key", alice.key_pem, 0600);
        dir.write("two/ca.crt", other_ca);
        a = dir.write("one/config", R"(apiVersion: v1
kind: Config
clusters:
- name: main
  cluster:
    server: https://main.example:6443
    certificate-authority: certs/ca.crt
    tls-server-name: main.internal
- name: data
  cluster:
    server: https://data.example
    certificate-authority-data: )" + kube_test::base64(ca) + R"(
    proxy-url: http://proxy.example:3128
users:
- name: token-user
  user: {token: token-from-one}
- name: file-user
  user: {tokenFile: tokens/one}
- name: cert-files
  user: {client-certificate: certs/alice.crt, client-key: ./certs/alice.key}
- name: cert-data
  user:
    client-certificate-data: )" + kube_test::base64(bob.certificate_pem) + R"(
    client-key-data: )" + kube_test::base64(bob.key_pem) + R"(
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/auth-plugin
      args: [get-token, --cluster, main]
      env:
      - {name: PLUGIN_MODE, value: strict}
      - {name: EMPTY, value: ""}
      provideClusterInfo: true
      installHint: install auth-plugin
      interactiveMode: Never
- name: exec-beta
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: tether-test-auth-plugin}
contexts:
- {name: token, context: {cluster: main, user: token-user, namespace: ns-token}}
- {name: tokenfile, context: {cluster: data, user: file-user}}
- {name: cert-files, context: {cluster: main, user: cert-files, namespace: certs}}
- {name: cert-data, context: {cluster: data, user: cert-data}}
- {name: exec, context: {cluster: main, user: exec-user, namespace: ex}}
- {name: exec-beta, context: {cluster: data, user: exec-beta}}
current-context: token
)");
        b = dir.write("two/config", R"({"apiVersion": "v1", "kind": "Config",
  "clusters": [{"name": "main", "cluster": {"server": "https://shadowed.example"}},
               {"name": "extra", "cluster": {"server": "https://extra.example:8443", "certificate-authority": "ca.crt"}}],
  "users": [{"name": "token-user", "user": {"token": "token-from-two"}},
            {"name": "b-user", "user": {"tokenFile": "../two-token"}}],
  "contexts": [{"name": "token", "context": {"cluster": "extra", "user": "token-user"}},
               {"name": "b-context", "context": {"cluster": "extra", "user": "b-user", "namespace": "nb"}}],
  "current-context": "b-context"})");
        c = dir.write("three/config", R"(contexts:
- {name: c-context, context: {cluster: main, user: token-user, namespace: from-three}}
- {name: cert-files, context: {cluster: data, user: cert-files, namespace: from-three}}
)");
    }
};

// kubectl's view of one context, or its error output.
struct View {
    bool ok = false;
    json config;
    std::string error;
};

View kubectl_view(const Files& files, const std::string& kubeconfig, const std::optional<std::string>& context) {
    tether::providers::ProcessRequest request;
    request.argv = {"kubectl", "config", "view", "--minify", "--flatten", "-o", "json"};
    if (context) request.argv.push_back("--context=" + *context);
    const char* path = std::getenv("PATH");
    if (path) request.search_path = path;
    request.environment = std::vector<std::string>{"KUBECONFIG=" + kubeconfig, "HOME=" + files.dir.path.string(),
                                                   "PATH=" + request.search_path};
    request.working_directory = files.dir.path;  // not the files' directories: paths must resolve against the files
    request.timeout = std::chrono::seconds(60);
    auto output = tether::providers::run_process(request);
    if (!output && output.error().kind == tether::ErrorKind::not_found) {
        FAIL("kubectl is not on PATH; it is this test's reference: run scripts/setup-deps (it installs Debian's "
             "kubernetes-client package)");
    }
    if (!output) return View{false, {}, output.error().message};
    return View{true, json::parse(output.value().stdout_text.reveal()), ""};
}

std::string text_or_empty(const json& object, const char* key) {
    return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
}

// kubectl prints paths relative to the file that holds them.
fs::path absolute_from(const fs::path& file, const std::string& path) {
    fs::path out(path);
    return out.is_absolute() ? out.lexically_normal() : (file.parent_path() / out).lexically_normal();
}

void compare(const kube::Kubeconfig& ours, const kube::ClusterAccess& access, const json& theirs) {
    REQUIRE(theirs["contexts"].size() == 1);
    REQUIRE(theirs["clusters"].size() == 1);
    REQUIRE(theirs["users"].size() == 1);
    CHECK(theirs["current-context"] == access.context);
    const json& context = theirs["contexts"][0]["context"];
    const json& cluster = theirs["clusters"][0]["cluster"];
    const json& user = theirs["users"][0]["user"];
    std::string namespace_name = text_or_empty(context, "namespace");
    CHECK((namespace_name.empty() ? "default" : namespace_name) == access.namespace_name);
    CHECK(text_or_empty(cluster, "server") == access.server);
    CHECK(kube_test::unbase64(text_or_empty(cluster, "certificate-authority-data")) == access.certificate_authority);
    CHECK(text_or_empty(cluster, "tls-server-name") == access.tls_server_name);
    CHECK(text_or_empty(cluster, "proxy-url") == access.proxy_url);

    const fs::path& user_file = ours.users.at(theirs["users"][0]["name"].get<std::string>()).origin.file;
    if (user.contains("token")) {
        REQUIRE(std::holds_alternative<kube::BearerToken>(access.auth));
        CHECK(std::get<kube::BearerToken>(access.auth).token.reveal() == user["token"].get<std::string>());
    } else if (user.contains("tokenFile")) {
        REQUIRE(std::holds_alternative<kube::TokenFilePath>(access.auth));
        CHECK(std::get<kube::TokenFilePath>(access.auth).path == absolute_from(user_file, user["tokenFile"]));
    } else if (user.contains("client-certificate-data")) {
        REQUIRE(std::holds_alternative<kube::ClientCertificate>(access.auth));
        const auto& certificate = std::get<kube::ClientCertificate>(access.auth);
        CHECK(certificate.certificate_pem == kube_test::unbase64(user["client-certificate-data"].get<std::string>()));
        CHECK(certificate.key_pem.reveal() == kube_test::unbase64(user["client-key-data"].get<std::string>()));
    } else {
        REQUIRE(user.contains("exec"));
        REQUIRE(std::holds_alternative<kube::ExecConfig>(access.auth));
        const auto& exec = std::get<kube::ExecConfig>(access.auth);
        const json& theirs_exec = user["exec"];
        CHECK(exec.api_version == text_or_empty(theirs_exec, "apiVersion"));
        std::string command = text_or_empty(theirs_exec, "command");
        CHECK(exec.command == (command.find('/') == std::string::npos ? command : absolute_from(user_file, command).string()));
        std::vector<std::string> args;
        if (theirs_exec["args"].is_array()) args = theirs_exec["args"].get<std::vector<std::string>>();
        CHECK(exec.args == args);
        std::vector<std::pair<std::string, std::string>> env, our_env;
        if (theirs_exec["env"].is_array()) {
            for (const auto& entry : theirs_exec["env"]) env.emplace_back(text_or_empty(entry, "name"), text_or_empty(entry, "value"));
        }
        for (const auto& entry : exec.env) our_env.emplace_back(entry.name, entry.value);
        CHECK(our_env == env);
        CHECK(exec.provide_cluster_info == theirs_exec.value("provideClusterInfo", false));
        CHECK(exec.install_hint == text_or_empty(theirs_exec, "installHint"));
        // kubectl before 1.22 (Debian 12's kubernetes-client) does not know interactiveMode.
        if (theirs_exec.contains("interactiveMode")) {
            CHECK(exec.interactive_mode == text_or_empty(theirs_exec, "interactiveMode"));
        }
    }
}

void agree(const Files& files, const std::vector<fs::path>& order, const std::optional<std::string>& context) {
    std::string kubeconfig;
    for (const auto& path : order) kubeconfig += (kubeconfig.empty() ? "" : ":") + path.string();
    CAPTURE(kubeconfig);
    CAPTURE(context.value_or("(current-context)"));
    auto ours = kube::load_kubeconfig(
        tether::testing::environment_of({{"KUBECONFIG", kubeconfig}, {"HOME", files.dir.path.string()}}));
    REQUIRE_MESSAGE(ours, (ours ? "" : ours.error().message));
    auto access = kube::resolve_context(ours.value(), context);
    View theirs = kubectl_view(files, kubeconfig, context);
    REQUIRE_MESSAGE(theirs.ok, theirs.error);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    compare(ours.value(), access.value(), theirs.config);
}

}  // namespace

TEST_CASE("kubectl agrees: every auth kind in one file") {
    Files files;
    for (std::optional<std::string> context : {std::optional<std::string>(), std::optional<std::string>("token"),
                                                std::optional<std::string>("tokenfile"), std::optional<std::string>("cert-files"),
                                                std::optional<std::string>("cert-data"), std::optional<std::string>("exec"),
                                                std::optional<std::string>("exec-beta")}) {
        agree(files, {files.a}, context);
    }
}

TEST_CASE("kubectl agrees: KUBECONFIG with overlapping files, in three orders") {
    Files files;
    for (auto context : {"token", "tokenfile", "cert-files", "b-context", "c-context"}) {
        agree(files, {files.a, files.b, files.c}, std::string(context));
    }
    agree(files, {files.a, files.b, files.c}, std::nullopt);  // current-context from the first file
    agree(files, {files.b, files.a}, std::nullopt);           // b's current-context, b's clusters
    agree(files, {files.b, files.a}, std::string("token"));   // b's context "token", b's token-user
    agree(files, {files.b, files.a}, std::string("exec"));
    agree(files, {files.c, files.a, files.b}, std::nullopt);  // c sets none: a's current-context
    agree(files, {files.c, files.a, files.b}, std::string("cert-files"));  // c's context, a's user
    agree(files, {files.c, files.dir.path / "missing", files.a}, std::string("c-context"));
}

TEST_CASE("kubectl agrees: a context that does not exist fails in both") {
    Files files;
    auto ours = kube::load_kubeconfig(tether::testing::environment_of({{"KUBECONFIG", files.a.string()}}));
    REQUIRE(ours);
    auto access = kube::resolve_context(ours.value(), std::string("nope"));
    REQUIRE_FALSE(access);
    CHECK(access.error().kind == tether::ErrorKind::not_found);
    View theirs = kubectl_view(files, files.a.string(), std::string("nope"));
    CHECK_FALSE(theirs.ok);
    CHECK(theirs.error.find("cannot locate context nope") != std::string::npos);
}
