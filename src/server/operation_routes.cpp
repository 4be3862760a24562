#include "operation_routes.h"

#include <algorithm>

#include "api_support.h"
#include "tether/core/duration.h"
#include "tether/core/json.h"
#include "tether/ops/known_operations.h"
#include "tether/store/connections.h"
#include "tether/store/operations.h"
#include "tether/store/runners.h"
#include "tether/core/timestamp.h"

namespace tether::server {
namespace {

using api::Call;
using nlohmann::json;

constexpr std::chrono::milliseconds default_timeout{60'000};
constexpr std::chrono::milliseconds longest_timeout{24 * 3600 * 1000};
constexpr std::size_t longest_idempotency_key = 128;

json optional_ms(const std::optional<std::int64_t>& value) { return value ? json(*value) : json(); }

json operation_json(const store::Operation& operation, bool with_payload) {
    json out = {{"id", operation.public_id},
                {"runner", operation.runner},
                {"type", operation.type},
                {"status", store::to_string(operation.status)},
                {"connection", operation.connection ? json(*operation.connection) : json()},
                {"idempotency_key", operation.idempotency_key ? json(*operation.idempotency_key) : json()},
                {"submitted_by", operation.submitted_by},
                {"created_at_ms", operation.created_at_ms},
                {"deadline_at_ms", operation.deadline_at_ms},
                {"started_at_ms", optional_ms(operation.started_at_ms)},
                {"finished_at_ms", optional_ms(operation.finished_at_ms)}};
    if (operation.error_code) {
        out["error"] = {{"code", *operation.error_code}, {"message", operation.error_message.value_or("")}};
    }
    if (with_payload) {
        // Checked when they arrived; parsed with the same limit again since a
        // row written by an older server was not.
        auto stored = [](const std::string& text) {
            auto parsed = parse_json(text, max_json_depth);
            return parsed ? std::move(parsed).value() : json("(not shown: " + parsed.error().message + ")");
        };
        out["params"] = stored(operation.params);
        if (operation.result) out["result"] = stored(*operation.result);
    }
    return out;
}

Result<std::chrono::milliseconds> timeout_of(const json& body) {
    if (!body.contains("timeout")) return default_timeout;
    const json& value = body["timeout"];
    std::optional<std::chrono::milliseconds> parsed;
    if (value.is_string()) parsed = parse_duration(value.get<std::string>());
    if (!parsed || parsed->count() <= 0 || *parsed > longest_timeout) {
        return Error{ErrorKind::invalid_argument, "timeout must be a duration from 1ms to 24h, such as \"30s\""};
    }
    return *parsed;
}

Result<std::optional<std::string>> optional_text(const json& body, const char* name, std::size_t longest) {
    if (!body.contains(name) || body[name].is_null()) return std::optional<std::string>();
    const json& value = body[name];
    if (!value.is_string() || value.get_ref<const std::string&>().empty() ||
        value.get_ref<const std::string&>().size() > longest) {
        return Error{ErrorKind::invalid_argument,
                     std::string(name) + " must be a string of 1 to " + std::to_string(longest) + " characters"};
    }
    const std::string& text = value.get_ref<const std::string&>();
    bool printable = std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!printable) return Error{ErrorKind::invalid_argument, std::string(name) + " must be printable ASCII without spaces"};
    return std::optional<std::string>(text);
}

// The submission in the body, checked; the runner from the caller's org
// only, so another org's runner is as missing as a made-up one.
Result<store::NewOperation> new_operation(const store::Database& database, const Call& call, const json& body,
                                          std::int64_t now_ms) {
    auto runner_name = api::string_field(body, "runner");
    if (!runner_name) return runner_name.error();
    if (auto valid = api::check_name("runner", runner_name.value()); !valid) return valid.error();
    auto runner = store::find_runner(database, call.org.id, runner_name.value());
    if (!runner) return runner.error();
    auto type = api::string_field(body, "type");
    if (!type) return type.error();
    if (!ops::is_known_operation(type.value())) {
        return Error{ErrorKind::invalid_argument, "unknown operation type '" + type.value().substr(0, 100) + "'"};
    }
    json params = body.contains("params") ? body["params"] : json::object();
    if (!params.is_object()) return Error{ErrorKind::invalid_argument, "params must be a JSON object"};
    auto connection = optional_text(body, "connection", 63);
    if (!connection) return connection.error();
    if (connection.value()) {
        if (auto valid = api::check_name("connection", *connection.value()); !valid) return valid.error();
        // Named now so that a typo fails the submission; resolved again
        // when the request goes out.
        auto found = store::find_connection(database, call.org.id, *connection.value());
        if (!found) return found.error();
    }
    auto idempotency_key = optional_text(body, "idempotency_key", longest_idempotency_key);
    if (!idempotency_key) return idempotency_key.error();
    auto timeout = timeout_of(body);
    if (!timeout) return timeout.error();

    store::NewOperation operation;
    operation.org_id = call.org.id;
    operation.runner_id = runner.value().id;
    operation.type = type.value();
    operation.params = params.dump(-1, ' ', false, json::error_handler_t::replace);
    operation.connection = connection.value();
    operation.idempotency_key = idempotency_key.value();
    operation.submitted_by = api::actor_of(call.principal);
    operation.created_at_ms = now_ms;
    operation.deadline_at_ms = now_ms + timeout.value().count();
    return operation;
}

Result<store::Operation> named_operation(const store::Database& database, const Call& call) {
    return store::find_operation(database, call.org.id, call.request.params.at("id"));
}

}  // namespace

void add_operation_routes(Router& router, const ApiContext& context) {
    const store::Database& database = context.database;
    RunnerTunnels& tunnels = context.tunnels;

    router.add("POST", "/v1/operations",
               api::guarded(database, auth::Role::operator_, [&database, &tunnels](const Call& call) -> Result<HttpResponse> {
                   auto body = api::json_body(call.request, {"runner", "type", "params", "connection", "timeout",
                                                             "idempotency_key", "wait_for_runner"});
                   if (!body) return body.error();
                   bool wait = true;
                   if (body.value().contains("wait_for_runner")) {
                       if (!body.value()["wait_for_runner"].is_boolean()) {
                           return Error{ErrorKind::invalid_argument, "wait_for_runner must be true or false"};
                       }
                       wait = body.value()["wait_for_runner"].get<bool>();
                   }
                   auto operation = new_operation(database, call, body.value(), unix_now_ms());
                   if (!operation) return operation.error();
                   std::optional<store::Submitted> submitted;
                   auto stored = api::in_transaction(database, [&]() -> Result<HttpResponse> {
                       auto result = store::submit_operation(database, operation.value());
                       if (!result) return result.error();
                       submitted = std::move(result).value();
                       if (!submitted->created) return HttpResponse{};
                       const store::Operation& created = submitted->operation;
                       auto audited = api::audit(database, call, "operation.submit", "operation:" + created.public_id,
                                                 {{"runner", created.runner}, {"type", created.type},
                                                  {"connection", created.connection ? json(*created.connection) : json()}});
                       if (!audited) return audited.error();
                       return HttpResponse{};
                   });
                   if (!stored) return stored.error();
                   // Committed: now it may run (or end at once: busy, not connected).
                   if (submitted->created) tunnels.operation_submitted(submitted->operation, wait);
                   auto current = store::find_operation_by_id(database, submitted->operation.id);
                   if (!current) return current.error();
                   return api::json_response(submitted->created ? 201 : 200, operation_json(current.value(), true));
               }));

    router.add("GET", "/v1/operations",
               api::guarded(database, auth::Role::viewer, [&database](const Call& call) -> Result<HttpResponse> {
                   store::OperationFilter filter;
                   if (auto runner = api::query_value(call.request.query, "runner")) {
                       auto found = store::find_runner(database, call.org.id, *runner);
                       if (!found) return found.error();
                       filter.runner_id = found.value().id;
                   }
                   if (auto status = api::query_value(call.request.query, "status")) {
                       auto parsed = store::parse_operation_status(*status);
                       if (!parsed) return parsed.error();
                       filter.status = parsed.value();
                   }
                   if (auto before = api::query_value(call.request.query, "before")) {
                       // The cursor is an operation of the caller's org: its
                       // place, never a count of other orgs' rows, is what pages.
                       auto older_than = store::find_operation(database, call.org.id, *before);
                       if (!older_than) {
                           if (older_than.error().kind != ErrorKind::not_found) return older_than.error();
                           return Error{ErrorKind::invalid_argument, "before: no operation " + *before + " in this org"};
                       }
                       filter.before_id = older_than.value().id;
                   }
                   auto limit = api::query_number(call.request.query, "limit", 50);
                   if (!limit) return limit.error();
                   filter.limit = static_cast<int>(std::clamp<std::int64_t>(limit.value(), 1, 500));
                   auto operations = store::list_operations(database, call.org.id, filter);
                   if (!operations) return operations.error();
                   json list = json::array();
                   for (const auto& operation : operations.value()) list.push_back(operation_json(operation, false));
                   json answer = {{"operations", list}};
                   if (static_cast<int>(operations.value().size()) == filter.limit) {
                       answer["next_before"] = operations.value().back().public_id;
                   }
                   return api::json_response(200, answer);
               }));

    router.add("GET", "/v1/operations/{id}",
               api::guarded(database, auth::Role::viewer, [&database](const Call& call) -> Result<HttpResponse> {
                   auto operation = named_operation(database, call);
                   if (!operation) return operation.error();
                   return api::json_response(200, operation_json(operation.value(), true));
               }));

    router.add("POST", "/v1/operations/{id}/cancel",
               api::guarded(database, auth::Role::operator_, [&database, &tunnels](const Call& call) -> Result<HttpResponse> {
                   auto operation = named_operation(database, call);
                   if (!operation) return operation.error();
                   if (store::is_final(operation.value().status)) {
                       return Error{ErrorKind::failed_precondition, "operation " + operation.value().public_id +
                                                                        " has already ended: " +
                                                                        store::to_string(operation.value().status)};
                   }
                   auto cancelled = api::in_transaction(database, [&]() -> Result<HttpResponse> {
                       store::OperationOutcome outcome;
                       outcome.error_code = "cancelled";
                       outcome.error_message = "cancelled by " + api::actor_of(call.principal);
                       auto changed = store::finish_operation(database, operation.value().id,
                                                              store::OperationStatus::cancelled, outcome, unix_now_ms());
                       if (!changed) return changed.error();
                       if (!changed.value()) {
                           return Error{ErrorKind::failed_precondition, "operation " + operation.value().public_id + " has already ended"};
                       }
                       auto audited = api::audit(database, call, "operation.cancel", "operation:" + operation.value().public_id);
                       if (!audited) return audited.error();
                       return HttpResponse{};
                   });
                   if (!cancelled) return cancelled.error();
                   tunnels.operation_cancelled(operation.value());
                   auto current = store::find_operation_by_id(database, operation.value().id);
                   if (!current) return current.error();
                   return api::json_response(200, operation_json(current.value(), false));
               }));
}

}  // namespace tether::server
