// tether admin kubectl … get: a small part of kubectl, run as a
// kubernetes.call operation on a runner with a connection's credentials.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "tether/admin/account_commands.h"
#include "tether/admin/operation_runner.h"
#include "tether/admin/output.h"
#include "tether/core/duration.h"
#include "tether/core/error.h"

namespace tether::admin {
namespace {

using nlohmann::json;

struct Kind {
    std::string api;       // "/api/v1", "/apis/apps/v1"
    std::string resource;  // "pods"
    bool namespaced = true;
};

// The kinds `get` knows, by the names and short names kubectl accepts.
const std::map<std::string, Kind, std::less<>>& kinds() {
    static const std::map<std::string, Kind, std::less<>> all = [] {
        std::map<std::string, Kind, std::less<>> out;
        auto add = [&](std::initializer_list<const char*> names, Kind kind) {
            for (const char* name : names) out[name] = kind;
        };
        add({"pods", "pod", "po"}, {"/api/v1", "pods"});
        add({"services", "service", "svc"}, {"/api/v1", "services"});
        add({"configmaps", "configmap", "cm"}, {"/api/v1", "configmaps"});
        add({"secrets", "secret"}, {"/api/v1", "secrets"});
        add({"serviceaccounts", "serviceaccount", "sa"}, {"/api/v1", "serviceaccounts"});
        add({"namespaces", "namespace", "ns"}, {"/api/v1", "namespaces", false});
        add({"nodes", "node", "no"}, {"/api/v1", "nodes", false});
        add({"deployments", "deployment", "deploy"}, {"/apis/apps/v1", "deployments"});
        add({"statefulsets", "statefulset", "sts"}, {"/apis/apps/v1", "statefulsets"});
        add({"daemonsets", "daemonset", "ds"}, {"/apis/apps/v1", "daemonsets"});
        add({"replicasets", "replicaset", "rs"}, {"/apis/apps/v1", "replicasets"});
        add({"jobs", "job"}, {"/apis/batch/v1", "jobs"});
        add({"cronjobs", "cronjob", "cj"}, {"/apis/batch/v1", "cronjobs"});
        return out;
    }();
    return all;
}

struct KubectlArgs {
    std::string runner;
    std::string connection;
    std::string timeout = "60s";
    std::string kind;
    std::string name;
    std::string namespace_name;
    bool all_namespaces = false;
};

// What kubectl's STATUS column would say, for the kinds that have one.
std::string status_of(const std::string& resource, const json& item) {
    const json status = item.value("status", json::object());
    if (resource == "pods" || resource == "namespaces") return status.value("phase", "");
    if (resource == "nodes") {
        for (const auto& condition : status.value("conditions", json::array())) {
            if (condition.value("type", "") == "Ready") return condition.value("status", "") == "True" ? "Ready" : "NotReady";
        }
        return "Unknown";
    }
    if (resource == "deployments" || resource == "statefulsets" || resource == "replicasets") {
        return std::to_string(status.value("readyReplicas", 0)) + "/" +
               std::to_string(item.value("spec", json::object()).value("replicas", 0));
    }
    return "";
}

int get(const AdminConfig& config, const KubectlArgs& args) {
    auto kind = kinds().find(args.kind);
    if (kind == kinds().end()) {
        std::string known;
        for (const auto& [name, k] : kinds()) {
            if (name == k.resource) known += (known.empty() ? "" : ", ") + name;
        }
        fail(ExitCode::usage, "tether admin kubectl get knows " + known + ", not '" + args.kind + "'");
    }
    const Kind& k = kind->second;
    std::string path = k.api;
    if (k.namespaced && !args.all_namespaces) {
        // "{namespace}": the runner puts in -n, else the connection's namespace.
        path += "/namespaces/{namespace}";
    }
    path += "/" + k.resource;
    if (!args.name.empty()) path += "/" + args.name;
    json params = {{"path", path}};
    if (!args.namespace_name.empty()) params["namespace"] = args.namespace_name;
    auto timeout = operation_timeout(args.timeout);
    json body = {{"runner", args.runner}, {"type", "kubernetes.call"}, {"connection", args.connection},
                 {"params", params}, {"timeout", args.timeout}};
    json operation = submit_and_wait(config, body, timeout);
    if (operation.value("status", "") != "succeeded") return report_failure(operation);
    const json& result = operation["result"];
    unsigned status = result.value("status", 0u);
    const json answer = result.value("body", json());
    if (status >= 300) {
        std::string message = answer.is_object() ? answer.value("message", "") : answer.dump().substr(0, 300);
        fail(status == 401 || status == 403 ? ExitCode::refused : status == 404 ? ExitCode::data : ExitCode::unavailable,
             "the API server answered HTTP " + std::to_string(status) + ": " + message);
    }
    if (config.output == Output::json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    json items = answer.is_object() && answer.contains("items") ? answer["items"] : json::array({answer});
    bool show_namespace = args.all_namespaces && k.namespaced;
    std::vector<std::string> header = {"name", "status"};
    if (show_namespace) header.insert(header.begin(), "namespace");
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : items) {
        const json metadata = item.value("metadata", json::object());
        std::vector<std::string> row = {metadata.value("name", ""), status_of(k.resource, item)};
        if (show_namespace) row.insert(row.begin(), metadata.value("namespace", ""));
        rows.push_back(std::move(row));
    }
    std::cout << format_table(header, rows);
    return 0;
}

}  // namespace

void add_kubectl_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    CLI::App* kubectl = admin.add_subcommand("kubectl", "Kubernetes reads made by a runner with a connection's credentials");
    kubectl->require_subcommand(1);
    auto args = std::make_shared<KubectlArgs>();
    kubectl->add_option("--runner", args->runner, "the runner that makes the call")->required();
    kubectl->add_option("--connection", args->connection, "the kubernetes connection it uses")->required();
    kubectl->add_option("--timeout", args->timeout, "deadline from submission")->capture_default_str();

    CLI::App* get_command = kubectl->add_subcommand("get", "List resources of a kind (or show one), names and status");
    get_command->add_option("kind", args->kind, "pods, deployments, services, namespaces, nodes, … (kubectl's short names too)")
        ->required();
    get_command->add_option("name", args->name, "one resource");
    get_command->add_option("-n,--namespace", args->namespace_name, "else the connection's namespace");
    get_command->add_flag("-A,--all-namespaces", args->all_namespaces, "every namespace");
    get_command->callback([chosen, args] { *chosen = [args](const AdminConfig& config) { return get(config, *args); }; });
}

}  // namespace tether::admin
