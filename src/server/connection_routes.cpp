#include "connection_routes.h"

#include "api_support.h"
#include "connection_material.h"
#include "tether/providers/connection.h"
#include "tether/store/connections.h"
#include "tether/core/json.h"

namespace tether::server {
namespace {

using api::Call;
using nlohmann::json;

// Never the credentials: only whether there are some.
json connection_json(const store::Connection& connection) {
    return {{"name", connection.name},
            {"org", connection.org},
            {"provider", connection.provider},
            {"auth_mode", connection.auth_mode},
            {"settings", json::parse(connection.settings, nullptr, false)},
            {"inline_credentials", connection.sealed_credentials ? "set" : "none"},
            {"created_by", connection.created_by},
            {"created_at", connection.created_at}};
}

Result<store::Connection> named_connection(const store::Database& database, const Call& call) {
    const std::string& name = call.request.params.at("name");
    if (auto valid = api::check_name("connection", name); !valid) return valid.error();
    return store::find_connection(database, call.org.id, name);
}

// The settings object: strings by key.
Result<std::vector<std::pair<std::string, std::string>>> settings_of(const json& body) {
    std::vector<std::pair<std::string, std::string>> settings;
    if (!body.contains("settings") || body["settings"].is_null()) return settings;
    if (!body["settings"].is_object()) return Error{ErrorKind::invalid_argument, "settings must be a JSON object"};
    for (const auto& [key, value] : body["settings"].items()) {
        if (!value.is_string()) {
            return Error{ErrorKind::invalid_argument, "setting " + key.substr(0, 64) + " must be a string"};
        }
        settings.emplace_back(key, value.get<std::string>());
    }
    return settings;
}

Result<HttpResponse> create_connection(const ApiContext& context, const Call& call) {
    const store::Database& database = context.database;
    auto body = api::json_body(call.request, {"name", "provider", "auth_mode", "settings", "credentials"});
    if (!body) return body.error();
    // The credentials leave the JSON for a Secret at once; the JSON's copy is wiped.
    Secret credentials;
    if (auto given = body.value().find("credentials"); given != body.value().end() && !given->is_null()) {
        if (!given->is_string()) return Error{ErrorKind::invalid_argument, "credentials must be a string"};
        credentials = Secret(given->get_ref<const std::string&>());
        wipe_json(*given);
    }
    auto name = api::string_field(body.value(), "name");
    if (!name) return name.error();
    if (auto valid = api::check_name("connection", name.value()); !valid) return valid.error();
    auto provider = api::string_field(body.value(), "provider");
    if (!provider) return provider.error();
    auto mode = api::string_field(body.value(), "auth_mode");
    if (!mode) return mode.error();
    auto settings = settings_of(body.value());
    if (!settings) return settings.error();
    auto checked = providers::check_definition(
        {provider.value(), mode.value(), settings.value(), credentials.empty() ? nullptr : &credentials});
    if (!checked) return checked.error();

    store::Connection connection{0, call.org.id, call.org.name, name.value(), provider.value(), mode.value(),
                                 checked.value().dump(), std::nullopt, api::actor_of(call.principal), call.now};
    if (!credentials.empty()) {
        auto sealed = seal_connection_credentials(context.master_key, call.org.name, name.value(), credentials);
        if (!sealed) return sealed.error();
        connection.sealed_credentials = std::move(sealed).value();
    }
    return api::in_transaction(database, [&]() -> Result<HttpResponse> {
        auto created = store::insert_connection(database, connection);
        if (!created) return created.error();
        auto audited = api::audit(database, call, "connection.create", "connection:" + call.org.name + "/" + name.value(),
                                  {{"provider", connection.provider},
                                   {"auth_mode", connection.auth_mode},
                                   {"settings", checked.value()},
                                   {"inline_credentials", connection.sealed_credentials ? "set" : "none"}});
        if (!audited) return audited.error();
        return api::json_response(201, connection_json(created.value()));
    });
}

// PATCH: settings merged (a string sets a key, null removes it), the auth
// mode replaced, the credentials replaced (a string) or dropped (null); the
// result checked as a whole, as a new definition would be.
Result<HttpResponse> update_connection(const ApiContext& context, const Call& call) {
    const store::Database& database = context.database;
    auto body = api::json_body(call.request, {"auth_mode", "settings", "credentials"});
    if (!body) return body.error();
    std::optional<Secret> new_credentials;  // set: replaced (empty: dropped)
    if (auto given = body.value().find("credentials"); given != body.value().end()) {
        if (given->is_null()) {
            new_credentials = Secret();
        } else if (given->is_string()) {
            new_credentials = Secret(given->get_ref<const std::string&>());
            wipe_json(*given);
        } else {
            return Error{ErrorKind::invalid_argument, "credentials must be a string, or null to drop them"};
        }
    }
    auto current = named_connection(database, call);
    if (!current) return current.error();
    store::Connection connection = current.value();

    json settings = json::parse(connection.settings, nullptr, false);
    if (!settings.is_object()) return Error{ErrorKind::internal, "connection " + connection.name + " has unreadable settings"};
    std::vector<std::string> changed;
    if (auto given = body.value().find("settings"); given != body.value().end()) {
        if (!given->is_object()) return Error{ErrorKind::invalid_argument, "settings must be a JSON object"};
        for (const auto& [key, value] : given->items()) {
            if (value.is_null()) {
                settings.erase(key);
            } else if (value.is_string()) {
                settings[key] = value;
            } else {
                return Error{ErrorKind::invalid_argument, "setting " + key.substr(0, 64) + " must be a string, or null to remove it"};
            }
            changed.push_back(key.substr(0, 64));
        }
    }
    if (body.value().contains("auth_mode")) {
        auto mode = api::string_field(body.value(), "auth_mode");
        if (!mode) return mode.error();
        connection.auth_mode = mode.value();
    }
    std::vector<std::pair<std::string, std::string>> setting_pairs;
    for (const auto& [key, value] : settings.items()) setting_pairs.emplace_back(key, value.get<std::string>());

    // The credentials the connection would hold: new ones, or its own
    // (opened, to check them against a changed auth mode).
    Secret credentials;
    if (new_credentials) {
        credentials = std::move(*new_credentials);
    } else if (connection.sealed_credentials) {
        auto opened = open_connection_credentials(context.master_key, connection);
        if (!opened) return opened.error();
        credentials = std::move(opened).value();
    }
    auto checked = providers::check_definition(
        {connection.provider, connection.auth_mode, setting_pairs, credentials.empty() ? nullptr : &credentials});
    if (!checked) return checked.error();
    connection.settings = checked.value().dump();
    if (new_credentials && !credentials.empty()) {
        auto sealed = seal_connection_credentials(context.master_key, call.org.name, connection.name, credentials);
        if (!sealed) return sealed.error();
        connection.sealed_credentials = std::move(sealed).value();
    } else if (credentials.empty()) {
        connection.sealed_credentials = std::nullopt;
    }
    const char* inline_change = new_credentials ? (credentials.empty() ? "dropped" : "replaced")
                                                : (connection.sealed_credentials ? "kept" : "none");
    return api::in_transaction(database, [&]() -> Result<HttpResponse> {
        auto updated = store::update_connection(database, connection);
        if (!updated) return updated.error();
        auto audited = api::audit(database, call, "connection.update", "connection:" + call.org.name + "/" + connection.name,
                                  {{"auth_mode", connection.auth_mode},
                                   {"settings", checked.value()},
                                   {"changed_settings", changed},
                                   {"inline_credentials", inline_change}});
        if (!audited) return audited.error();
        return api::json_response(200, connection_json(updated.value()));
    });
}

}  // namespace

void add_connection_routes(Router& router, const ApiContext& context) {
    const store::Database& database = context.database;

    router.add("POST", "/v1/connections",
               api::holding_secrets(api::guarded(database, auth::Role::admin, [&context](const Call& call) {
                   return create_connection(context, call);
               })));

    router.add("PATCH", "/v1/connections/{name}",
               api::holding_secrets(api::guarded(database, auth::Role::admin, [&context](const Call& call) {
                   return update_connection(context, call);
               })));

    router.add("GET", "/v1/connections",
               api::guarded(database, auth::Role::admin, [&database](const Call& call) -> Result<HttpResponse> {
                   auto connections = store::list_connections(database, call.org.id);
                   if (!connections) return connections.error();
                   json list = json::array();
                   for (const auto& connection : connections.value()) list.push_back(connection_json(connection));
                   return api::json_response(200, {{"connections", list}});
               }));

    router.add("GET", "/v1/connections/{name}",
               api::guarded(database, auth::Role::admin, [&database](const Call& call) -> Result<HttpResponse> {
                   auto connection = named_connection(database, call);
                   if (!connection) return connection.error();
                   return api::json_response(200, connection_json(connection.value()));
               }));

    router.add("DELETE", "/v1/connections/{name}",
               api::guarded(database, auth::Role::admin, [&database](const Call& call) -> Result<HttpResponse> {
                   auto connection = named_connection(database, call);
                   if (!connection) return connection.error();
                   return api::in_transaction(database, [&]() -> Result<HttpResponse> {
                       if (auto done = store::delete_connection(database, connection.value().id, call.now); !done) {
                           return done.error();
                       }
                       auto audited = api::audit(database, call, "connection.delete",
                                                 "connection:" + call.org.name + "/" + connection.value().name);
                       if (!audited) return audited.error();
                       return api::json_response(200, {{"deleted", connection.value().name}});
                   });
               }));
}

}  // namespace tether::server
