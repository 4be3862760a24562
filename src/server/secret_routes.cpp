#include "secret_routes.h"

#include "api_support.h"
#include "secret_material.h"
#include "tether/core/references.h"
#include "tether/core/text.h"
#include "tether/providers/connection.h"
#include "tether/store/operations.h"
#include "tether/store/secrets.h"
#include "tether/core/json.h"

namespace tether::server {
namespace {

using api::Call;
using nlohmann::json;
using store::ValueKind;
using store::VersionState;

// Who may do what with each kind (docs/secrets.md): anyone in the org sees
// names; operators set variables; only admins set and destroy secrets.
struct KindRules {
    ValueKind kind;
    const char* collection;  // "secrets"
    auth::Role change_role;
};
constexpr KindRules secret_rules{ValueKind::secret, "secrets", auth::Role::admin};
constexpr KindRules variable_rules{ValueKind::variable, "variables", auth::Role::operator_};

constexpr std::size_t max_description_bytes = 256;

std::string target_of(const Call& call, ValueKind kind, std::string_view name) {
    return std::string(store::to_string(kind)) + ":" + call.org.name + "/" + std::string(name);
}

Result<std::string> checked_name(ValueKind kind, std::string_view name) {
    if (references::is_valid_value_name(name)) return std::string(name);
    return Error{ErrorKind::invalid_argument, std::string(store::to_string(kind)) +
                                                  " names are 1 to 128 letters, digits, '_', '-' or '.', starting with a "
                                                  "letter or digit"};
}

Result<std::int64_t> checked_version(std::string_view text) {
    auto version = references::parse_version(text);
    if (!version) return Error{ErrorKind::invalid_argument, "a version is a whole number from 1"};
    return *version;
}

json optional_number(const std::optional<std::int64_t>& value) { return value ? json(*value) : json(); }

// Never a secret's content: its number, state, size and keyed fingerprint.
json version_json(const store::ValueVersion& version) {
    return {{"version", version.version},
            {"state", store::to_string(version.state)},
            {"size", version.size},
            {"fingerprint", version.fingerprint},
            {"created_by", version.created_by},
            {"created_at", version.created_at},
            {"changed_at", optional_number(version.changed_at)}};
}

json summary_json(const store::ValueSummary& value) {
    return {{"name", value.name},
            {"description", value.description},
            {"versions", value.versions},
            {"latest_version", optional_number(value.latest_enabled)},
            {"created_by", value.created_by},
            {"created_at", value.created_at},
            {"updated_at", value.updated_at}};
}

// A variable's content is its text.
json with_value(json out, const store::ValueVersion& version) {
    out["value"] = version.content ? json(*version.content) : json();
    return out;
}

Result<HttpResponse> list_values(const store::Database& database, const KindRules& rules, const Call& call) {
    auto values = store::list_values(database, call.org.id, rules.kind);
    if (!values) return values.error();
    json list = json::array();
    for (const auto& value : values.value()) {
        json entry = summary_json(value);
        if (rules.kind == ValueKind::variable && value.latest_enabled) {
            auto latest = store::find_version(database, value.id, value.latest_enabled);
            if (!latest) return latest.error();
            entry = with_value(std::move(entry), latest.value());
        }
        list.push_back(std::move(entry));
    }
    return api::json_response(200, {{rules.collection, list}});
}

// A name's summary and its versions; for a variable, the value of the
// version asked for (?version=N) or of the latest.
Result<HttpResponse> show_value(const store::Database& database, const KindRules& rules, const Call& call) {
    auto name = checked_name(rules.kind, call.request.params.at("name"));
    if (!name) return name.error();
    auto value = store::find_value(database, call.org.id, rules.kind, name.value());
    if (!value) return value.error();
    auto versions = store::list_versions(database, value.value().id);
    if (!versions) return versions.error();
    json out = summary_json(value.value());
    out["versions"] = json::array();
    for (const auto& version : versions.value()) out["versions"].push_back(version_json(version));
    if (rules.kind == ValueKind::variable) {
        std::optional<std::int64_t> wanted = value.value().latest_enabled;
        if (auto asked = api::query_value(call.request.query, "version")) {
            auto number = checked_version(*asked);
            if (!number) return number.error();
            wanted = number.value();
        }
        out["value"] = nullptr;
        for (const auto& version : versions.value()) {
            if (wanted && version.version == *wanted) {
                out = with_value(std::move(out), version);
                out["version"] = version.version;
            }
        }
        if (wanted && !out.contains("version")) return Error{ErrorKind::not_found, "no version " + std::to_string(*wanted)};
    }
    return api::json_response(200, out);
}

Result<HttpResponse> set_value(const store::Database& database, const Secret& master_key, const KindRules& rules,
                               const Call& call) {
    auto name = checked_name(rules.kind, call.request.params.at("name"));
    if (!name) return name.error();
    auto body = api::json_body(call.request, {"value", "description"});
    if (!body) return body.error();
    // The value leaves the JSON for a Secret at once; the JSON's copy is wiped.
    Secret value;
    if (auto given = body.value().find("value"); given != body.value().end() && given->is_string()) {
        value = Secret(given->get_ref<const std::string&>());
        wipe_json(*given);
    } else {
        return Error{ErrorKind::invalid_argument, "field 'value' (a string) is required"};
    }
    if (auto problem = references::value_problem(value.reveal())) return Error{ErrorKind::invalid_argument, *problem};
    std::optional<std::string> description;
    if (auto given = body.value().find("description"); given != body.value().end()) {
        if (!given->is_string() || given->get_ref<const std::string&>().size() > max_description_bytes ||
            text::has_control_character(given->get_ref<const std::string&>())) {
            return Error{ErrorKind::invalid_argument, "description must be a string of at most 256 bytes, one line"};
        }
        description = given->get<std::string>();
    }
    return api::in_transaction(database, [&]() -> Result<HttpResponse> {
        auto key = org_key(database, master_key, call.org.id, call.now);
        if (!key) return key.error();
        auto number = store::next_version(database, call.org.id, rules.kind, name.value());
        if (!number) return number.error();
        store::NewVersion added{call.org.id, rules.kind, name.value(), description, "",
                                static_cast<std::int64_t>(value.size()), value_fingerprint(key.value(), value.reveal()),
                                api::actor_of(call.principal), call.now};
        if (rules.kind == ValueKind::secret) {
            auto sealed = seal_secret_version(key.value(), call.org.id, name.value(), number.value(), value.reveal());
            if (!sealed) return sealed.error();
            added.content = std::move(sealed).value();
        } else {
            added.content = std::string(value.reveal());
        }
        auto stored = store::add_version(database, added, number.value());
        if (!stored) return stored.error();
        auto audited = api::audit(database, call, std::string(store::to_string(rules.kind)) + ".set",
                                  target_of(call, rules.kind, name.value()),
                                  {{"version", stored.value().version},
                                   {"size", stored.value().size},
                                   {"fingerprint", stored.value().fingerprint}});
        if (!audited) return audited.error();
        json out = version_json(stored.value());
        out["name"] = name.value();
        return api::json_response(201, out);
    });
}

// enable, disable or destroy one version.
Result<HttpResponse> change_version(const store::Database& database, const KindRules& rules, VersionState state,
                                    const Call& call) {
    auto name = checked_name(rules.kind, call.request.params.at("name"));
    if (!name) return name.error();
    auto number = checked_version(call.request.params.at("version"));
    if (!number) return number.error();
    return api::in_transaction(database, [&]() -> Result<HttpResponse> {
        auto value = store::find_value(database, call.org.id, rules.kind, name.value());
        if (!value) return value.error();
        auto changed = store::set_version_state(database, value.value().id, number.value(), state, call.now);
        if (!changed) return changed.error();
        if (changed.value()) {
            const char* verb = state == VersionState::enabled    ? ".enable"
                               : state == VersionState::disabled ? ".disable"
                                                                 : ".destroy";
            auto audited = api::audit(database, call, std::string(store::to_string(rules.kind)) + verb,
                                      target_of(call, rules.kind, name.value()), {{"version", number.value()}});
            if (!audited) return audited.error();
        }
        auto version = store::find_version(database, value.value().id, number.value());
        if (!version) return version.error();
        json out = version_json(version.value());
        out["name"] = name.value();
        return api::json_response(200, out);
    });
}

Result<HttpResponse> delete_variable(const store::Database& database, const Call& call) {
    auto name = checked_name(ValueKind::variable, call.request.params.at("name"));
    if (!name) return name.error();
    return api::in_transaction(database, [&]() -> Result<HttpResponse> {
        auto value = store::find_value(database, call.org.id, ValueKind::variable, name.value());
        if (!value) return value.error();
        auto destroyed = store::destroy_all_versions(database, value.value().id, call.now);
        if (!destroyed) return destroyed.error();
        auto audited = api::audit(database, call, "variable.delete", target_of(call, ValueKind::variable, name.value()),
                                  {{"versions_destroyed", destroyed.value()}});
        if (!audited) return audited.error();
        return api::json_response(200, {{"deleted", name.value()}, {"versions_destroyed", destroyed.value()}});
    });
}

void add_kind_routes(Router& router, const ApiContext& context, const KindRules& rules) {
    const store::Database& database = context.database;
    std::string collection = std::string("/v1/") + rules.collection;
    const KindRules* kind = &rules;
    router.add("GET", collection, api::guarded(database, auth::Role::viewer, [&database, kind](const Call& call) {
                   return list_values(database, *kind, call);
               }));
    router.add("GET", collection + "/{name}", api::guarded(database, auth::Role::viewer, [&database, kind](const Call& call) {
                   return show_value(database, *kind, call);
               }));
    router.add("PUT", collection + "/{name}",
               api::holding_secrets(api::guarded(database, rules.change_role, [&database, &context, kind](const Call& call) {
                   return set_value(database, context.master_key, *kind, call);
               })));
    for (auto [verb, state] : {std::pair{"enable", VersionState::enabled}, std::pair{"disable", VersionState::disabled},
                               std::pair{"destroy", VersionState::destroyed}}) {
        router.add("POST", collection + "/{name}/versions/{version}/" + verb,
                   api::guarded(database, rules.change_role, [&database, kind, state = state](const Call& call) {
                       return change_version(database, *kind, state, call);
                   }));
    }
}

}  // namespace

void add_secret_routes(Router& router, const ApiContext& context) {
    add_kind_routes(router, context, secret_rules);
    add_kind_routes(router, context, variable_rules);
    const store::Database& database = context.database;
    router.add("DELETE", "/v1/variables/{name}",
               api::guarded(database, variable_rules.change_role,
                            [&database](const Call& call) { return delete_variable(database, call); }));
    add_resolve_route(router, context);
}

}  // namespace tether::server
