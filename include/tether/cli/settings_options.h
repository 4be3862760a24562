#pragma once

// Included only by the files that define commands: it brings in CLI11.
#include <CLI/CLI.hpp>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tether/cli/command.h"
#include "tether/core/settings.h"

namespace tether::cli {

// Gives a command a flag for every setting of a mode, plus --config and
// --print-config, and layers defaults < file < environment < flags.
class SettingsOptions {
public:
    // `config_env` names the variable that may point at the config file
    // (TETHER_SERVER_CONFIG); `default_config` is read if it exists.
    SettingsOptions(CLI::App& command, std::vector<config::Spec> specs, std::string config_env,
                    std::optional<std::filesystem::path> default_config = std::nullopt)
        : specs_(std::move(specs)), config_env_(std::move(config_env)), default_config_(std::move(default_config)) {
        config_option_ = command.add_option("--config", config_path_, "TOML config file (env " + config_env_ + ")")
                             ->type_name("FILE")
                             ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        command.add_flag("--print-config", print_config_,
                         "print every setting with its value and origin, then exit");
        for (const config::Spec& spec : specs_) {
            if (!spec.has_flag) continue;
            Flag& flag = flags_.emplace_back(Flag{spec.key, nullptr, {}});
            std::string names = "--" + config::flag_name(spec.key);
            if (spec.short_flag != 0) names = std::string("-") + spec.short_flag + "," + names;
            std::string help = spec.help + " (env " + config::env_name(spec.key) + ", file " + spec.key;
            if (!spec.default_value.empty()) help += "; default " + spec.default_value;
            help += ")";
            // As with most Unix tools, a repeated flag means its last value.
            flag.option = command.add_option(names, flag.value, help)
                              ->type_name(type_name(spec))
                              ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        }
    }

    bool print_config() const { return print_config_; }

    config::Settings load(const config::Environment& env = config::process_environment()) const {
        config::Settings settings(specs_);
        if (config_option_->count() > 0) {
            settings.load_file(config_path_);
        } else if (auto named = env(config_env_)) {
            settings.load_file(*named);
        } else if (default_config_ && std::filesystem::exists(*default_config_)) {
            settings.load_file(*default_config_);
        }
        settings.load_environment(env);
        for (const Flag& flag : flags_) {
            if (flag.option->count() > 0) settings.set_flag(flag.key, flag.value);
        }
        return settings;
    }

private:
    struct Flag {
        std::string key;
        CLI::Option* option;
        std::string value;
    };

    static std::string type_name(const config::Spec& spec) {
        switch (spec.kind) {
            case config::Kind::path: return "PATH";
            case config::Kind::boolean: return "BOOL";
            case config::Kind::integer: return "INT";
            case config::Kind::duration: return "DURATION";
            case config::Kind::address: return "HOST:PORT";
            case config::Kind::url: return "URL";
            case config::Kind::choice: {
                std::string names;
                for (const auto& choice : spec.choices) names += (names.empty() ? "" : "|") + choice;
                return names;
            }
            case config::Kind::list: return "A,B,...";
            case config::Kind::text: break;
        }
        return "TEXT";
    }

    std::vector<config::Spec> specs_;
    std::string config_env_;
    std::optional<std::filesystem::path> default_config_;
    std::string config_path_;
    CLI::Option* config_option_ = nullptr;
    bool print_config_ = false;
    std::deque<Flag> flags_;  // stable addresses: CLI11 writes into Flag::value
};

// Adds the mode's settings to `command` and, once it is chosen, sets
// `action` to: load the settings, print them if --print-config was given,
// else configure logging and call `run`.
inline void on_settings(CLI::App& command, Action& action, std::vector<config::Spec> specs, std::string config_env,
                        std::function<int(const config::Settings&)> run,
                        std::optional<std::filesystem::path> default_config = std::nullopt) {
    auto options =
        std::make_shared<SettingsOptions>(command, std::move(specs), std::move(config_env), std::move(default_config));
    command.callback([&action, options, run = std::move(run)] {
        action = [options, run] {
            config::Settings settings = options->load();
            if (options->print_config()) {
                std::cout << settings.describe();
                return 0;
            }
            config::apply_logging(settings);
            return run(settings);
        };
    });
}

}  // namespace tether::cli
