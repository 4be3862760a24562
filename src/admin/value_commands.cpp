// tether admin secret … and tether admin var …
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "tether/admin/account_commands.h"
#include "tether/admin/api_client.h"
#include "tether/admin/input.h"
#include "tether/admin/output.h"
#include "tether/core/error.h"
#include "tether/core/references.h"

namespace tether::admin {
namespace {

using nlohmann::json;

struct ValueArgs {
    std::string name;           // NAME, or NAME@VERSION for a version's verbs
    std::string from_file;      // "-": standard input
    std::string value;          // var set only; for secret set, a refused attempt
    std::string description;
    std::int64_t version = 0;   // var get --version
};

// NAME@VERSION, checked here so that a typo is a usage error before any call.
std::pair<std::string, std::string> name_and_version(const std::string& text, const char* kind) {
    std::size_t at = text.rfind('@');
    std::string name = text.substr(0, at);
    std::string version = at == std::string::npos ? "" : text.substr(at + 1);
    if (!references::is_valid_value_name(name) || !references::parse_version(version)) {
        fail(ExitCode::usage, std::string("name the ") + kind + " version as NAME@VERSION, such as db-password@2");
    }
    return {name, version};
}

void check_name(const std::string& name, const char* kind) {
    if (!references::is_valid_value_name(name)) {
        fail(ExitCode::usage, std::string(kind) +
                                  " names are 1 to 128 letters, digits, '_', '-' or '.', starting with a letter or digit");
    }
}

// One line typed at a terminal without echo, as ssh-keygen asks for a
// passphrase; its newline is not part of the value.
Secret prompt_hidden(const std::string& prompt) {
    std::cerr << prompt << std::flush;
    termios saved{};
    bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (terminal) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Secret value(line);
    wipe(line);
    return value;
}

// A secret's value: the file named, or standard input (a prompt without
// echo at a terminal; every byte as it comes from a pipe).
Secret secret_value(const ValueArgs& args) {
    if (!args.from_file.empty()) return read_input(args.from_file, references::max_value_bytes, "--from-file");
    if (::isatty(STDIN_FILENO) != 0) return prompt_hidden("value of secret " + args.name + " (not echoed): ");
    return read_input("-", references::max_value_bytes, "standard input");
}

void check_value(const Secret& value, const std::string& what) {
    if (auto problem = references::value_problem(value.reveal())) fail(ExitCode::usage, what + ": " + *problem);
}

std::string version_line(const char* verb, const char* kind, const json& answer) {
    return std::string(verb) + " " + kind + " " + answer.value("name", "") + " version " +
           std::to_string(answer.value("version", 0)) + " (" + std::to_string(answer.value("size", 0)) +
           " bytes, fingerprint " + answer.value("fingerprint", "") + ")\n";
}

int print_version_change(const AdminConfig& config, const char* verb, const char* kind, const json& answer) {
    if (config.output == Output::json) {
        std::cout << answer.dump(2) << "\n";
    } else {
        std::cout << version_line(verb, kind, answer);
    }
    return 0;
}

int print_versions(const AdminConfig& config, const json& answer) {
    if (config.output == Output::json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    std::size_t count = answer.contains("versions") && answer["versions"].is_array() ? answer["versions"].size() : 0;
    std::cout << answer.value("name", "") << ": " << count << " versions, latest "
              << cell_text("latest_version", answer.value("latest_version", json())) << "\n";
    if (!answer.value("description", "").empty()) std::cout << answer.value("description", "") << "\n";
    std::cout << "\n";
    return print_list(config, answer, "versions",
                      {"version", "state", "size", "fingerprint", "created_by", "created_at", "changed_at"});
}

// enable, disable and destroy: NAME@VERSION in, the version's row out.
void add_version_verbs(CLI::App& parent, const char* kind, const char* collection,
                       const std::shared_ptr<ValueArgs>& args, const std::shared_ptr<AdminCommand>& chosen) {
    struct Verb {
        const char* name;
        const char* help;
        const char* done;
    };
    for (Verb verb : {Verb{"enable", "Make a disabled version readable again", "enabled"},
                      Verb{"disable", "Stop a version from being read (latest falls back to the one before)", "disabled"},
                      Verb{"destroy", "Erase a version's value for good (its number and fingerprint stay)", "destroyed"}}) {
        CLI::App* command = parent.add_subcommand(verb.name, verb.help);
        command->add_option("version", args->name, "NAME@VERSION")->required();
        command->callback([chosen, args, kind, collection, verb] {
            *chosen = [args, kind, collection, verb](const AdminConfig& config) {
                auto [name, version] = name_and_version(args->name, kind);
                json answer = call_or_fail(config, "POST", api_path({collection, name, "versions", version, verb.name}));
                return print_version_change(config, verb.done, kind, answer);
            };
        });
    }
}

void add_secret_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };
    CLI::App* secrets = admin.add_subcommand(
        "secret", "Secrets: values runners resolve as ${secret:NAME}; never shown to anyone, only their versions");
    secrets->require_subcommand(1);
    auto args = std::make_shared<ValueArgs>();

    CLI::App* set = secrets->add_subcommand("set", "Add a version of a secret (admin role), from a file or standard input");
    set->add_option("name", args->name, "its name")->required();
    set->add_option("--from-file", args->from_file, "read the value from FILE ('-': standard input, the default)");
    set->add_option("--description", args->description, "what it is for (shown in lists)");
    // Taken only to refuse it: argv is visible to every user of the machine.
    set->add_option("value", args->value)->group("");
    on(set, [args](const AdminConfig& config) {
        if (!args->value.empty()) {
            wipe(args->value);
            fail(ExitCode::usage, "a secret's value is never taken from the command line, where other users see it: "
                                  "use --from-file FILE, or standard input");
        }
        check_name(args->name, "secret");
        Secret value = secret_value(*args);
        check_value(value, "secret " + args->name);
        json body = {{"value", std::string(value.reveal())}};
        if (!args->description.empty()) body["description"] = args->description;
        json answer = call_or_fail(config, "PUT", api_path({"secrets", args->name}), &body);
        wipe(body["value"].get_ref<std::string&>());
        return print_version_change(config, "set", "secret", answer);
    });

    on(secrets->add_subcommand("list", "List the org's secrets: names and versions, never values"),
       [](const AdminConfig& config) {
           json answer = call_or_fail(config, "GET", api_path({"secrets"}));
           return print_list(config, answer, "secrets", {"name", "latest_version", "versions", "updated_at", "description"});
       });

    CLI::App* versions = secrets->add_subcommand("versions", "A secret's versions: state, size, fingerprint, who and when");
    versions->add_option("name", args->name, "the secret")->required();
    on(versions, [args](const AdminConfig& config) {
        check_name(args->name, "secret");
        return print_versions(config, call_or_fail(config, "GET", api_path({"secrets", args->name})));
    });
    add_version_verbs(*secrets, "secret", "secrets", args, chosen);
}

void add_variable_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    auto on = [chosen](CLI::App* command, AdminCommand run) { command->callback([chosen, run] { *chosen = run; }); };
    CLI::App* variables = admin.add_subcommand("var", "Variables: plain values runners resolve as ${var:NAME}");
    variables->require_subcommand(1);
    auto args = std::make_shared<ValueArgs>();

    CLI::App* set = variables->add_subcommand("set", "Add a version of a variable (operator role)");
    set->add_option("name", args->name, "its name")->required();
    set->add_option("value", args->value, "its value (or --from-file)");
    set->add_option("--from-file", args->from_file, "read the value from FILE ('-': standard input)");
    set->add_option("--description", args->description, "what it is for (shown in lists)");
    on(set, [args](const AdminConfig& config) {
        check_name(args->name, "variable");
        if (args->value.empty() == args->from_file.empty()) {
            fail(ExitCode::usage, "give the value, or --from-file FILE, but not both");
        }
        Secret value = args->from_file.empty() ? Secret(args->value)
                                               : read_input(args->from_file, references::max_value_bytes, "--from-file");
        check_value(value, "variable " + args->name);
        json body = {{"value", std::string(value.reveal())}};
        if (!args->description.empty()) body["description"] = args->description;
        json answer = call_or_fail(config, "PUT", api_path({"variables", args->name}), &body);
        return print_version_change(config, "set", "variable", answer);
    });

    CLI::App* get = variables->add_subcommand("get", "Print a variable's value (the latest, or --version N)");
    get->add_option("name", args->name, "the variable")->required();
    get->add_option("--version", args->version, "a version instead of the latest")->check(CLI::PositiveNumber);
    on(get, [args](const AdminConfig& config) {
        check_name(args->name, "variable");
        ApiTarget target = api_path({"variables", args->name});
        if (args->version > 0) target = target.query("version", std::to_string(args->version));
        json answer = call_or_fail(config, "GET", target);
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else if (answer.contains("value") && answer["value"].is_string()) {
            std::cout << answer["value"].get<std::string>() << "\n";
        } else {
            fail(ExitCode::usage, "variable " + args->name + " has no enabled version");
        }
        return 0;
    });

    on(variables->add_subcommand("list", "List the org's variables with their latest values"),
       [](const AdminConfig& config) {
           json answer = call_or_fail(config, "GET", api_path({"variables"}));
           if (config.output != Output::json) {
               // A long value would make the table unreadable: its start says enough.
               for (auto& variable : answer["variables"]) {
                   if (variable.contains("value") && variable["value"].is_string() &&
                       variable["value"].get_ref<const std::string&>().size() > 60) {
                       variable["value"] = variable["value"].get<std::string>().substr(0, 57) + "...";
                   }
               }
           }
           return print_list(config, answer, "variables", {"name", "latest_version", "value", "updated_at", "description"});
       });

    CLI::App* versions = variables->add_subcommand("versions", "A variable's versions");
    versions->add_option("name", args->name, "the variable")->required();
    on(versions, [args](const AdminConfig& config) {
        check_name(args->name, "variable");
        return print_versions(config, call_or_fail(config, "GET", api_path({"variables", args->name})));
    });

    CLI::App* remove = variables->add_subcommand("delete", "Destroy every version of a variable");
    remove->add_option("name", args->name, "the variable")->required();
    on(remove, [args](const AdminConfig& config) {
        check_name(args->name, "variable");
        json answer = call_or_fail(config, "DELETE", api_path({"variables", args->name}));
        if (config.output == Output::json) {
            std::cout << answer.dump(2) << "\n";
        } else {
            std::cout << "deleted variable " << args->name << " (" << answer.value("versions_destroyed", 0)
                      << " versions destroyed)\n";
        }
        return 0;
    });
    add_version_verbs(*variables, "variable", "variables", args, chosen);
}

}  // namespace

void add_value_commands(CLI::App& admin, const std::shared_ptr<AdminCommand>& chosen) {
    add_secret_commands(admin, chosen);
    add_variable_commands(admin, chosen);
}

}  // namespace tether::admin
