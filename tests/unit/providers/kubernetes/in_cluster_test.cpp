// The in-cluster service account (under a temp dir standing for "/") and
// TokenFile, which re-reads a rotated token.
#include <doctest/doctest.h>

#include <thread>

#include "common/environment.h"
#include "support.h"
#include "tether/providers/kubernetes/in_cluster.h"

namespace kube = tether::providers::kubernetes;
namespace fs = std::filesystem;
using kube_test::TempDir;
using tether::ErrorKind;
using tether::testing::environment_of;

namespace {

const std::string account = "var/run/secrets/kubernetes.io/serviceaccount/";

// A pod's mounted service account under `root`.
void mount_account(const TempDir& root, const std::string& namespace_text = "team-a\n") {
    root.write(account + "token", "pod-token\n", 0600);
    root.write(account + "ca.crt", kube_test::ca_pem());
    if (!namespace_text.empty()) root.write(account + "namespace", namespace_text);
}

tether::config::Environment pod_env(const std::string& host = "10.96.0.1", const std::string& port = "443") {
    return environment_of({{"KUBERNETES_SERVICE_HOST", host}, {"KUBERNETES_SERVICE_PORT", port}});
}

}  // namespace

TEST_CASE("kubernetes in-cluster: server, CA, namespace and token file of the pod's service account") {
    TempDir root;
    mount_account(root);
    auto access = kube::in_cluster_access(pod_env(), root.path);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    CHECK(access.value().context == "in-cluster");
    CHECK(access.value().server == "https://10.96.0.1:443");
    CHECK(access.value().certificate_authority == kube_test::ca_pem());
    CHECK(access.value().namespace_name == "team-a");
    REQUIRE(std::holds_alternative<kube::TokenFilePath>(access.value().auth));
    CHECK(std::get<kube::TokenFilePath>(access.value().auth).path == root.path / account / "token");
}

TEST_CASE("kubernetes in-cluster: an IPv6 host is bracketed; no namespace file means default") {
    TempDir root;
    mount_account(root, "");
    auto access = kube::in_cluster_access(pod_env("fd00:10:96::1", "6443"), root.path);
    REQUIRE_MESSAGE(access, (access ? "" : access.error().message));
    CHECK(access.value().server == "https://[fd00:10:96::1]:6443");
    CHECK(access.value().namespace_name == "default");
}

TEST_CASE("kubernetes in-cluster: outside a pod, or with files missing, it says what is wrong") {
    TempDir root;
    auto outside = kube::in_cluster_access(environment_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}), root.path);
    REQUIRE_FALSE(outside);
    CHECK(outside.error().kind == ErrorKind::not_found);
    CHECK(outside.error().message.starts_with("not in a Kubernetes pod"));
    auto bad_port = kube::in_cluster_access(pod_env("10.96.0.1", "https"), root.path);
    REQUIRE_FALSE(bad_port);
    CHECK(bad_port.error().message == "KUBERNETES_SERVICE_PORT must be a port number (1 to 65535)");
    CHECK(kube::in_cluster_access(pod_env("a/b"), root.path).error().kind == ErrorKind::invalid_argument);
    auto no_token = kube::in_cluster_access(pod_env(), root.path);
    REQUIRE_FALSE(no_token);
    CHECK(no_token.error().kind == ErrorKind::not_found);
    CHECK(no_token.error().message.starts_with("no service account token at " + (root.path / account / "token").string()));
    root.write(account + "token", "t");
    auto no_ca = kube::in_cluster_access(pod_env(), root.path);
    REQUIRE_FALSE(no_ca);
    CHECK(no_ca.error().message == "no service account CA at " + (root.path / account / "ca.crt").string());
    root.write(account + "ca.crt", "junk");
    auto bad_ca = kube::in_cluster_access(pod_env(), root.path);
    REQUIRE_FALSE(bad_ca);
    CHECK(bad_ca.error().message == (root.path / account / "ca.crt").string() + " is not a PEM certificate");
}

TEST_CASE("kubernetes token file: trimmed, cached, re-read when the file changes or after a minute") {
    TempDir dir;
    auto now = std::chrono::steady_clock::now();
    auto clock = [&now] { return now; };
    fs::path path = dir.write("token", "  first-token\n");
    kube::TokenFile file(path, clock);
    auto first = file.token();
    REQUIRE_MESSAGE(first, (first ? "" : first.error().message));
    CHECK(first.value().reveal() == "first-token");

    // The kubelet's rotation: a new file moved over the old one (a new inode).
    dir.write("token.new", "second-token");
    fs::rename(dir.path / "token.new", path);
    CHECK(file.token().value().reveal() == "second-token");

    // A rewrite in place that keeps size and mtime is seen after max_age.
    auto stamp = fs::last_write_time(path);
    {
        std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
        out << "SECOND-token";
    }
    fs::last_write_time(path, stamp);
    CHECK(file.token().value().reveal() == "second-token");
    now += kube::TokenFile::max_age;
    CHECK(file.token().value().reveal() == "SECOND-token");
}

TEST_CASE("kubernetes token file: missing and empty files are errors") {
    TempDir dir;
    kube::TokenFile missing(dir.path / "absent");
    auto absent = missing.token();
    REQUIRE_FALSE(absent);
    CHECK(absent.error().kind == ErrorKind::not_found);
    CHECK(absent.error().message.starts_with("token file " + (dir.path / "absent").string() + ": "));
    kube::TokenFile empty(dir.write("empty", " \n"));
    auto blank = empty.token();
    REQUIRE_FALSE(blank);
    CHECK(blank.error().kind == ErrorKind::failed_precondition);
    CHECK(blank.error().message == "token file " + (dir.path / "empty").string() + " is empty");
}
