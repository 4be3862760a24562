// tether admin aws … : AWS requests built for people, run as aws.call
// operations on a runner, their XML answers shown as tables or JSON.
#include <pugixml.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "tether/admin/account_commands.h"
#include "tether/admin/operation_runner.h"
#include "tether/admin/output.h"
#include "tether/core/duration.h"
#include "tether/core/error.h"
#include "tether/core/json.h"

namespace tether::admin {
namespace {

using nlohmann::json;

// The API versions of the query-protocol services, as the SDKs send them.
const std::map<std::string, std::string, std::less<>> query_api_versions = {
    {"autoscaling", "2011-01-01"}, {"cloudformation", "2010-05-15"}, {"ec2", "2016-11-15"},
    {"elasticache", "2015-02-02"}, {"elasticloadbalancing", "2015-12-01"}, {"iam", "2010-05-08"},
    {"monitoring", "2010-08-01"},  {"rds", "2014-10-31"},           {"sns", "2010-03-31"},
    {"sqs", "2012-11-05"},         {"sts", "2011-06-15"},
};

struct AwsArgs {
    std::string runner;
    std::string connection;
    std::string region;
    std::string timeout = "60s";
    std::string service;
    std::string action;
    std::string api_version;
    std::vector<std::string> parameters;  // Key=Value
    std::string location;                 // s3 ls: BUCKET[/PREFIX]
};

// XML as JSON: text-only elements are strings; EC2's <item> and IAM's
// <member> lists, and any repeated element, become arrays.
json xml_to_json(const pugi::xml_node& node) {
    bool has_elements = false;
    std::map<std::string, int> counts;
    for (const auto& child : node.children()) {
        if (child.type() != pugi::node_element) continue;
        has_elements = true;
        ++counts[child.name()];
    }
    if (!has_elements) return node.text().as_string();
    bool list = counts.size() == 1 && (counts.count("item") != 0 || counts.count("member") != 0);
    json out = list ? json::array() : json::object();
    for (const auto& child : node.children()) {
        if (child.type() != pugi::node_element) continue;
        json value = xml_to_json(child);
        if (list) {
            out.push_back(std::move(value));
        } else if (counts[child.name()] > 1) {
            out[child.name()].push_back(std::move(value));
        } else {
            out[child.name()] = std::move(value);
        }
    }
    return out;
}

// The list of objects a Describe* or List* answer is about (EC2's vpcSet,
// IAM's ListUsersResult.Users), shallowest first; not one inside an entity
// (an object with several scalar fields, such as CreateVpc's vpc), whose
// answer reads better as pairs.
const json* first_list(const json& value) {
    std::vector<const json*> level = {&value};
    while (!level.empty()) {
        std::vector<const json*> next;
        for (const json* node : level) {
            if (node->is_array() && !node->empty() && node->front().is_object()) return node;
            if (!node->is_object()) continue;
            std::size_t scalars = 0;
            for (const auto& item : *node) scalars += item.is_string() ? 1 : 0;
            if (scalars > 2) continue;
            for (const auto& item : *node) next.push_back(&item);
        }
        level = std::move(next);
    }
    return nullptr;
}

void flatten(const json& value, const std::string& path, std::vector<std::pair<std::string, std::string>>& rows) {
    if (value.is_object()) {
        for (const auto& [key, item] : value.items()) flatten(item, path.empty() ? key : path + "." + key, rows);
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) flatten(value[i], path + "." + std::to_string(i + 1), rows);
    } else {
        rows.emplace_back(path, value.is_string() ? value.get<std::string>() : value.dump());
    }
}

// Runs one aws.call; an operation that fails ends the command.
json aws_call(const AdminConfig& config, const AwsArgs& args, json params) {
    if (!args.region.empty()) params["region"] = args.region;
    json body = {{"runner", args.runner}, {"type", "aws.call"}, {"connection", args.connection}, {"params", std::move(params)},
                 {"timeout", args.timeout}};
    json operation = submit_and_wait(config, body, operation_timeout(args.timeout));
    if (operation.value("status", "") != "succeeded") std::exit(report_failure(operation));
    return operation["result"];
}

// The answer's XML document, or the command ends naming AWS's error.
pugi::xml_document answer_document(const json& result) {
    pugi::xml_document document;
    std::string body = result.value("body", "");
    auto parsed = document.load_buffer(body.data(), body.size());
    unsigned status = result.value("status", 0u);
    if (status >= 300) {
        // <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>, or S3's <Error> at the top.
        pugi::xml_node error = document.select_node("//Error").node();
        std::string code = error ? error.child_value("Code") : "";
        std::string message = error ? error.child_value("Message") : body.substr(0, 300);
        fail(status == 403 ? ExitCode::refused : status >= 500 ? ExitCode::unavailable : ExitCode::data,
             "AWS answered HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code) + ": " + message);
    }
    if (!parsed) fail(ExitCode::unavailable, std::string("AWS's answer is not XML: ") + parsed.description());
    // xml_to_json and flatten recurse once per level; pugixml's walk does not.
    struct DepthCheck : pugi::xml_tree_walker {
        bool too_deep = false;
        bool for_each(pugi::xml_node&) override {
            too_deep = depth() >= static_cast<int>(max_json_depth);
            return !too_deep;
        }
    } check;
    document.traverse(check);
    if (check.too_deep) {
        fail(ExitCode::unavailable, "AWS's answer nests elements deeper than " + std::to_string(max_json_depth) + " levels");
    }
    return document;
}

int call_action(const AdminConfig& config, const AwsArgs& args) {
    json form = {{"Action", args.action}};
    std::string version = args.api_version;
    if (version.empty()) {
        auto known = query_api_versions.find(args.service);
        if (known == query_api_versions.end()) {
            fail(ExitCode::usage, "no known API version for " + args.service + ": give --api-version");
        }
        version = known->second;
    }
    form["Version"] = version;
    for (const auto& pair : args.parameters) {
        std::size_t equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) fail(ExitCode::usage, "parameters are Key=Value, not '" + pair + "'");
        form[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    json result = aws_call(config, args, {{"service", args.service}, {"form", form}});
    pugi::xml_document document = answer_document(result);
    json answer = xml_to_json(document.document_element());
    if (answer.is_object()) answer.erase("ResponseMetadata");
    if (answer.is_object()) answer.erase("requestId");
    if (config.output == Output::json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    if (const json* list = first_list(answer)) {
        std::vector<std::string> columns;
        for (const auto& [key, value] : list->front().items()) {
            if (value.is_string()) columns.push_back(key);
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& item : *list) {
            std::vector<std::string> row;
            for (const auto& column : columns) row.push_back(item.value(column, ""));
            rows.push_back(std::move(row));
        }
        std::cout << format_table(columns, rows);
        return 0;
    }
    std::vector<std::pair<std::string, std::string>> rows;
    flatten(answer, "", rows);
    std::cout << format_pairs(rows);
    return 0;
}

// Like `aws s3 ls`: the buckets, or one level of a bucket under a prefix.
int s3_list(const AdminConfig& config, const AwsArgs& args) {
    if (args.location.empty()) {
        json result = aws_call(config, args, {{"service", "s3"}, {"path", "/"}});
        pugi::xml_document document = answer_document(result);
        json buckets = json::array();
        for (const auto& bucket : document.select_nodes("//Buckets/Bucket")) {
            buckets.push_back({{"name", bucket.node().child_value("Name")},
                               {"created", bucket.node().child_value("CreationDate")}});
        }
        if (config.output == Output::json) {
            std::cout << json{{"buckets", buckets}}.dump(2) << "\n";
            return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& bucket : buckets) rows.push_back({bucket["created"], bucket["name"]});
        std::cout << format_table({"created", "bucket"}, rows);
        return 0;
    }
    std::string location = args.location.starts_with("s3://") ? args.location.substr(5) : args.location;
    std::size_t slash = location.find('/');
    std::string bucket = location.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "" : location.substr(slash + 1);
    bool valid_bucket = !bucket.empty() && std::all_of(bucket.begin(), bucket.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
    if (!valid_bucket) fail(ExitCode::usage, "'" + bucket + "' is not an S3 bucket name");
    json query = {{"list-type", "2"}, {"delimiter", "/"}};
    if (!prefix.empty()) query["prefix"] = prefix;
    json result = aws_call(config, args, {{"service", "s3"}, {"path", "/" + bucket}, {"query", query}});
    pugi::xml_document document = answer_document(result);
    json prefixes = json::array();
    json objects = json::array();
    for (const auto& common : document.select_nodes("//CommonPrefixes/Prefix")) prefixes.push_back(common.node().text().as_string());
    for (const auto& item : document.select_nodes("//Contents")) {
        objects.push_back({{"key", item.node().child_value("Key")},
                           {"size", item.node().child("Size").text().as_llong()},
                           {"last_modified", item.node().child_value("LastModified")}});
    }
    if (config.output == Output::json) {
        std::cout << json{{"bucket", bucket}, {"prefixes", prefixes}, {"objects", objects}}.dump(2) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& common : prefixes) rows.push_back({"", "PRE", common});
    for (const auto& object : objects) {
        rows.push_back({object["last_modified"], std::to_string(object["size"].get<long long>()), object["key"]});
    }
    std::cout << format_table({"last modified", "size", "key"}, rows);
    return 0;
}

void add_target_options(CLI::App* command, AwsArgs& args) {
    command->add_option("--runner", args.runner, "the runner that makes the call")->required();
    command->add_option("--connection", args.connection, "the aws connection it uses")->required();
    command->add_option("--region", args.region, "else the connection's, else the runner's");
    command->add_option("--timeout", args.timeout, "deadline from submission")->capture_default_str();
}

}  // namespace

void add_aws_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };
    CLI::App* aws = admin.add_subcommand("aws", "AWS calls made by a runner with a connection's credentials");
    aws->require_subcommand(1);
    auto args = std::make_shared<AwsArgs>();

    CLI::App* call = aws->add_subcommand("call", "One query-protocol action: ec2 DescribeVpcs, sts GetCallerIdentity, …");
    add_target_options(call, *args);
    call->add_option("service", args->service, "ec2, sts, iam, …")->required();
    call->add_option("action", args->action, "the API action, such as DescribeVpcs")->required();
    call->add_option("parameters", args->parameters, "the action's parameters, Key=Value (Filter.1.Name=vpc-id)");
    call->add_option("--api-version", args->api_version, "the API version, when tether does not know the service's");
    on(call, [args](const AdminConfig& config) { return call_action(config, *args); });

    CLI::App* s3 = aws->add_subcommand("s3", "S3, as the AWS CLI's high-level commands");
    s3->require_subcommand(1);
    CLI::App* ls = s3->add_subcommand("ls", "List buckets, or a bucket's keys and prefixes one level deep");
    add_target_options(ls, *args);
    ls->add_option("location", args->location, "BUCKET[/PREFIX] or s3://BUCKET/PREFIX; none lists the buckets");
    on(ls, [args](const AdminConfig& config) { return s3_list(config, *args); });
}

}  // namespace tether::admin
