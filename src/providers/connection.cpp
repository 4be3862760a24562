#include "tether/providers/connection.h"

#include <algorithm>

#include "tether/core/endpoint.h"
#include "tether/core/json.h"
#include "tether/core/references.h"
#include "tether/core/text.h"
#include "tether/pki/certificate.h"

namespace tether::providers {
namespace {

using nlohmann::json;

bool all_of(std::string_view text, std::string_view extra) {
    return std::all_of(text.begin(), text.end(), [extra](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               extra.find(c) != std::string_view::npos;
    });
}

std::string joined(const std::vector<std::string_view>& items) {
    std::string out;
    for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
    return out;
}

bool contains(const std::vector<std::string_view>& items, std::string_view item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

Error invalid(std::string message) { return Error{ErrorKind::invalid_argument, std::move(message)}; }

// A rule's key names one setting, or ends in '*' for a family of them
// ("exec.*"): the prefix, then a-z, 0-9 and '_', starting with a letter.
bool matches(std::string_view rule, std::string_view key) {
    if (!rule.ends_with('*')) return rule == key;
    rule.remove_suffix(1);
    if (!key.starts_with(rule)) return false;
    std::string_view rest = key.substr(rule.size());
    return !rest.empty() && rest.size() <= 64 && rest.front() >= 'a' && rest.front() <= 'z' &&
           std::all_of(rest.begin(), rest.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// The rule for `key`, or invalid_argument naming the settings there are.
Result<const SettingRule*> rule_for(std::string_view provider, const ConnectionRules& rules, std::string_view key,
                                    std::string_view mode) {
    auto rule = std::find_if(rules.settings.begin(), rules.settings.end(),
                             [&](const SettingRule& s) { return matches(s.key, key); });
    if (rule == rules.settings.end()) {
        std::vector<std::string_view> names;
        for (const auto& s : rules.settings) {
            names.push_back(s.key == "*" ? "any named with a-z, 0-9 and '_', starting with a letter" : s.key);
        }
        return invalid("provider " + std::string(provider) + " has no setting '" + std::string(key.substr(0, 64)) +
                       "' (it has " + (names.empty() ? std::string("none") : joined(names)) + ")");
    }
    if (!contains(rule->modes, mode)) {
        return invalid("setting " + std::string(key) + " does not apply to auth mode " + std::string(mode) +
                       " (only to " + joined(rule->modes) + ")");
    }
    return &*rule;
}

std::optional<std::string> check_size(const SettingRule& rule, std::string_view key, std::string_view value) {
    if (value.empty() || value.size() > rule.max_bytes) {
        return "setting " + std::string(key) + " must be 1 to " + std::to_string(rule.max_bytes) + " bytes";
    }
    bool control = std::any_of(value.begin(), value.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\n') || u == 0x7f;
    });
    if (control) return "setting " + std::string(key) + " holds control characters";
    return std::nullopt;
}

Result<Done> check_mode(std::string_view provider, const ConnectionRules& rules, std::string_view mode) {
    if (mode != auth_mode::inline_credentials && mode != auth_mode::runner_delegated && mode != auth_mode::cross_account) {
        return invalid("unknown auth mode '" + std::string(mode.substr(0, 40)) +
                       "' (inline, runner-delegated or cross-account)");
    }
    if (!contains(rules.modes, mode)) {
        return invalid("provider " + std::string(provider) + " has no auth mode " + std::string(mode) + " (it has " +
                       joined(rules.modes) + ")");
    }
    return Done{};
}

// What both sides check once each value is: required settings and how
// the settings fit together.
Result<Done> check_whole(std::string_view provider, const ConnectionRules& rules, const json& settings,
                         std::string_view mode) {
    for (const auto& setting : rules.settings) {
        if (setting.required && contains(setting.modes, mode) && !settings.contains(std::string(setting.key))) {
            return invalid("auth mode " + std::string(mode) + " of provider " + std::string(provider) +
                           " needs setting " + std::string(setting.key));
        }
    }
    if (rules.consistent) {
        if (auto problem = rules.consistent(settings, mode)) return invalid(*problem);
    }
    return Done{};
}

// Whether `text` (around white space) is a single reference and nothing else.
bool is_one_reference(std::string_view text) {
    auto pieces = references::split(text::trim(text));
    return pieces && pieces.value().size() == 1 && pieces.value()[0].literal.empty() && pieces.value()[0].reference;
}

}  // namespace

namespace check {

ValueCheck characters(std::size_t shortest, std::size_t longest, std::string_view extra, std::string what) {
    return [=](std::string_view value) -> std::optional<std::string> {
        if (value.size() < shortest || value.size() > longest || !all_of(value, extra)) return what;
        return std::nullopt;
    };
}

std::optional<std::string> http_url(std::string_view value) {
    auto url = parse_url(value);
    if (!url) return "an http or https URL: " + url.error().message;
    return std::nullopt;
}

std::optional<std::string> https_url(std::string_view value) {
    auto url = parse_url(value);
    if (!url || url.value().scheme != "https") return "an https URL such as https://10.0.0.1:6443";
    return std::nullopt;
}

std::optional<std::string> pem_certificates(std::string_view value) {
    auto certificate = pki::Certificate::from_pem(value);
    if (!certificate) return "PEM certificates: " + certificate.error().message;
    return std::nullopt;
}

}  // namespace check

Result<json> check_definition(std::string_view provider, const ConnectionRules& rules,
                              const ConnectionDefinition& definition) {
    const std::string& mode = definition.auth_mode;
    if (auto checked = check_mode(provider, rules, mode); !checked) return checked.error();
    json settings = json::object();
    for (const auto& [key, value] : definition.settings) {
        if (settings.contains(key)) return invalid("setting " + key.substr(0, 64) + " is given twice");
        auto rule = rule_for(provider, rules, key, mode);
        if (!rule) return rule.error();
        if (auto problem = check_size(*rule.value(), key, value)) return invalid(*problem);
        // A value that holds a reference is well-formed once the runner has
        // resolved it; here only the references are checked.
        if (references::mentions_reference(value)) {
            if (auto split = references::split(value); !split) {
                return invalid("setting " + key + ": " + split.error().message);
            }
        } else if (auto problem = rule.value()->check(value)) {
            return invalid("setting " + key + " must be " + *problem);
        }
        settings[key] = value;
    }
    if (auto whole = check_whole(provider, rules, settings, mode); !whole) return whole.error();

    bool has_credentials = definition.inline_credentials != nullptr && !definition.inline_credentials->empty();
    if (mode == auth_mode::inline_credentials) {
        if (!has_credentials) return invalid("auth mode inline needs a credentials file (--credentials-file)");
        std::string_view text = definition.inline_credentials->reveal();
        if (references::mentions_reference(text)) {
            if (auto split = references::split(text); !split) return invalid("the credentials file: " + split.error().message);
        }
        // The whole file may be one reference (${secret:aws-prod-keys}):
        // its value is checked by the runner that resolves it.
        if (!is_one_reference(text)) {
            if (auto problem = rules.credentials(text)) return invalid("the credentials file must be " + *problem);
        }
    } else if (has_credentials) {
        return invalid("auth mode " + mode + " holds no credential material: give a credentials file only with inline");
    }
    return settings;
}

Result<Done> check_connection(const ConnectionRules& rules, const Connection& connection) {
    auto in_connection = [&](const Error& error) {
        return Error{error.kind, "connection " + connection.name + ": " + error.message};
    };
    if (auto checked = check_mode(connection.provider, rules, connection.auth_mode); !checked) {
        return in_connection(checked.error());
    }
    for (const auto& [key, value] : connection.settings.items()) {
        auto rule = rule_for(connection.provider, rules, key, connection.auth_mode);
        if (!rule) return in_connection(rule.error());
        if (!value.is_string()) return in_connection(invalid("setting " + key + " must be a string"));
        const std::string& text = value.get_ref<const std::string&>();
        if (auto problem = check_size(*rule.value(), key, text)) return in_connection(invalid(*problem));
        if (auto problem = rule.value()->check(text)) return in_connection(invalid("setting " + key + " must be " + *problem));
    }
    if (auto whole = check_whole(connection.provider, rules, connection.settings, connection.auth_mode); !whole) {
        return in_connection(whole.error());
    }
    bool inline_mode = connection.auth_mode == auth_mode::inline_credentials;
    if (inline_mode && connection.inline_credentials.empty()) {
        return in_connection(invalid("auth mode inline came without credentials"));
    }
    if (!inline_mode && !connection.inline_credentials.empty()) {
        return in_connection(invalid("auth mode " + connection.auth_mode + " came with credentials"));
    }
    if (inline_mode) {
        if (auto problem = rules.credentials(connection.inline_credentials.reveal())) {
            return in_connection(invalid("its inline credentials must be " + *problem));
        }
    }
    return Done{};
}

Result<Connection> parse_connection(std::string name, const Secret& json_text) {
    Connection config;
    config.name = std::move(name);
    auto wrong = [&config](std::string what) {
        return Error{ErrorKind::invalid_argument, "connection " + config.name + ": the server sent it with " + what};
    };
    // Settings are strings inside an object: two levels.
    auto parsed = parse_json(json_text.reveal(), 2);
    if (!parsed) return wrong("malformed JSON (" + parsed.error().message + ")");
    json& object = parsed.value();
    struct Wiped {
        json& value;
        ~Wiped() { wipe_json(value); }
    } wiped{object};
    if (!object.is_object()) return wrong("JSON that is not an object");
    for (auto& [key, value] : object.items()) {
        if (key == "provider" || key == "auth_mode") {
            if (!value.is_string() || value.get_ref<const std::string&>().empty()) return wrong(key + " not a string");
            (key == "provider" ? config.provider : config.auth_mode) = value.get<std::string>();
        } else if (key == "settings") {
            if (!value.is_object()) return wrong("settings not an object");
            for (const auto& [setting, text] : value.items()) {
                if (!text.is_string()) return wrong("setting " + setting.substr(0, 64) + " not a string");
            }
            config.settings = value;
        } else if (key == "credentials") {
            if (!value.is_string()) return wrong("credentials not a string");
            config.inline_credentials = Secret(value.get_ref<const std::string&>());
        } else {
            return wrong("an unknown member '" + key.substr(0, 64) + "'");
        }
    }
    if (config.provider.empty() || config.auth_mode.empty()) return wrong("no provider or auth_mode");
    return config;
}

std::string Connection::setting(std::string_view key) const {
    auto found = settings.find(key);
    if (found == settings.end() || !found->is_string()) return "";
    return found->get<std::string>();
}

std::optional<std::string> Connection::optional_setting(std::string_view key) const {
    std::string value = setting(key);
    if (value.empty()) return std::nullopt;
    return value;
}

}  // namespace tether::providers
