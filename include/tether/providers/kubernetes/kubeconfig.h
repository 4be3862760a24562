#pragma once

// Kubeconfig files (YAML or JSON), read and merged the way kubectl reads
// them, and a context resolved to what a client needs to reach an API
// server. Nothing here opens a socket: a later piece sends the requests.
//
// Merging KUBECONFIG=a:b:c follows client-go: the first file that defines a
// cluster, user or context name wins (entries are not merged field by
// field), and the first file that sets current-context wins. Relative paths
// resolve against the directory of the file that holds them.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/core/settings.h"

namespace tether::providers::kubernetes {

using config::Environment;

inline constexpr std::string_view exec_api_v1 = "client.authentication.k8s.io/v1";
inline constexpr std::string_view exec_api_v1beta1 = "client.authentication.k8s.io/v1beta1";

struct ExecEnvVar {
    std::string name;
    std::string value;
};

// users[].user.exec: a client-go credential plugin.
struct ExecConfig {
    std::string api_version;
    std::string command;  // absolute if it held a '/' in a file; else looked up in PATH
    std::vector<std::string> args;
    std::vector<ExecEnvVar> env;
    bool provide_cluster_info = false;
    std::string install_hint;
    // "Never", "IfAvailable" or "Always"; v1beta1 defaults to IfAvailable
    // as client-go does, v1 requires it.
    std::string interactive_mode;
};

// Where an entry came from: the file (the `source` of text parsed with a
// base directory; empty for an inline kubeconfig), and "source:line" for
// messages.
struct Origin {
    std::filesystem::path file;
    std::string where;
};

struct Cluster {
    Origin origin;
    std::string server;
    std::optional<std::filesystem::path> certificate_authority;
    std::string certificate_authority_data;  // decoded: PEM text
    std::string tls_server_name;
    bool insecure_skip_tls_verify = false;
    std::string proxy_url;
};

struct User {
    Origin origin;
    Secret token;
    std::optional<std::filesystem::path> token_file;
    std::optional<std::filesystem::path> client_certificate;
    std::string client_certificate_data;  // decoded: PEM text
    std::optional<std::filesystem::path> client_key;
    Secret client_key_data;  // decoded: PEM text
    std::optional<ExecConfig> exec;
    // Auth methods tether refuses ("username/password", "auth-provider
    // gcp"): the file still loads, using this user fails.
    std::vector<std::string> unsupported;
};

struct Context {
    Origin origin;
    std::string cluster;
    std::string user;
    std::string namespace_name;  // empty: not set
};

struct Kubeconfig {
    std::vector<std::filesystem::path> files;  // those read, in KUBECONFIG order
    std::map<std::string, Cluster, std::less<>> clusters;
    std::map<std::string, User, std::less<>> users;
    std::map<std::string, Context, std::less<>> contexts;
    std::string current_context;
};

// One kubeconfig's text. `source` names it in messages ("/home/a/.kube/config",
// "the inline kubeconfig"). Relative paths resolve against `base_dir`; with
// no base_dir (text that came over the network) a relative path is refused.
// invalid_argument names source, line and column and never quotes a value.
Result<Kubeconfig> parse_kubeconfig(std::string_view text, std::string_view source,
                                    const std::optional<std::filesystem::path>& base_dir);

// A file, relative paths in it resolved against its directory. not_found
// if it does not exist, permission_denied if it cannot be read.
Result<Kubeconfig> read_kubeconfig_file(const std::filesystem::path& path);

// Adds `later` (a file further down KUBECONFIG) under `into`'s entries.
void merge_kubeconfig(Kubeconfig& into, Kubeconfig&& later);

// KUBECONFIG split on ':' (empty parts and repeats dropped), else
// $HOME/.kube/config. failed_precondition when neither is set.
Result<std::vector<std::filesystem::path>> kubeconfig_paths(const Environment& environment);

// Every file of kubeconfig_paths() that exists, merged. Missing files are
// skipped, as kubectl skips them; not_found if none exists.
Result<Kubeconfig> load_kubeconfig(const Environment& environment);

struct BearerToken {
    Secret token;
};

// A token in a file that may be rotated: read it with TokenFile (in_cluster.h).
struct TokenFilePath {
    std::filesystem::path path;
};

struct ClientCertificate {
    std::string certificate_pem;
    Secret key_pem;
};

using ClusterAuth = std::variant<BearerToken, TokenFilePath, ClientCertificate, ExecConfig>;

// How to reach and authenticate to one API server.
struct ClusterAccess {
    std::string context;
    std::string server;                 // https://host[:port][/path]
    std::string certificate_authority;  // PEM; empty: the system trust store
    std::string tls_server_name;
    std::string proxy_url;
    std::string namespace_name = "default";
    ClusterAuth auth;
};

// The context named, else current-context, resolved: its cluster and user
// must exist, the server must be https, a CA or client certificate file is
// read here, and the user must have exactly one way to authenticate.
// not_found for a missing context, cluster or user or file;
// failed_precondition for what tether refuses (insecure-skip-tls-verify,
// username/password, auth-provider, interactive exec plugins);
// invalid_argument for malformed values.
Result<ClusterAccess> resolve_context(const Kubeconfig& kubeconfig, const std::optional<std::string>& context = {});

}  // namespace tether::providers::kubernetes
