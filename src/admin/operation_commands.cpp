// tether admin op …
#include <CLI/CLI.hpp>
#include <iostream>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/input.h"
#include "tether/admin/operation_runner.h"
#include "tether/admin/output.h"
#include "tether/core/duration.h"
#include "tether/core/error.h"
#include "tether/core/json.h"

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
    int limit = 50;
    std::string before;
};

// What --params @FILE and --params - read at most: the server takes a
// request of a tunnel message (16 MiB by default) and refuses more itself.
constexpr std::size_t longest_params = 64 << 20;

// A JSON object, or a usage error naming where it came from and what is wrong.
json parse_params(const std::string& text, const std::string& where) {
    auto params = parse_json(text);
    if (!params) fail(ExitCode::usage, where + " is not valid JSON: " + params.error().message);
    if (!params.value().is_object()) {
        fail(ExitCode::usage, where + " must be a JSON object, not " + params.value().type_name());
    }
    return std::move(params).value();
}

// --params JSON, @FILE or - (standard input), as curl's -d takes them; or
// --param key=value (a string) and key:=JSON (any value), as HTTPie spells
// them. A file or standard input is how parameters larger than one
// argument (128 KiB on Linux) get through.
json params_of(const OperationArgs& args) {
    if (!args.params_json.empty() && !args.params.empty()) {
        fail(ExitCode::usage, "use either --params or --param, not both");
    }
    const std::string& given = args.params_json;
    if (given == "-" || given.starts_with('@')) {
        std::string source = given == "-" ? given : given.substr(1);
        Secret text = read_input(source, longest_params, "--params " + given);
        return parse_params(std::string(text.reveal()), "--params " + given);
    }
    if (!given.empty()) return parse_params(given, "--params");
    json params = json::object();
    for (const std::string& pair : args.params) {
        std::size_t equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) {
            fail(ExitCode::usage, "--param takes key=value or key:=JSON, not '" + pair + "'");
        }
        if (pair[equals - 1] == ':') {
            auto value = parse_json(pair.substr(equals + 1));
            if (!value) {
                fail(ExitCode::usage,
                     "--param " + pair.substr(0, equals - 1) + " is not valid JSON: " + value.error().message);
            }
            params[pair.substr(0, equals - 1)] = std::move(value).value();
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
    auto timeout = operation_timeout(args.timeout);
    json body = {{"runner", args.runner}, {"type", args.type}, {"params", params_of(args)}, {"timeout", args.timeout}};
    if (!args.connection.empty()) body["connection"] = args.connection;
    if (!args.idempotency_key.empty()) body["idempotency_key"] = args.idempotency_key;
    if (args.no_wait) body["wait_for_runner"] = false;
    json operation = call_or_fail(config, "POST", api_path({"operations"}), &body);
    std::string id = operation.value("id", "");
    if (args.detach) {
        if (config.output == Output::json) {
            std::cout << operation.dump(2) << "\n";
        } else {
            std::cout << id << " " << operation.value("status", "") << "\n";
        }
        return 0;
    }
    if (!is_final_status(operation.value("status", ""))) operation = wait_for_operation(config, id, timeout);
    return report(config, operation);
}

// One page of operations; the command for the next one goes to stderr, so
// that stdout stays the table (or the JSON, with its next_before).
int list_operations(const AdminConfig& config, const OperationArgs& args) {
    ApiTarget target = api_path({"operations"})
                           .query("limit", std::to_string(args.limit))
                           .query("runner", args.runner)
                           .query("status", args.status)
                           .query("before", args.before);
    json answer = call_or_fail(config, "GET", target);
    int exit_code = print_list(config, answer, "operations",
                               {"id", "runner", "type", "status", "created_at_ms", "finished_at_ms"});
    if (config.output != Output::json && answer.contains("next_before") && answer["next_before"].is_string()) {
        std::string next = "tether admin op list";
        if (!args.runner.empty()) next += " --runner " + args.runner;
        if (!args.status.empty()) next += " --status " + args.status;
        if (args.limit != 50) next += " --limit " + std::to_string(args.limit);
        std::cerr << "more: " << next << " --before " << answer["next_before"].get<std::string>() << "\n";
    }
    return exit_code;
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
    run->add_option("--params", args->params_json,
                    "parameters as one JSON object: the JSON itself, @FILE, or - for standard input");
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
        return print_object(config, call_or_fail(config, "GET", api_path({"operations", args->id})));
    });

    CLI::App* list = ops->add_subcommand("list", "List the org's operations, newest first, a page at a time");
    list->add_option("--runner", args->runner, "only this runner's");
    list->add_option("--status", args->status, "only those in this status")
        ->check(CLI::IsMember({"queued", "running", "succeeded", "failed", "cancelled", "timed_out"}));
    list->add_option("--limit", args->limit, "at most this many")->check(CLI::Range(1, 500))->capture_default_str();
    list->add_option("--before", args->before, "only operations older than this one (op_…): the next page");
    on(list, [args](const AdminConfig& config) { return list_operations(config, *args); });

    CLI::App* cancel = ops->add_subcommand("cancel", "Cancel a queued or running operation");
    cancel->add_option("id", args->id, "operation id (op_…)")->required();
    on(cancel, [args](const AdminConfig& config) {
        json operation = call_or_fail(config, "POST", api_path({"operations", args->id, "cancel"}));
        if (config.output == Output::json) return print_object(config, operation);
        std::cout << "cancelled " << args->id << "\n";
        return 0;
    });
}

}  // namespace tether::admin
