#pragma once

// The in-cluster service account of a pod: the API server from
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the token, CA and
// namespace from the files the kubelet mounts. And TokenFile, which reads a
// token that is rotated under us (projected service account tokens, a
// kubeconfig's tokenFile).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/core/settings.h"
#include "tether/providers/kubernetes/kubeconfig.h"

namespace tether::providers::kubernetes {

// Relative to the root given to in_cluster_access().
inline constexpr std::string_view service_account_dir = "var/run/secrets/kubernetes.io/serviceaccount";

// The service account as a ClusterAccess: context "in-cluster", server
// https://host:port (an IPv6 host bracketed), the CA from ca.crt, the
// namespace from the namespace file (else "default"), auth a TokenFilePath.
// `root` is "/" but for tests. not_found when the variables are not set
// (not in a pod) or the token file is missing; invalid_argument for a bad
// port or CA.
Result<ClusterAccess> in_cluster_access(const Environment& environment, const std::filesystem::path& root = "/");

// A bearer token read from a file, re-read when it may have changed.
class TokenFile {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // How long a token read is trusted without looking at the file again
    // (client-go caches a token file for one minute).
    static constexpr std::chrono::seconds max_age{60};

    explicit TokenFile(std::filesystem::path path, Clock clock = std::chrono::steady_clock::now);

    // The token, without surrounding whitespace. not_found, permission_denied
    // or unavailable when the file cannot be read; failed_precondition when
    // it is empty. Safe to call from several threads.
    Result<Secret> token();

    const std::filesystem::path& path() const { return path_; }

private:
    // What stat() says about the file; a change means a new token.
    struct Stamp {
        std::uint64_t device = 0;
        std::uint64_t inode = 0;
        std::int64_t size = 0;
        std::int64_t modified_ns = 0;
        bool operator==(const Stamp&) const = default;
    };

    std::filesystem::path path_;
    Clock clock_;
    std::mutex mutex_;
    Secret token_;
    Stamp stamp_;
    std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace tether::providers::kubernetes
