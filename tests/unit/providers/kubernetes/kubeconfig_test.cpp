// Kubeconfig files: parsing, KUBECONFIG merging, context resolution, and
// every error, none of which may quote a token or key.
#include <doctest/doctest.h>

#include "common/environment.h"
#include "support.h"
#include "tether/providers/kubernetes/kubeconfig.h"

namespace kube = tether::providers::kubernetes;
namespace fs = std::filesystem;
using kube_test::TempDir;
using tether::ErrorKind;
using tether::testing::environment_of;

namespace {

constexpr std::string_view secret = "SECRET-TOKEN-VALUE";

kube::Kubeconfig parsed(const std::string& text, const std::optional<fs::path>& base_dir = fs::path("/base")) {
    auto config = kube::parse_kubeconfig(text, "cfg", base_dir);
    REQUIRE_MESSAGE(config, (config ? "" : config.error().message));
    return std::move(config).value();
}

std::string parse_error(const std::string& text, const std::optional<fs::path>& base_dir = fs::path("/base")) {
    auto config = kube::parse_kubeconfig(text, "cfg", base_dir);
    REQUIRE_FALSE(config);
    CHECK(config.error().kind == ErrorKind::invalid_argument);
    CHECK(config.error().message.find(secret) == std::string::npos);
    return config.error().message;
}

// A kubeconfig of one context "c" whose cluster and user take the given bodies.
std::string one_context(const std::string& cluster, const std::string& user, const std::string& context_extra = "") {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n" + cluster + "users:\n- name: u\n  user:\n" +
           user + "contexts:\n- name: c\n  context: {cluster: k, user: u" + context_extra + "}\ncurrent-context: c\n";
}

const std::string server = "    server: https://10.0.0.1:6443\n";

tether::Error resolve_error(const std::string& text, std::optional<std::string> context = {}) {
    auto access = kube::resolve_context(parsed(text), context);
    REQUIRE_FALSE(access);
    CHECK(access.error().message.find(secret) == std::string::npos);
    return access.error();
}

}  // namespace

TEST_CASE("kubeconfig: a token user resolves to server, CA, namespace and bearer token") {
    std::string ca = kube_test::ca_pem();
    auto config = parsed(one_context("    server: https://k.example:6443/prefix\n    certificate-authority-data: " +
                                         kube_test::base64(ca) + "\n    tls-server-name: api.internal\n"
                                         "    proxy-url: http://proxy:3128\n",
                                     "    token: " + std::string(secret) + "\n", ", namespace: team-a"));
    auto access = kube::resolve_context(config);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    CHECK(access.value().context == "c");
    CHECK(access.value().server == "https://k.example:6443/prefix");
    CHECK(access.value().certificate_authority == ca);
    CHECK(access.value().tls_server_name == "api.internal");
    CHECK(access.value().proxy_url == "http://proxy:3128");
    CHECK(access.value().namespace_name == "team-a");
    REQUIRE(std::holds_alternative<kube::BearerToken>(access.value().auth));
    CHECK(std::get<kube::BearerToken>(access.value().auth).token.reveal() == secret);
}

TEST_CASE("kubeconfig: JSON is read too, and the namespace defaults to default") {
    auto config = parsed(R"({"kind": "Config", "clusters": [{"name": "k", "cluster": {"server": "https://a:1"}}],
        "users": [{"name": "u", "user": {"tokenFile": "tok"}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}], "current-context": "c"})");
    auto access = kube::resolve_context(config);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    CHECK(access.value().namespace_name == "default");
    CHECK(access.value().certificate_authority.empty());
    REQUIRE(std::holds_alternative<kube::TokenFilePath>(access.value().auth));
    CHECK(std::get<kube::TokenFilePath>(access.value().auth).path == "/base/tok");
}

TEST_CASE("kubeconfig: relative paths resolve against the file's directory; an exec command only with a '/'") {
    auto config = parsed(one_context("    server: https://a:1\n    certificate-authority: ../ca.crt\n",
                                     "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                     "      command: bin/plugin\n      interactiveMode: Never\n"),
                         fs::path("/home/a/.kube"));
    CHECK(config.clusters.at("k").certificate_authority == fs::path("/home/a/ca.crt"));
    CHECK(config.users.at("u").exec->command == "/home/a/.kube/bin/plugin");
    auto bare = parsed(one_context(server, "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                                           "      command: gke-gcloud-auth-plugin\n"));
    CHECK(bare.users.at("u").exec->command == "gke-gcloud-auth-plugin");
    CHECK(bare.users.at("u").exec->interactive_mode == "IfAvailable");  // client-go's default for v1beta1
}

TEST_CASE("kubeconfig: an inline kubeconfig may name no file on the runner and run no program there") {
    CHECK(parse_error(one_context("    server: https://a:1\n    certificate-authority: ca.crt\n", "    token: x\n"),
                      std::nullopt) ==
          "cfg:7:28: clusters[0].cluster.certificate-authority names a file on the runner, which an inline kubeconfig "
          "cannot use: embed the data instead");
    // Absolute paths too: the runner's own service account token would go to the server's cluster.
    for (const char* user : {"    tokenFile: t\n", "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n",
                             "    client-certificate: /etc/runner.crt\n    client-key: /etc/runner.key\n"}) {
        CHECK_MESSAGE(parse_error(one_context(server, user), std::nullopt).find("names a file on the runner") != std::string::npos,
                      user);
    }
    for (const char* exec : {"    exec: {command: ./p}\n", "    exec: {command: /bin/sh, apiVersion: client.authentication.k8s.io/v1}\n"}) {
        CHECK_MESSAGE(parse_error(one_context(server, exec), std::nullopt).find("runs a program on the runner") != std::string::npos,
                      exec);
    }
    // The same from a file on the runner is the runner's own choice.
    auto config = parsed(one_context(server, "    tokenFile: /var/token\n"), fs::path("/etc"));
    CHECK(config.users.at("u").token_file == fs::path("/var/token"));
}

TEST_CASE("kubeconfig: exec plugins keep args, env, cluster info, install hint and interactive mode") {
    auto config = parsed(one_context(server, R"(    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/bin/aws
      args: [eks, get-token, --cluster-name, prod]
      env:
      - name: AWS_PROFILE
        value: prod
      provideClusterInfo: true
      installHint: install the AWS CLI
      interactiveMode: Never
)"));
    auto access = kube::resolve_context(config);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    const auto& exec = std::get<kube::ExecConfig>(access.value().auth);
    CHECK(exec.command == "/usr/bin/aws");
    CHECK(exec.args == std::vector<std::string>{"eks", "get-token", "--cluster-name", "prod"});
    REQUIRE(exec.env.size() == 1);
    CHECK(exec.env[0].name == "AWS_PROFILE");
    CHECK(exec.env[0].value == "prod");
    CHECK(exec.provide_cluster_info);
    CHECK(exec.install_hint == "install the AWS CLI");
    CHECK(exec.interactive_mode == "Never");
}

TEST_CASE("kubeconfig: client certificates from data and from files, checked against their key") {
    TempDir dir;
    auto pair = kube_test::client_pair("alice");
    auto data = parsed(one_context(server, "    client-certificate-data: " + kube_test::base64(pair.certificate_pem) +
                                               "\n    client-key-data: " + kube_test::base64(pair.key_pem) + "\n"));
    auto access = kube::resolve_context(data);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    CHECK(std::get<kube::ClientCertificate>(access.value().auth).certificate_pem == pair.certificate_pem);
    CHECK(std::get<kube::ClientCertificate>(access.value().auth).key_pem.reveal() == pair.key_pem);

    dir.write("alice.crt", pair.certificate_pem);
    dir.write("alice.key", pair.key_pem, 0600);
    auto files = parsed(one_context(server, "    client-certificate: alice.crt\n    client-key: alice.key\n"), dir.path);
    auto from_files = kube::resolve_context(files);
    REQUIRE_MESSAGE(from_files, (from_files ? "" : from_files.error().message));
    CHECK(std::get<kube::ClientCertificate>(from_files.value().auth).key_pem.reveal() == pair.key_pem);

    auto other = kube_test::client_pair("bob");
    auto mismatch = resolve_error(one_context(server, "    client-certificate-data: " +
                                                          kube_test::base64(pair.certificate_pem) +
                                                          "\n    client-key-data: " + kube_test::base64(other.key_pem) + "\n"));
    CHECK(mismatch.message == "user u (cfg:8): the client key does not match the client certificate");
    auto missing = resolve_error(one_context(server, "    client-certificate: nope.crt\n    client-key: alice.key\n"));
    CHECK(missing.kind == ErrorKind::not_found);
    CHECK(missing.message.starts_with("user u (cfg:8): client-certificate /base/nope.crt: "));
}

TEST_CASE("kubeconfig: KUBECONFIG files merge as kubectl merges them") {
    TempDir dir;
    auto a = dir.write("a/config", R"(clusters:
- {name: shared, cluster: {server: "https://from-a:1"}}
users:
- {name: shared, user: {token: token-a}}
contexts:
- {name: ctx-a, context: {cluster: shared, user: shared}}
)");
    auto b = dir.write("b/config", R"(clusters:
- {name: shared, cluster: {server: "https://from-b:1"}}
- {name: only-b, cluster: {server: "https://only-b:1"}}
users:
- {name: shared, user: {token: token-b}}
contexts:
- {name: ctx-b, context: {cluster: only-b, user: shared, namespace: nb}}
current-context: ctx-b
)");
    auto c = dir.write("c/config", "current-context: ctx-a\n");
    auto config = kube::load_kubeconfig(environment_of({{"KUBECONFIG", a.string() + "::" + dir.path.string() +
                                                                           "/missing:" + b.string() + ":" + c.string() +
                                                                           ":" + a.string()},
                                                        {"HOME", "/nonexistent"}}));
    REQUIRE_MESSAGE(config, (config ? "" : config.error().message));
    CHECK(config.value().files == std::vector<fs::path>{a, b, c});
    CHECK(config.value().current_context == "ctx-b");  // a sets none; b is the first that does
    CHECK(config.value().clusters.at("shared").server == "https://from-a:1");
    CHECK(config.value().clusters.at("only-b").server == "https://only-b:1");
    auto access = kube::resolve_context(config.value());
    REQUIRE(access);
    CHECK(access.value().server == "https://only-b:1");
    CHECK(std::get<kube::BearerToken>(access.value().auth).token.reveal() == "token-a");
    CHECK(access.value().namespace_name == "nb");
}

TEST_CASE("kubeconfig: paths come from KUBECONFIG, else HOME") {
    auto home = kube::kubeconfig_paths(environment_of({{"HOME", "/home/a"}, {"KUBECONFIG", ""}}));
    REQUIRE(home);
    CHECK(home.value() == std::vector<fs::path>{"/home/a/.kube/config"});
    auto none = kube::kubeconfig_paths(environment_of({}));
    REQUIRE_FALSE(none);
    CHECK(none.error().kind == ErrorKind::failed_precondition);
    TempDir dir;
    auto missing = kube::load_kubeconfig(environment_of({{"HOME", dir.path.string()}}));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK(missing.error().message == "no kubeconfig: " + (dir.path / ".kube/config").string() + " does not exist");
}

TEST_CASE("kubeconfig: malformed files are refused with file, line and column, never a value") {
    CHECK(parse_error("clusters: [\n  bad").starts_with("cfg:"));
    CHECK(parse_error("- a\n- b\n") == "cfg:1:1: a kubeconfig must be a mapping with clusters, users and contexts");
    CHECK(parse_error("kind: Pod\n") == "cfg:1:7: kind must be Config");
    CHECK(parse_error("clusters: {a: 1}\n") == "cfg:1:11: clusters must be a list");
    CHECK(parse_error("users:\n- user: {token: x}\n") == "cfg:2:3: users[0] has no name");
    CHECK(parse_error("users:\n- {name: u, user: {token: [" + std::string(secret) + "]}}\n") ==
          "cfg:2:27: users[0].user.token must be a string");
    CHECK(parse_error("users:\n- {name: u}\n- {name: u}\n") == "cfg:3:3: users[1] repeats the name u");
    CHECK(parse_error("users:\n- {name: u, user: {client-key-data: \"" + std::string(secret) + "\"}}\n") ==
          "cfg:2:37: users[0].user.client-key-data is not base64");
    CHECK(parse_error("clusters:\n- {name: k, cluster: {insecure-skip-tls-verify: maybe}}\n") ==
          "cfg:2:49: clusters[0].cluster.insecure-skip-tls-verify must be true or false");
    CHECK(parse_error("users:\n- {name: u, user: {exec: {command: x, env: [{name: A, value: {b: c}}]}}}\n")
              .ends_with("users[0].user.exec.env[0].value must be a string"));
    CHECK(parse_error("users:\n- name: u\n  user: {token: " + std::string(secret) + "\n").starts_with("cfg:4:1: not YAML: "));
}

TEST_CASE("kubeconfig: contexts that cannot be resolved say why") {
    std::string ok = one_context(server, "    token: " + std::string(secret) + "\n");
    auto no_context = resolve_error("clusters: []\n");
    CHECK(no_context.kind == ErrorKind::failed_precondition);
    CHECK(no_context.message == "no kubeconfig context: current-context is not set and none was named");
    auto unknown = resolve_error(ok, "other");
    CHECK(unknown.kind == ErrorKind::not_found);
    CHECK(unknown.message == "context other is not in the kubeconfig");
    auto no_cluster = resolve_error("contexts:\n- {name: c, context: {cluster: k, user: u}}\ncurrent-context: c\n");
    CHECK(no_cluster.kind == ErrorKind::not_found);
    CHECK(no_cluster.message == "context c (cfg:2) names cluster k, which is not in the kubeconfig");
    CHECK(resolve_error("contexts:\n- {name: c, context: {user: u}}\n", "c").message == "context c (cfg:2) names no cluster");
    auto no_user = resolve_error(
        "clusters:\n- {name: k, cluster: {server: \"https://a:1\"}}\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\n",
        "c");
    CHECK(no_user.message == "context c (cfg:4) names user u, which is not in the kubeconfig");
}

TEST_CASE("kubeconfig: clusters tether refuses: no server, http, skipped TLS verification, bad CA or proxy") {
    std::string user = "    token: " + std::string(secret) + "\n";
    CHECK(resolve_error(one_context("    proxy-url: http://p:1\n", user)).message == "cluster k (cfg:4) has no server");
    auto http = resolve_error(one_context("    server: http://10.0.0.1:8080\n", user));
    CHECK(http.kind == ErrorKind::invalid_argument);
    CHECK(http.message ==
          "cluster k (cfg:4): server must be an https:// URL with a host (plain http would expose the credentials)");
    CHECK(resolve_error(one_context("    server: https://\n", user)).kind == ErrorKind::invalid_argument);
    auto insecure = resolve_error(one_context(server + "    insecure-skip-tls-verify: true\n", user));
    CHECK(insecure.kind == ErrorKind::failed_precondition);
    CHECK(insecure.message.starts_with("cluster k (cfg:4) sets insecure-skip-tls-verify: tether never sends credentials"));
    CHECK(resolve_error(one_context(server + "    certificate-authority-data: " + kube_test::base64("not pem") + "\n", user))
              .message == "cluster k (cfg:4): the certificate authority is not a PEM certificate");
    CHECK(resolve_error(one_context(server + "    certificate-authority: /nonexistent/ca.crt\n", user)).kind ==
          ErrorKind::not_found);
    CHECK(resolve_error(one_context(server + "    certificate-authority: /x\n    certificate-authority-data: " +
                                        kube_test::base64(kube_test::ca_pem()) + "\n",
                                    user))
              .message == "cluster k (cfg:4) sets both certificate-authority and certificate-authority-data: keep one");
    CHECK(resolve_error(one_context(server + "    proxy-url: socks5://p:1080\n", user)).message ==
          "cluster k (cfg:4): proxy-url must be an http:// or https:// URL");
}

TEST_CASE("kubeconfig: users tether refuses: none, two ways, basic auth, auth-provider, bad exec") {
    auto refused = [](const std::string& user) { return resolve_error(one_context(server, user)); };
    auto none = refused("    {}\n");
    CHECK(none.kind == ErrorKind::failed_precondition);
    CHECK(none.message == "user u (cfg:8) has no credentials (token, tokenFile, client certificate or exec)");
    CHECK(refused("    token: " + std::string(secret) + "\n    tokenFile: /t\n").message ==
          "user u (cfg:8) sets both token and tokenFile: tether authenticates one way, keep one");
    auto basic = refused("    username: admin\n    password: " + std::string(secret) + "\n");
    CHECK(basic.kind == ErrorKind::failed_precondition);
    CHECK(basic.message == "user u (cfg:8) uses username/password (basic auth), which tether does not support: use a "
                           "token, tokenFile, client certificate or exec plugin");
    auto provider = refused("    auth-provider:\n      name: oidc\n      config: {id-token: " + std::string(secret) + "}\n");
    CHECK(provider.kind == ErrorKind::failed_precondition);
    CHECK(provider.message.starts_with("user u (cfg:8) uses auth-provider oidc, which tether does not support"));
    CHECK(refused("    as: admin\n    token: t\n").message.starts_with("user u (cfg:8) uses impersonation"));
    CHECK(refused("    client-key-data: " + kube_test::base64(kube_test::client_pair("x").key_pem) + "\n").message ==
          "user u (cfg:8) has a client key but no client certificate");
    CHECK(refused("    client-certificate-data: " + kube_test::base64("junk") + "\n    client-key-data: " +
                  kube_test::base64(secret) + "\n")
              .message == "user u (cfg:8): the client certificate is not a PEM certificate");
    auto exec = [&](const std::string& body) { return refused("    exec:\n" + body).message; };
    CHECK(exec("      command: x\n      apiVersion: client.authentication.k8s.io/v1alpha1\n") ==
          "user u (cfg:8): exec apiVersion must be client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1");
    CHECK(exec("      apiVersion: client.authentication.k8s.io/v1\n      interactiveMode: Never\n") ==
          "user u (cfg:8): exec has no command");
    CHECK(exec("      command: x\n      apiVersion: client.authentication.k8s.io/v1\n") ==
          "user u (cfg:8): exec interactiveMode is required with client.authentication.k8s.io/v1 (Never or IfAvailable)");
    auto always = refused("    exec:\n      command: x\n      apiVersion: client.authentication.k8s.io/v1\n"
                          "      interactiveMode: Always\n");
    CHECK(always.kind == ErrorKind::failed_precondition);
    CHECK(always.message.find("needs a terminal") != std::string::npos);
    CHECK(exec("      command: x\n      apiVersion: client.authentication.k8s.io/v1\n      interactiveMode: Sometimes\n") ==
          "user u (cfg:8): exec interactiveMode must be Never, IfAvailable or Always");
    CHECK(exec("      command: x\n      apiVersion: client.authentication.k8s.io/v1beta1\n      env: [{name: \"\"}]\n") ==
          "user u (cfg:8): exec env names must be non-empty and hold no '='");
}

TEST_CASE("kubeconfig: nesting past yaml-cpp's depth guard is an error naming the file, not a stack overflow") {
    for (std::size_t depth : {1'999u, 100'000u}) {
        std::string flow = "clusters: " + std::string(depth, '[') + std::string(depth, ']') + "\n";
        auto config = kube::parse_kubeconfig(flow, "cfg", fs::path("/base"));
        REQUIRE_FALSE(config);
        CHECK(config.error().kind == ErrorKind::invalid_argument);
        CHECK_MESSAGE(config.error().message.find("cfg") != std::string::npos, config.error().message);
    }
    std::string block = "clusters:\n";
    for (int i = 0; i < 5'000; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "- \n";
    CHECK_FALSE(kube::parse_kubeconfig(block, "cfg", fs::path("/base")));
}
