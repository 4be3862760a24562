#include "api_support.h"
#include "loggers.h"
#include "secret_material.h"
#include "secret_routes.h"
#include "tether/core/references.h"
#include "tether/providers/connection.h"
#include "tether/store/operations.h"
#include "tether/store/runners.h"
#include "tether/store/secrets.h"
#include "tether/core/json.h"

namespace tether::server {
namespace {

using api::Call;
using nlohmann::json;
using store::ValueKind;

struct Wanted {
    ValueKind kind;
    std::string name;
    std::optional<std::int64_t> version;
};

std::string target_of(const Call& call, const Wanted& wanted) {
    return std::string(store::to_string(wanted.kind)) + ":" + call.org.name + "/" + wanted.name;
}

Result<std::vector<Wanted>> wanted_of(const json& body) {
    auto list = body.find("references");
    if (list == body.end() || !list->is_array() || list->empty() || list->size() > references::max_references) {
        return Error{ErrorKind::invalid_argument, "references must be an array of 1 to 64 references"};
    }
    std::vector<Wanted> out;
    for (const json& item : *list) {
        if (!item.is_object()) return Error{ErrorKind::invalid_argument, "each reference must be a JSON object"};
        Wanted wanted{ValueKind::secret, "", std::nullopt};
        std::string source = item.contains("source") && item["source"].is_string() ? item["source"].get<std::string>() : "";
        if (source == "var") {
            wanted.kind = ValueKind::variable;
        } else if (source != "secret") {
            return Error{ErrorKind::invalid_argument, "a reference's source must be \"secret\" or \"var\""};
        }
        if (!item.contains("name") || !item["name"].is_string() ||
            !references::is_valid_value_name(item["name"].get_ref<const std::string&>())) {
            return Error{ErrorKind::invalid_argument, "a reference needs a valid name"};
        }
        wanted.name = item["name"].get<std::string>();
        if (item.contains("version") && !item["version"].is_null()) {
            if (!item["version"].is_number_integer() || item["version"].get<std::int64_t>() < 1) {
                return Error{ErrorKind::invalid_argument, "a reference's version must be a whole number from 1"};
            }
            wanted.version = item["version"].get<std::int64_t>();
        }
        out.push_back(std::move(wanted));
    }
    return out;
}

// The operation the runner resolves for: this org's, sent to this very
// runner, and still running. A key taken from a runner reads nothing
// between operations.
Result<store::Operation> running_operation(const store::Database& database, const Call& call, const json& body) {
    if (call.principal.account.kind != store::AccountKind::runner) {
        return Error{ErrorKind::permission_denied,
                     "only runners resolve values: people and bots see names and versions, never secret values"};
    }
    auto id = api::string_field(body, "operation");
    if (!id) return id.error();
    auto operation = store::find_operation(database, call.org.id, id.value());
    if (!operation) return operation.error();
    auto runner = store::find_runner(database, call.org.id, operation.value().runner);
    if (!runner || runner.value().service_account_id != call.principal.account.id) {
        return Error{ErrorKind::permission_denied, "operation " + id.value() + " was not sent to this runner"};
    }
    if (operation.value().status != store::OperationStatus::running) {
        return Error{ErrorKind::failed_precondition, "operation " + id.value() + " is not running"};
    }
    return operation;
}

struct Resolved {
    Wanted wanted;
    std::int64_t version = 0;
    Secret value;
};

// One value, or the typed error the runner reports: not_found for a name
// or version that is not there (another org's name is not there either),
// failed_precondition for a disabled or destroyed version.
Result<Resolved> resolve_one(const store::Database& database, const Secret& master_key, const Call& call,
                             const Wanted& wanted) {
    auto value = store::find_value(database, call.org.id, wanted.kind, wanted.name);
    if (!value) return value.error();
    auto version = store::find_version(database, value.value().id, wanted.version);
    if (!version) {
        if (version.error().kind != ErrorKind::not_found) return version.error();
        return Error{ErrorKind::not_found, std::string(store::to_string(wanted.kind)) + " '" + wanted.name + "' has " +
                                               version.error().message};
    }
    const store::ValueVersion& found = version.value();
    if (found.state != store::VersionState::enabled) {
        return Error{ErrorKind::failed_precondition, std::string(store::to_string(wanted.kind)) + " '" + wanted.name +
                                                         "' version " + std::to_string(found.version) + " is " +
                                                         store::to_string(found.state)};
    }
    Resolved resolved{wanted, found.version, Secret()};
    if (wanted.kind == ValueKind::variable) {
        resolved.value = Secret(*found.content);
        return resolved;
    }
    auto key = org_key(database, master_key, call.org.id, call.now);
    if (!key) return key.error();
    auto opened = open_secret_version(key.value(), call.org.id, wanted.name, found.version, *found.content);
    if (!opened) return opened.error();
    resolved.value = std::move(opened).value();
    return resolved;
}

Result<HttpResponse> resolve(const store::Database& database, const Secret& master_key, const Call& call) {
    auto body = api::json_body(call.request, {"operation", "references"});
    if (!body) return body.error();
    auto operation = running_operation(database, call, body.value());
    if (!operation) return operation.error();
    auto wanted = wanted_of(body.value());
    if (!wanted) return wanted.error();

    std::vector<Resolved> resolved;
    std::optional<Error> refused;
    std::optional<Wanted> refused_for;
    auto answer = api::in_transaction(database, [&]() -> Result<HttpResponse> {
        for (const Wanted& item : wanted.value()) {
            auto one = resolve_one(database, master_key, call, item);
            if (!one) {
                refused = one.error();
                refused_for = item;
                return one.error();
            }
            auto audited = api::audit(database, call, std::string(store::to_string(item.kind)) + ".read",
                                      target_of(call, item),
                                      {{"version", one.value().version}, {"operation", operation.value().public_id}});
            if (!audited) return audited.error();
            resolved.push_back(std::move(one).value());
        }
        return HttpResponse{};
    });
    if (refused && refused->kind != ErrorKind::internal && refused->kind != ErrorKind::unavailable) {
        // The refusal is recorded too, in its own transaction: a runner
        // probing for names it cannot read leaves a trail.
        api_log.warn("a runner's reference was refused",
                     {{"actor", api::actor_of(call.principal)}, {"target", target_of(call, *refused_for)},
                      {"operation", operation.value().public_id}, {"error", refused->message}});
        auto recorded = api::in_transaction(database, [&]() -> Result<HttpResponse> {
            auto audited = api::audit(database, call, std::string(store::to_string(refused_for->kind)) + ".read",
                                      target_of(call, *refused_for),
                                      {{"refused", refused->kind == ErrorKind::not_found ? "not_found" : "failed_precondition"},
                                       {"operation", operation.value().public_id}});
            if (!audited) return audited.error();
            return HttpResponse{};
        });
        if (!recorded) return recorded.error();
    }
    if (!answer) return answer.error();

    // Built in place and wiped once serialised: the values are in clear only
    // in this answer.
    json out = {{"values", json::array()}};
    for (Resolved& one : resolved) {
        out["values"].push_back({{"source", one.wanted.kind == ValueKind::secret ? "secret" : "var"},
                                 {"name", one.wanted.name},
                                 {"version", one.version},
                                 {"value", std::string(one.value.reveal())}});
    }
    HttpResponse response = api::json_response(200, out);
    wipe_json(out);
    return response;
}

}  // namespace

void add_resolve_route(Router& router, const ApiContext& context) {
    router.add("POST", "/v1/resolve",
               api::holding_secrets(api::guarded(context.database, auth::Role::viewer, [&context](const Call& call) {
                   return resolve(context.database, context.master_key, call);
               })));
}

}  // namespace tether::server
