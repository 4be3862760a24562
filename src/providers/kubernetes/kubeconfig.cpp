#include "tether/providers/kubernetes/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "tether/crypto/base64.h"

namespace tether::providers::kubernetes {
namespace {

namespace fs = std::filesystem;

// Thrown inside the parser only, caught in parse_kubeconfig.
struct Invalid {
    std::string message;
};

class Parser {
public:
    Parser(std::string_view source, const std::optional<fs::path>& base_dir) : source_(source), base_dir_(base_dir) {}

    [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
        YAML::Mark mark = node.Mark();
        throw Invalid{where(mark) + ": " + what};
    }

    std::string where(const YAML::Mark& mark) const {
        if (mark.is_null()) return source_;
        return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }

    std::string line_of(const YAML::Node& node) const {
        YAML::Mark mark = node.Mark();
        return mark.is_null() ? source_ : source_ + ":" + std::to_string(mark.line + 1);
    }

    // A field that is absent or null is nullopt; anything but a scalar fails.
    std::optional<std::string> text(const YAML::Node& map, const char* key, const std::string& path) const {
        YAML::Node node = map[key];
        if (!node || node.IsNull()) return std::nullopt;
        if (!node.IsScalar()) fail(node, path + "." + key + " must be a string");
        return node.Scalar();
    }

    std::string text_or_empty(const YAML::Node& map, const char* key, const std::string& path) const {
        return text(map, key, path).value_or("");
    }

    bool boolean(const YAML::Node& map, const char* key, const std::string& path) const {
        YAML::Node node = map[key];
        if (!node || node.IsNull()) return false;
        bool value = false;
        if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
            fail(node, path + "." + key + " must be true or false");
        }
        return value;
    }

    std::optional<fs::path> file_path(const YAML::Node& map, const char* key, const std::string& path) const {
        auto value = text(map, key, path);
        if (!value || value->empty()) return std::nullopt;
        return resolve(map[key], *value, path + "." + key);
    }

    fs::path resolve(const YAML::Node& node, const std::string& value, const std::string& what) const {
        // An inline kubeconfig comes from the server: naming a file on the
        // runner (its service account token, a key) would hand the runner's
        // own credentials to whoever wrote it.
        if (!base_dir_) {
            fail(node, what + " names a file on the runner, which an inline kubeconfig cannot use: embed the data instead");
        }
        fs::path path(value);
        if (path.is_absolute()) return path.lexically_normal();
        return (*base_dir_ / path).lexically_normal();
    }

    // The decoded bytes of a base64 *-data field.
    std::string data(const YAML::Node& map, const char* key, const std::string& path) const {
        auto value = text(map, key, path);
        if (!value || value->empty()) return {};
        auto decoded = crypto::base64_decode(*value);
        wipe(*value);
        if (!decoded) fail(map[key], path + "." + key + " is not base64");
        return std::move(*decoded);
    }

    YAML::Node map_or_fail(const YAML::Node& node, const std::string& what) const {
        if (!node.IsMap()) fail(node, what + " must be a mapping");
        return node;
    }

    // Each {name, <field>} of a list, in order; duplicate names are refused
    // as client-go refuses them.
    template <typename Entry, typename Read>
    void named_list(const YAML::Node& root, const char* list, const char* field,
                    std::map<std::string, Entry, std::less<>>& out, Read read) const {
        YAML::Node items = root[list];
        if (!items || items.IsNull()) return;
        if (!items.IsSequence()) fail(items, std::string(list) + " must be a list");
        for (std::size_t i = 0; i < items.size(); ++i) {
            std::string path = std::string(list) + "[" + std::to_string(i) + "]";
            const YAML::Node item = map_or_fail(items[i], path);
            auto name = text(item, "name", path);
            if (!name || name->empty()) fail(item, path + " has no name");
            if (out.contains(*name)) fail(item, path + " repeats the name " + *name);
            YAML::Node body = item[field];
            Entry entry;
            entry.origin = Origin{base_dir_ ? fs::path(source_) : fs::path(), line_of(item)};
            if (body && !body.IsNull()) read(map_or_fail(body, path + "." + field), path + "." + field, entry);
            out.emplace(std::move(*name), std::move(entry));
        }
    }

    void cluster(const YAML::Node& node, const std::string& path, Cluster& out) const {
        out.server = text_or_empty(node, "server", path);
        out.certificate_authority = file_path(node, "certificate-authority", path);
        out.certificate_authority_data = data(node, "certificate-authority-data", path);
        out.tls_server_name = text_or_empty(node, "tls-server-name", path);
        out.insecure_skip_tls_verify = boolean(node, "insecure-skip-tls-verify", path);
        out.proxy_url = text_or_empty(node, "proxy-url", path);
    }

    void user(const YAML::Node& node, const std::string& path, User& out) const {
        if (auto token = text(node, "token", path)) {
            out.token = Secret(*token);
            wipe(*token);
        }
        out.token_file = file_path(node, "tokenFile", path);
        out.client_certificate = file_path(node, "client-certificate", path);
        out.client_certificate_data = data(node, "client-certificate-data", path);
        out.client_key = file_path(node, "client-key", path);
        std::string key = data(node, "client-key-data", path);
        out.client_key_data = Secret(key);
        wipe(key);
        if (node["username"] || node["password"]) out.unsupported.push_back("username/password (basic auth)");
        if (YAML::Node provider = node["auth-provider"]; provider && !provider.IsNull()) {
            std::string name = provider.IsMap() ? text_or_empty(provider, "name", path + ".auth-provider") : "";
            out.unsupported.push_back("auth-provider" + (name.empty() ? "" : " " + name));
        }
        if (node["as"] || node["as-uid"] || node["as-groups"] || node["as-user-extra"]) {
            out.unsupported.push_back("impersonation (as, as-groups, as-uid, as-user-extra)");
        }
        if (YAML::Node exec = node["exec"]; exec && !exec.IsNull()) {
            // Nor may it run a program on the runner.
            if (!base_dir_) fail(exec, path + ".exec runs a program on the runner, which an inline kubeconfig cannot do");
            out.exec = exec_config(map_or_fail(exec, path + ".exec"), path + ".exec");
        }
    }

    ExecConfig exec_config(const YAML::Node& node, const std::string& path) const {
        ExecConfig out;
        out.api_version = text_or_empty(node, "apiVersion", path);
        out.command = text_or_empty(node, "command", path);
        // client-go resolves a command against the file only when it has a '/'.
        if (out.command.find('/') != std::string::npos) out.command = resolve(node["command"], out.command, path + ".command");
        if (YAML::Node args = node["args"]; args && !args.IsNull()) {
            if (!args.IsSequence()) fail(args, path + ".args must be a list");
            for (const auto& arg : args) {
                if (!arg.IsScalar()) fail(arg, path + ".args must be strings");
                out.args.push_back(arg.Scalar());
            }
        }
        if (YAML::Node env = node["env"]; env && !env.IsNull()) {
            if (!env.IsSequence()) fail(env, path + ".env must be a list of {name, value}");
            for (std::size_t i = 0; i < env.size(); ++i) {
                std::string item_path = path + ".env[" + std::to_string(i) + "]";
                const YAML::Node item = map_or_fail(env[i], item_path);
                out.env.push_back({text_or_empty(item, "name", item_path), text_or_empty(item, "value", item_path)});
            }
        }
        out.provide_cluster_info = boolean(node, "provideClusterInfo", path);
        out.install_hint = text_or_empty(node, "installHint", path);
        out.interactive_mode = text_or_empty(node, "interactiveMode", path);
        if (out.interactive_mode.empty() && out.api_version == exec_api_v1beta1) out.interactive_mode = "IfAvailable";
        return out;
    }

    void context(const YAML::Node& node, const std::string& path, Context& out) const {
        out.cluster = text_or_empty(node, "cluster", path);
        out.user = text_or_empty(node, "user", path);
        out.namespace_name = text_or_empty(node, "namespace", path);
    }

    Kubeconfig parse(std::string_view text) const {
        YAML::Node root = YAML::Load(std::string(text));
        Kubeconfig out;
        if (!root || root.IsNull()) return out;  // an empty file is an empty config, as for kubectl
        if (!root.IsMap()) fail(root, "a kubeconfig must be a mapping with clusters, users and contexts");
        if (auto kind = this->text(root, "kind", "kubeconfig"); kind && !kind->empty() && *kind != "Config") {
            fail(root["kind"], "kind must be Config");
        }
        named_list(root, "clusters", "cluster", out.clusters,
                   [this](const YAML::Node& n, const std::string& p, Cluster& e) { cluster(n, p, e); });
        named_list(root, "users", "user", out.users,
                   [this](const YAML::Node& n, const std::string& p, User& e) { user(n, p, e); });
        named_list(root, "contexts", "context", out.contexts,
                   [this](const YAML::Node& n, const std::string& p, Context& e) { context(n, p, e); });
        out.current_context = text_or_empty(root, "current-context", "kubeconfig");
        return out;
    }

private:
    std::string source_;
    std::optional<fs::path> base_dir_;
};

}  // namespace

Result<Kubeconfig> parse_kubeconfig(std::string_view text, std::string_view source,
                                    const std::optional<fs::path>& base_dir) {
    Parser parser(source, base_dir);
    try {
        return parser.parse(text);
    } catch (const Invalid& invalid) {
        return Error{ErrorKind::invalid_argument, invalid.message};
    } catch (const YAML::ParserException& error) {
        // yaml-cpp's parser messages are fixed phrases, never the input.
        return Error{ErrorKind::invalid_argument, parser.where(error.mark) + ": not YAML: " + error.msg};
    } catch (const YAML::Exception& error) {
        return Error{ErrorKind::invalid_argument, parser.where(error.mark) + ": not a kubeconfig"};
    }
}

Result<Kubeconfig> read_kubeconfig_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        std::error_code ec;
        if (!fs::exists(path, ec)) return Error{ErrorKind::not_found, "kubeconfig " + path.string() + " does not exist"};
        return Error{err == EACCES ? ErrorKind::permission_denied : ErrorKind::unavailable,
                     "cannot read kubeconfig " + path.string() + ": " + std::strerror(err)};
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string bytes = text.str();
    fs::path absolute = fs::absolute(path).lexically_normal();
    auto parsed = parse_kubeconfig(bytes, path.string(), absolute.parent_path());
    wipe(bytes);
    if (!parsed) return parsed;
    parsed.value().files = {path};
    return parsed;
}

void merge_kubeconfig(Kubeconfig& into, Kubeconfig&& later) {
    into.files.insert(into.files.end(), later.files.begin(), later.files.end());
    // map::insert keeps what is there: the first file that defines a name wins.
    for (auto& entry : later.clusters) into.clusters.insert(std::move(entry));
    for (auto& entry : later.users) into.users.insert(std::move(entry));
    for (auto& entry : later.contexts) into.contexts.insert(std::move(entry));
    if (into.current_context.empty()) into.current_context = std::move(later.current_context);
}

Result<std::vector<fs::path>> kubeconfig_paths(const Environment& environment) {
    std::vector<fs::path> out;
    std::optional<std::string> list = environment("KUBECONFIG");
    if (list && !list->empty()) {
        std::set<std::string> seen;
        std::string_view rest = *list;
        while (true) {
            std::size_t colon = rest.find(':');
            std::string part(rest.substr(0, colon));
            if (!part.empty() && seen.insert(part).second) out.emplace_back(part);
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
        if (!out.empty()) return out;
    }
    std::optional<std::string> home = environment("HOME");
    if (!home || home->empty()) {
        return Error{ErrorKind::failed_precondition, "no kubeconfig: neither KUBECONFIG nor HOME is set"};
    }
    out.push_back(fs::path(*home) / ".kube" / "config");
    return out;
}

Result<Kubeconfig> load_kubeconfig(const Environment& environment) {
    auto paths = kubeconfig_paths(environment);
    if (!paths) return paths.error();
    Kubeconfig merged;
    bool any = false;
    for (const auto& path : paths.value()) {
        auto file = read_kubeconfig_file(path);
        if (!file && file.error().kind == ErrorKind::not_found) continue;
        if (!file) return file.error();
        merge_kubeconfig(merged, std::move(file).value());
        any = true;
    }
    if (!any) {
        std::string names;
        for (const auto& path : paths.value()) names += (names.empty() ? "" : ", ") + path.string();
        return Error{ErrorKind::not_found, "no kubeconfig: " + names + (paths.value().size() > 1 ? " do not exist" : " does not exist")};
    }
    return merged;
}

}  // namespace tether::providers::kubernetes
