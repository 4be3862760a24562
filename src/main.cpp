// Subcommand dispatch only: each mode adds its own command.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "tether/admin/cli.h"
#include "tether/cli/version.h"
#include "tether/core/error.h"
#include "tether/core/redact.h"
#include "tether/runner/cli.h"
#include "tether/server/cli.h"

namespace {

// "tether admin" for an error inside `tether admin …`.
std::string command_path(const CLI::App& app) {
    auto chosen = app.get_subcommands();
    return chosen.empty() ? app.get_name() : app.get_name() + " " + command_path(*chosen.front());
}

// The deepest command parsed so far.
const CLI::App& innermost(const CLI::App& app) {
    auto chosen = app.get_subcommands();
    return chosen.empty() ? app : innermost(*chosen.front());
}

// The message with every argument that looks like a secret left out: a key
// pasted after a misspelt flag must not end up on the screen or in a CI log.
std::string without_secrets(std::string message, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view argument = argv[i];
        // "--api-kye=tth_…" as one argument: its value is the part to hide.
        if (auto equals = argument.find('='); argument.starts_with("--") && equals != std::string_view::npos) {
            argument.remove_prefix(equals + 1);
        }
        if (argument.empty() || !tether::looks_like_secret(argument)) continue;
        for (auto at = message.find(argument); at != std::string::npos; at = message.find(argument, at)) {
            message.replace(at, argument.size(), "[not shown: looks like a secret]");
        }
    }
    return tether::scrub_secrets(message);
}

int usage_error(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
    std::string message = error.what();
    auto leftover = innermost(app).remaining();
    if (!leftover.empty() && !leftover.front().empty() && leftover.front().front() != '-') {
        // A word where a command was expected: CLI11 would only say that one is required.
        message = "unknown command '" + leftover.front() + "'";
    } else if (const auto* extras = dynamic_cast<const CLI::ExtrasError*>(&error)) {
        // CLI11 says "The following arguments were not expected: foo".
        std::string_view text = extras->what();
        auto colon = text.find(": ");
        std::string unexpected(colon == std::string_view::npos ? text : text.substr(colon + 2));
        message = "unknown command or argument '" + unexpected + "'";
    }
    std::string path = command_path(app);
    message = without_secrets(std::move(message), argc, argv);
    std::fprintf(stderr, "%s: %s; see '%s --help'\n", path.c_str(), message.c_str(), path.c_str());
    return tether::to_int(tether::ExitCode::usage);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"tether runs cloud operations inside customers' infrastructure without holding their credentials.",
                 "tether"};
    app.require_subcommand(1, 1);
    app.set_version_flag("--version", tether::cli::version_line());

    tether::cli::Action action;
    tether::server::add_command(app, action);
    tether::runner::add_command(app, action);
    tether::admin::add_command(app, action);
    std::string version_output = "table";
    CLI::App* version = app.add_subcommand("version", "Print the version, the build and the libraries built in");
    version->add_option("-o,--output", version_output, "table for people, json for scripts")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    version->callback([&action, &version_output] {
        action = [&version_output] {
            std::cout << (version_output == "json" ? tether::cli::version_json() : tether::cli::version_report());
            return 0;
        };
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& success) {
        return app.exit(success);  // --help, --version
    } catch (const CLI::ParseError& error) {
        return usage_error(app, error, argc, argv);
    }

    try {
        return action();
    } catch (const tether::Fatal& fatal) {
        std::fprintf(stderr, "tether: %s\n", without_secrets(fatal.what(), argc, argv).c_str());
        return tether::to_int(fatal.code());
    } catch (const std::exception& unexpected) {
        std::fprintf(stderr, "tether: internal error: %s\n", unexpected.what());
        return tether::to_int(tether::ExitCode::internal);
    }
}
