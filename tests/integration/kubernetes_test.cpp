// kubernetes.call and `tether admin kubectl get` through the real binaries
// against API servers faked by tests/fakes/http_server.py (Python's
// http.server and ssl): a bearer token from the runner's kubeconfig, a
// client certificate from an inline kubeconfig, an exec plugin; and a
// token that must never reach another host.
#include <doctest/doctest.h>

#include "common/script_server.h"
#include "runner_fixture.h"
#include "tether/crypto/base64.h"
#include "tether/pki/authority.h"

using namespace tether::testing;
using nlohmann::json;
namespace pki = tether::pki;

namespace {

const std::string fake_server = TETHER_SOURCE_DIR "/tests/fakes/http_server.py";
const std::string cluster_token = "kube-token-0123456789-secret";

// A cluster CA, a server certificate for 127.0.0.1, a client certificate.
struct ClusterPki {
    std::filesystem::path dir;
    pki::CertificateAuthority ca = pki::create_authority("cluster CA", std::chrono::hours(1));
    pki::PrivateKey server_key = pki::PrivateKey::generate();
    pki::PrivateKey client_key = pki::PrivateKey::generate();
    std::string client_certificate =
        pki::issue_client_certificate(ca, client_key, "spiffe://cluster/admin", "cluster-admin", std::chrono::hours(1))
            .value()
            .to_pem();

    explicit ClusterPki(std::filesystem::path where) : dir(std::move(where)) {
        std::filesystem::create_directories(dir);
        write_file(dir / "ca.crt", ca.certificate.to_pem(), 0600);
        write_file(dir / "server.crt",
                   pki::issue_server_certificate(ca, server_key, {{"localhost"}, {"127.0.0.1"}}, std::chrono::hours(1))
                       .value()
                       .to_pem(),
                   0600);
        write_file(dir / "server.key", std::string(server_key.to_pem().reveal()), 0600);
    }
    std::vector<std::string> server_args(std::vector<std::string> extra) const {
        std::vector<std::string> args = {"--tls-cert", (dir / "server.crt").string(), "--tls-key", (dir / "server.key").string(),
                                         "--kubernetes"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }
};

std::string kubeconfig(const ClusterPki& pki, std::uint16_t port, const std::string& user) {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:" +
           std::to_string(port) + "\n    certificate-authority-data: " + tether::crypto::base64_encode(pki.ca.certificate.to_pem()) +
           "\nusers:\n- name: u\n  user:\n" + user + "contexts:\n- name: test\n  context: {cluster: test, user: u, namespace: team-a}\ncurrent-context: test\n";
}

const std::string kube_policy =
    "[policy]\noperations = [\"kubernetes.call\"]\nconnections = [\"*\"]\nproviders = [\"kubernetes\"]\n"
    "auth_modes = [\"*\"]\nendpoints = [\"127.0.0.1:*\"]\n";

json call(const RunningServer& server, const std::string& connection, json params) {
    json submitted = server.call("POST", "/v1/operations",
                                 {{"runner", "k8s"}, {"type", "kubernetes.call"}, {"connection", connection},
                                  {"params", std::move(params)}, {"timeout", "30s"}},
                                 201);
    return wait_for_status(server, submitted["id"], 30s);
}

int requests_seen(const ScriptServer& fake) {
    int count = 0;
    std::string out = fake.output();
    for (std::size_t at = out.find("request "); at != std::string::npos; at = out.find("request ", at + 1)) ++count;
    return count;
}

}  // namespace

TEST_CASE("kubernetes.call with the runner's kubeconfig (bearer token): pods listed; a token for another host never leaves") {
    RunningServer server;
    ClusterPki cluster(server.dir / "cluster");
    ScriptServer api(fake_server, cluster.server_args({"--bearer", cluster_token}));
    ScriptServer elsewhere(fake_server, cluster.server_args({}));
    write_file(server.dir / "kubeconfig", kubeconfig(cluster, api.port(), "    token: " + cluster_token + "\n"), 0600);

    Outcome created = server.admin({"connection", "create", "cluster", "--provider", "kubernetes", "--auth-mode", "runner-delegated"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    // A connection that asks the runner's credentials to go elsewhere.
    created = server.admin({"connection", "create", "hijack", "--provider", "kubernetes", "--auth-mode", "runner-delegated",
                            "--set", "server=https://127.0.0.1:" + std::to_string(elsewhere.port())});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto credentials = make_credentials(server, "k8s", server.dir / "runner-k8s");
    RunningRunner runner(server, credentials, kube_policy, {.env = {{"KUBECONFIG", (server.dir / "kubeconfig").string()}}});
    runner.wait_until_connected();

    json pods = call(server, "cluster", {{"path", "/api/v1/namespaces/{namespace}/pods"}});
    INFO(pods.dump());
    REQUIRE(pods["status"] == "succeeded");
    CHECK(pods["result"]["status"] == 200);
    CHECK(pods["result"]["body"]["kind"] == "PodList");
    CHECK(pods["result"]["body"]["items"][0]["metadata"]["name"] == "web-team-a");  // the context's namespace
    json other = call(server, "cluster", {{"path", "/api/v1/namespaces/{namespace}/pods"}, {"namespace", "team-b"}});
    CHECK(other["result"]["body"]["items"][0]["metadata"]["name"] == "web-team-b");

    Outcome table = server.admin({"kubectl", "--runner", "k8s", "--connection", "cluster", "get", "pods"});
    REQUIRE_MESSAGE(table.exit_code == 0, table.err);
    CHECK(table.out.find("web-team-a") != std::string::npos);
    CHECK(table.out.find("Running") != std::string::npos);
    CHECK(table.out.find("job-team-a") != std::string::npos);
    CHECK(table.out.find("Succeeded") != std::string::npos);
    Outcome listed = server.admin({"kubectl", "--runner", "k8s", "--connection", "cluster", "get", "po", "-n", "ops", "-o", "json"});
    REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
    CHECK(json::parse(listed.out)["items"][1]["metadata"]["name"] == "job-ops");
    Outcome unknown = server.admin({"kubectl", "--runner", "k8s", "--connection", "cluster", "get", "widgets"});
    CHECK(unknown.exit_code == 64);

    // The runner's token belongs to its own cluster: the provider refuses
    // to send it to the host the connection names, before resolving it.
    json hijacked = call(server, "hijack", {{"path", "/api/v1/namespaces/default/pods"}});
    CHECK(hijacked["status"] == "failed");
    CHECK(hijacked["error"]["code"] == "permission_denied");
    CHECK(hijacked["error"]["message"] == "provider kubernetes does not send credentials to 127.0.0.1:" +
                                              std::to_string(elsewhere.port()) + " (not one of its endpoints or the connection's)");
    CHECK(requests_seen(elsewhere) == 0);
    CHECK(requests_seen(api) == 4);

    runner.process->stop(SIGTERM);
    CHECK(runner.process->err().find(cluster_token) == std::string::npos);
    CHECK(read_text(runner.audit_file()).find(cluster_token) == std::string::npos);
    CHECK(read_text(runner.audit_file()).find("\"endpoint\":\"127.0.0.1:" + std::to_string(api.port()) + "\"") != std::string::npos);
}

TEST_CASE("kubernetes.call with an inline kubeconfig (client certificate) and with an exec plugin; the policy's endpoints bind") {
    RunningServer server;
    ClusterPki cluster(server.dir / "cluster");
    ScriptServer mtls(fake_server, cluster.server_args({"--client-ca", (server.dir / "cluster" / "ca.crt").string()}));
    ScriptServer api(fake_server, cluster.server_args({"--bearer", cluster_token}));

    std::string certificate_user = "    client-certificate-data: " + tether::crypto::base64_encode(cluster.client_certificate) +
                                   "\n    client-key-data: " +
                                   tether::crypto::base64_encode(cluster.client_key.to_pem().reveal()) + "\n";
    write_file(server.dir / "inline.yaml", kubeconfig(cluster, mtls.port(), certificate_user), 0600);
    Outcome created = server.admin({"connection", "create", "inline-cluster", "--provider", "kubernetes", "--auth-mode", "inline",
                                    "--set", "namespace=payments", "--credentials-file", (server.dir / "inline.yaml").string()});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);

    // The runner's kubeconfig gets its token from an exec plugin.
    json credential = {{"apiVersion", "client.authentication.k8s.io/v1"},
                       {"kind", "ExecCredential"},
                       {"status", {{"token", cluster_token}}}};
    write_file(server.dir / "plugin.sh", "#!/bin/sh\ncat <<'EOF'\n" + credential.dump() + "\nEOF\n", 0700);
    write_file(server.dir / "kubeconfig",
               kubeconfig(cluster, api.port(),
                          "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
                              (server.dir / "plugin.sh").string() + "\n      interactiveMode: Never\n"),
               0600);
    created = server.admin({"connection", "create", "plugin", "--provider", "kubernetes", "--auth-mode", "runner-delegated"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);

    auto credentials = make_credentials(server, "k8s", server.dir / "runner-k8s");
    {
        RunningRunner runner(server, credentials, kube_policy, {.env = {{"KUBECONFIG", (server.dir / "kubeconfig").string()}}});
        runner.wait_until_connected();
        json pods = call(server, "inline-cluster", {{"path", "/api/v1/namespaces/{namespace}/pods"}});
        INFO(pods.dump());
        REQUIRE(pods["status"] == "succeeded");
        CHECK(pods["result"]["body"]["items"][0]["metadata"]["name"] == "web-payments");  // the connection's namespace
        json echoed = call(server, "inline-cluster", {{"path", "/whoami"}});
        CHECK(echoed["result"]["body"]["client_subject"]["commonName"] == "cluster-admin");
        json plugin = call(server, "plugin", {{"path", "/api/v1/namespaces/{namespace}/pods"}});
        CHECK(plugin["result"]["status"] == 200);
        runner.process->stop(SIGTERM);
        CHECK(runner.process->err().find(cluster_token) == std::string::npos);
    }

    // A policy that lets credentials go to the exec plugin's cluster only:
    // the inline connection's cluster is refused before its key is used.
    std::string narrow = "[policy]\noperations = [\"kubernetes.call\"]\nconnections = [\"*\"]\nproviders = [\"kubernetes\"]\n"
                         "auth_modes = [\"*\"]\nendpoints = [\"127.0.0.1:" + std::to_string(api.port()) + "\"]\n";
    int before = requests_seen(mtls);
    RunningRunner runner(server, credentials, narrow, {.env = {{"KUBECONFIG", (server.dir / "kubeconfig").string()}}});
    runner.wait_until_connected();
    json refused = call(server, "inline-cluster", {{"path", "/api/v1/namespaces/default/pods"}});
    CHECK(refused["error"]["code"] == "permission_denied");
    CHECK(refused["error"]["message"] == "this runner's policy does not allow sending credentials to 127.0.0.1:" +
                                             std::to_string(mtls.port()));
    CHECK(requests_seen(mtls) == before);
    CHECK(call(server, "plugin", {{"path", "/api/v1/namespaces/default/pods"}})["result"]["status"] == 200);

    // Bad parameters are named.
    json bad = call(server, "plugin", {{"path", "api/v1/pods"}});
    CHECK(bad["error"]["message"] == "kubernetes.call: path must start with '/' and be percent-encoded, without a query");
}
