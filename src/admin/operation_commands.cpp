// tether admin op …
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/operation_runner.h"
#include "tether/admin/output.h"
#include "tether/core/duration.h"
#include "tether/core/error.h"

namespace tether::admin {
namespace {

using nlohmann::json;

struct OperationArgs {
    std::string runner;
    std::string type;
    std::string params_json;
    std::vector<std::string> params;
    std::string connection;
    std::string timeout = "60s";
    std::string idempotency_key;
    bool detach = false;
    bool no_wait = false;
    std::string id;
    std::string status;
};

// --params JSON, or --param key=value (a string) and key:=JSON (any value),
// as HTTPie spells them.
json params_of(const OperationArgs& args) {
    if (!args.params_json.empty() && !args.params.empty()) {
        fail(ExitCode::usage, "use either --params or --param, not both");
    }
    if (!args.params_json.empty()) {
        json params = json::parse(args.params_json, nullptr, false);
        if (params.is_discarded() || !params.is_object()) fail(ExitCode::usage, "--params must be a JSON object");
        return params;
    }
    json params = json::object();
    for (const std::string& pair : args.params) {
        std::size_t equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) {
            fail(ExitCode::usage, "--param takes key=value or key:=JSON, not '" + pair + "'");
        }
        if (pair[equals - 1] == ':') {
            json value = json::parse(pair.substr(equals + 1), nullptr, false);
            if (value.is_discarded()) fail(ExitCode::usage, "--param " + pair.substr(0, equals - 1) + " is not valid JSON");
            params[pair.substr(0, equals - 1)] = std::move(value);
        } else {
            params[pair.substr(0, equals)] = pair.substr(equals + 1);
        }
    }
    return params;
}

// Prints a finished operation: its result, or its typed error on stderr.
int report(const AdminConfig& config, const json& operation) {
    std::string status = operation.value("status", "");
    if (config.output == Output::json) {
        std::cout << operation.dump(2) << "\n";
    } else if (status == "succeeded") {
        std::cout << operation.value("result", json()).dump(2) << "\n";
    }
    if (status == "succeeded") return 0;
    if (!is_final_status(status)) {
        if (config.output != Output::json) std::cout << operation.value("id", "") << " " << status << "\n";
        return 0;
    }
    return report_failure(operation);
}

int run_operation(const AdminConfig& config, const OperationArgs& args) {
    auto timeout = parse_duration(args.timeout);
    if (!timeout || timeout->count() <= 0) fail(ExitCode::usage, "--timeout takes a duration such as 30s or 5m");
    json body = {{"runner", args.runner}, {"type", args.type}, {"params", params_of(args)}, {"timeout", args.timeout}};
    if (!args.connection.empty()) body["connection"] = args.connection;
    if (!args.idempotency_key.empty()) body["idempotency_key"] = args.idempotency_key;
    if (args.no_wait) body["wait_for_runner"] = false;
    json operation = call_or_fail(config, "POST", "/v1/operations", &body);
    std::string id = operation.value("id", "");
    if (args.detach) {
        if (config.output == Output::json) {
            std::cout << operation.dump(2) << "\n";
        } else {
            std::cout << id << " " << operation.value("status", "") << "\n";
        }
        return 0;
    }
    if (!is_final_status(operation.value("status", ""))) operation = wait_for_operation(config, id, *timeout);
    return report(config, operation);
}

}  // namespace

void add_operation_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };
    CLI::App* ops = admin.add_subcommand("op", "Operations run by runners: submit, wait, inspect, cancel");
    ops->require_subcommand(1);
    auto args = std::make_shared<OperationArgs>();

    CLI::App* run = ops->add_subcommand("run", "Submit an operation and (unless --detach) print its result");
    run->add_option("--runner", args->runner, "the runner that runs it")->required();
    run->add_option("type", args->type, "operation type, such as system.info")->required();
    run->add_option("--params", args->params_json, "parameters as one JSON object");
    run->add_option("--param", args->params, "one parameter: key=value (string) or key:=JSON; repeatable");
    run->add_option("--connection", args->connection, "the connection it uses");
    run->add_option("--timeout", args->timeout, "deadline from submission, such as 30s")->capture_default_str();
    run->add_option("--idempotency-key", args->idempotency_key,
                    "a repeat with the same key returns the first operation instead of running again");
    run->add_flag("--detach", args->detach, "print the operation id and return at once");
    run->add_flag("--no-wait", args->no_wait, "fail at once if the runner is not connected, instead of waiting");
    on(run, [args](const AdminConfig& config) { return run_operation(config, *args); });

    CLI::App* get = ops->add_subcommand("get", "Show an operation with its result or error");
    get->add_option("id", args->id, "operation id (op_…)")->required();
    on(get, [args](const AdminConfig& config) {
        return print_object(config, call_or_fail(config, "GET", "/v1/operations/" + args->id));
    });

    CLI::App* list = ops->add_subcommand("list", "List the org's operations, newest first");
    list->add_option("--runner", args->runner, "only this runner's");
    list->add_option("--status", args->status, "only those in this status")
        ->check(CLI::IsMember({"queued", "running", "succeeded", "failed", "cancelled", "timed_out"}));
    on(list, [args](const AdminConfig& config) {
        std::string query;
        if (!args->runner.empty()) query += "runner=" + args->runner;
        if (!args->status.empty()) query += (query.empty() ? "" : "&") + std::string("status=") + args->status;
        json answer = call_or_fail(config, "GET", "/v1/operations" + (query.empty() ? "" : "?" + query));
        return print_list(config, answer, "operations",
                          {"id", "runner", "type", "status", "created_at_ms", "finished_at_ms"});
    });

    CLI::App* cancel = ops->add_subcommand("cancel", "Cancel a queued or running operation");
    cancel->add_option("id", args->id, "operation id (op_…)")->required();
    on(cancel, [args](const AdminConfig& config) {
        json operation = call_or_fail(config, "POST", "/v1/operations/" + args->id + "/cancel");
        if (config.output == Output::json) return print_object(config, operation);
        std::cout << "cancelled " << args->id << "\n";
        return 0;
    });
}

}  // namespace tether::admin
