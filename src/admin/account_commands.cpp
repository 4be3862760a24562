// tether admin service-account … and api-key …
#include <CLI/CLI.hpp>
#include <iostream>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/output.h"
#include "tether/core/error.h"

namespace tether::admin {
namespace {

struct AccountArgs {
    std::string name;
    std::string role;
    std::string kind = "bot";
};

struct KeyArgs {
    std::string service_account;
    std::string expires_in;
    std::string key_id;
};

}  // namespace

void add_account_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };

    CLI::App* accounts = admin.add_subcommand("service-account", "Service accounts of the org: people and automation");
    accounts->require_subcommand(1);
    auto account = std::make_shared<AccountArgs>();

    CLI::App* create = accounts->add_subcommand("create", "Create a service account");
    create->add_option("name", account->name, "its name ([a-z0-9-])")->required();
    create->add_option("--role", account->role, "viewer, operator or admin")->required();
    create->add_option("--kind", account->kind, "user or bot")->capture_default_str();
    on(create, [account](const AdminConfig& config) {
        nlohmann::json body = {{"name", account->name}, {"role", account->role}, {"kind", account->kind}};
        return print_object(config, call_or_fail(config, "POST", api_path({"service-accounts"}), &body));
    });

    on(accounts->add_subcommand("list", "List the org's service accounts"), [](const AdminConfig& config) {
        return print_list(config, call_or_fail(config, "GET", api_path({"service-accounts"})), "service_accounts",
                          {"name", "kind", "role", "active", "created_at"});
    });

    for (const char* verb : {"disable", "enable"}) {
        CLI::App* toggle = accounts->add_subcommand(verb, std::string(verb == std::string("disable")
                                                                          ? "Disable: its keys stop working at once"
                                                                          : "Enable again"));
        toggle->add_option("name", account->name, "the service account")->required();
        on(toggle, [account, verb = std::string(verb)](const AdminConfig& config) {
            return print_object(config, call_or_fail(config, "POST", api_path({"service-accounts", account->name, verb})));
        });
    }

    CLI::App* remove = accounts->add_subcommand("delete", "Delete a service account and revoke its keys");
    remove->add_option("name", account->name, "the service account")->required();
    on(remove, [account](const AdminConfig& config) {
        return print_object(config, call_or_fail(config, "DELETE", api_path({"service-accounts", account->name})));
    });

    CLI::App* keys = admin.add_subcommand("api-key", "API keys of the org's service accounts");
    keys->require_subcommand(1);
    auto key = std::make_shared<KeyArgs>();

    CLI::App* mint = keys->add_subcommand("create", "Create an API key; it is printed once");
    mint->add_option("--service-account", key->service_account, "whose key")->required();
    mint->add_option("--expires-in", key->expires_in, "lifetime, such as 90d (default: no expiry)");
    on(mint, [key](const AdminConfig& config) {
        nlohmann::json body = {{"service_account", key->service_account}};
        if (!key->expires_in.empty()) body["expires_in"] = key->expires_in;
        nlohmann::json answer = call_or_fail(config, "POST", api_path({"api-keys"}), &body);
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else {
            std::cout << answer.value("api_key", "") << "\n";
            std::cerr << "API key " << answer.value("key_id", "") << " for " << key->service_account
                      << ": shown only this once; store it now.\n";
        }
        return 0;
    });

    on(keys->add_subcommand("list", "List the org's API keys (ids and dates, never the keys)"),
       [](const AdminConfig& config) {
           return print_list(config, call_or_fail(config, "GET", api_path({"api-keys"})), "api_keys",
                             {"key_id", "service_account", "created_at", "expires_at", "revoked_at", "last_used_at"});
       });

    CLI::App* orgs = admin.add_subcommand("org", "Orgs: tenants, each with its own runners, accounts and keys");
    orgs->require_subcommand(1);
    auto org_name = std::make_shared<std::string>();
    CLI::App* create_org = orgs->add_subcommand("create", "Create an org and its first admin key (printed once)");
    create_org->add_option("name", *org_name, "its name ([a-z0-9-])")->required();
    on(create_org, [org_name](const AdminConfig& config) {
        nlohmann::json body = {{"name", *org_name}};
        nlohmann::json answer = call_or_fail(config, "POST", api_path({"orgs"}), &body);
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else {
            std::cout << answer.value("api_key", "") << "\n";
            std::cerr << "Org " << *org_name << " created. Above: the API key of " << *org_name
                      << "/admin, shown only this once.\n";
        }
        return 0;
    });
    on(orgs->add_subcommand("list", "List orgs (all of them for the server's admins)"), [](const AdminConfig& config) {
        return print_list(config, call_or_fail(config, "GET", api_path({"orgs"})), "orgs", {"name", "created_at"});
    });

    CLI::App* audit = admin.add_subcommand("audit", "The server's hash-chained audit log");
    audit->require_subcommand(1);
    on(audit->add_subcommand("list", "List the org's audit entries, oldest first"), [](const AdminConfig& config) {
        return print_list(config, call_or_fail(config, "GET", api_path({"audit"})), "entries",
                          {"id", "at", "actor", "action", "target", "request_id"});
    });
    on(audit->add_subcommand("verify", "Recompute the hash chain; say where it breaks"), [](const AdminConfig& config) {
        nlohmann::json answer = call_or_fail(config, "GET", api_path({"audit", "verify"}));
        bool intact = answer.value("intact", false);
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else if (intact) {
            std::cout << "audit log intact: " << answer.value("rows_checked", 0) << " rows checked\n";
        } else {
            std::cout << "audit log BROKEN at row " << answer.value("broken_at", 0) << ": "
                      << answer.value("reason", "") << "\n";
        }
        // sysexits EX_DATAERR: the data is wrong, not the command or the service.
        return intact ? 0 : 65;
    });

    CLI::App* revoke = keys->add_subcommand("revoke", "Revoke an API key: it stops working at once");
    revoke->add_option("key_id", key->key_id, "the key's id (the part after tth_)")->required();
    on(revoke, [key](const AdminConfig& config) {
        return print_object(config, call_or_fail(config, "DELETE", api_path({"api-keys", key->key_id})));
    });
}

}  // namespace tether::admin
