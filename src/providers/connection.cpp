#include "tether/providers/connection.h"

#include "tether/core/references.h"
#include "tether/core/text.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include "tether/core/duration.h"
#include "tether/core/endpoint.h"
#include "tether/core/json.h"
#include "tether/pki/certificate.h"
#include "tether/providers/kubernetes/kubeconfig.h"

namespace tether::providers {
namespace {

using nlohmann::json;
using Check = std::function<std::optional<std::string>(std::string_view value)>;  // why it is wrong, if it is

constexpr std::size_t longest_setting = 4096;

bool all_of(std::string_view text, std::string_view extra) {
    return std::all_of(text.begin(), text.end(), [extra](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               extra.find(c) != std::string_view::npos;
    });
}

Check characters(std::size_t shortest, std::size_t longest, std::string_view extra, std::string what) {
    return [=](std::string_view value) -> std::optional<std::string> {
        if (value.size() < shortest || value.size() > longest || !all_of(value, extra)) return what;
        return std::nullopt;
    };
}

std::optional<std::string> aws_region(std::string_view value) {
    bool shaped = value.size() >= 4 && value.size() <= 32 && all_of(value, "-") && value.front() != '-' &&
                  value.back() != '-' && std::none_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!shaped) return "a region such as eu-west-1";
    return std::nullopt;
}

// arn:<partition>:iam::<12 digits>:role/<path and name>
std::optional<std::string> aws_role_arn(std::string_view value) {
    constexpr std::string_view what = "an IAM role ARN such as arn:aws:iam::123456789012:role/Deploy";
    if (!value.starts_with("arn:aws")) return std::string(what);
    std::size_t iam = value.find(":iam::");
    if (iam == std::string_view::npos || !all_of(value.substr(4, iam - 4), "-")) return std::string(what);
    std::string_view rest = value.substr(iam + 6);
    if (rest.size() < 18 || !std::all_of(rest.begin(), rest.begin() + 12, [](char c) { return c >= '0' && c <= '9'; }) ||
        rest.substr(12, 6) != ":role/") {
        return std::string(what);
    }
    std::string_view name = rest.substr(18);
    if (name.empty() || name.size() > 512 || !all_of(name, "_+=,.@/-")) return std::string(what);
    return std::nullopt;
}

std::optional<std::string> session_duration(std::string_view value) {
    std::int64_t seconds = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc{} || end != value.data() + value.size()) {
        auto parsed = parse_duration(value);
        seconds = parsed ? std::chrono::duration_cast<std::chrono::seconds>(*parsed).count() : -1;
    }
    if (seconds < 900 || seconds > 43200) return "from 900 to 43200 seconds (15m to 12h), as AWS STS accepts";
    return std::nullopt;
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

// A Kubernetes namespace: an RFC 1123 label.
std::optional<std::string> dns_label(std::string_view value) {
    bool valid = !value.empty() && value.size() <= 63 && value.front() != '-' && value.back() != '-' &&
                 std::all_of(value.begin(), value.end(),
                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
    if (!valid) return "a DNS label: a-z, 0-9 and '-', up to 63 characters";
    return std::nullopt;
}

struct Setting {
    std::string_view key;
    std::vector<std::string_view> modes;  // where it applies
    Check check;
    bool required = false;                // in each of `modes`
};

// Inline credentials: why they are not of the provider's form, if they are not.
using CredentialsCheck = std::function<std::optional<std::string>(std::string_view text)>;

struct ProviderRules {
    std::string name;
    std::vector<std::string_view> modes;
    std::vector<Setting> settings;  // empty with open_settings: any key
    bool open_settings = false;     // exec: the plugin defines its settings
    CredentialsCheck credentials;
};

// {"access_key_id": "...", "secret_access_key": "...", "session_token": "..."}
std::optional<std::string> aws_credentials(std::string_view text) {
    auto answer = parse_json(text);
    json parsed = answer ? std::move(answer).value() : json();
    std::optional<std::string> problem;
    if (!parsed.is_object()) {
        problem = "a JSON object with access_key_id and secret_access_key (and optionally session_token)";
    } else {
        for (const auto& [key, value] : parsed.items()) {
            if (key != "access_key_id" && key != "secret_access_key" && key != "session_token") {
                problem = "unknown key '" + key.substr(0, 40) + "' (expected access_key_id, secret_access_key, session_token)";
            } else if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
                problem = key + " must be a non-empty string";
            }
            if (problem) break;
        }
        if (!problem && (!parsed.contains("access_key_id") || !parsed.contains("secret_access_key"))) {
            problem = "access_key_id and secret_access_key are required";
        }
        // A reference (${secret:aws-key-id}) is checked once the runner has resolved it.
        if (!problem && !references::mentions_reference(parsed["access_key_id"].get_ref<const std::string&>()) &&
            !all_of(parsed["access_key_id"].get_ref<const std::string&>(), "")) {
            problem = "access_key_id must be letters and digits";
        }
    }
    wipe_json(parsed);
    return problem;
}

// A kubeconfig (YAML or JSON), read by the same parser as the runner's,
// that names at least one cluster, user and context. The runner resolves
// the context; here only what can be checked without its files is.
std::optional<std::string> kubeconfig(std::string_view text) {
    auto parsed = kubernetes::parse_kubeconfig(text, "kubeconfig", std::nullopt);
    if (!parsed) return "a kubeconfig: " + parsed.error().message;
    const auto& config = parsed.value();
    if (config.clusters.empty()) return "a kubeconfig: it has no clusters";
    if (config.users.empty()) return "a kubeconfig: it has no users";
    if (config.contexts.empty()) return "a kubeconfig: it has no contexts";
    return std::nullopt;
}

const std::vector<ProviderRules>& all_rules() {
    using namespace auth_mode;
    static const std::vector<ProviderRules> rules = {
        {"aws",
         {inline_credentials, runner_delegated, cross_account},
         {
             {"region", {inline_credentials, runner_delegated, cross_account}, aws_region},
             {"endpoint_url", {inline_credentials, runner_delegated, cross_account}, http_url},
             {"profile", {runner_delegated, cross_account}, characters(1, 64, "_.-", "a profile name: letters, digits, '_', '.', '-'")},
             {"role_arn", {cross_account}, aws_role_arn, true},
             {"external_id", {cross_account}, characters(2, 1224, "_+=,.@:/-", "2 to 1224 of A-Z a-z 0-9 _+=,.@:/-")},
             {"session_name", {cross_account}, characters(2, 64, "_+=,.@-", "2 to 64 of A-Z a-z 0-9 _+=,.@-")},
             {"duration", {cross_account}, session_duration},
         },
         false,
         aws_credentials},
        {"kubernetes",
         {inline_credentials, runner_delegated},
         {
             {"namespace", {inline_credentials, runner_delegated}, dns_label},
             {"context", {inline_credentials, runner_delegated}, characters(1, 253, "_.:@/-", "a kubeconfig context name")},
             {"server", {inline_credentials, runner_delegated}, https_url},
             {"certificate_authority", {inline_credentials, runner_delegated}, pem_certificates},
         },
         false,
         kubeconfig},
        {"exec", {runner_delegated}, {}, true, nullptr},
    };
    return rules;
}

std::string joined(const std::vector<std::string_view>& items) {
    std::string out;
    for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
    return out;
}

bool contains(const std::vector<std::string_view>& items, std::string_view item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

std::optional<std::string> check_value(std::string_view key, std::string_view value) {
    std::size_t longest = key == "certificate_authority" ? 64 * 1024 : longest_setting;
    if (value.empty() || value.size() > longest) {
        return "setting " + std::string(key) + " must be 1 to " + std::to_string(longest) + " bytes";
    }
    bool control = std::any_of(value.begin(), value.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\n') || u == 0x7f;
    });
    if (control) return "setting " + std::string(key) + " holds control characters";
    return std::nullopt;
}

// Whether `text` (around white space) is a single reference and nothing else.
bool is_one_reference(std::string_view file) {
    auto pieces = references::split(text::trim(file));
    return pieces && pieces.value().size() == 1 && pieces.value()[0].literal.empty() && pieces.value()[0].reference;
}

}  // namespace

const std::vector<std::string>& provider_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& rules : all_rules()) out.push_back(rules.name);
        return out;
    }();
    return names;
}

Result<json> check_definition(const ConnectionDefinition& definition) {
    auto invalid = [](std::string message) { return Error{ErrorKind::invalid_argument, std::move(message)}; };
    const auto& rules = all_rules();
    auto provider = std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.name == definition.provider; });
    if (provider == rules.end()) {
        std::string names;
        for (const auto& name : provider_names()) names += (names.empty() ? "" : ", ") + name;
        return invalid("unknown provider '" + definition.provider.substr(0, 40) + "' (this tether has " + names + ")");
    }
    const std::string& mode = definition.auth_mode;
    if (mode != auth_mode::inline_credentials && mode != auth_mode::runner_delegated && mode != auth_mode::cross_account) {
        return invalid("unknown auth mode '" + mode.substr(0, 40) + "' (inline, runner-delegated or cross-account)");
    }
    if (!contains(provider->modes, mode)) {
        return invalid("provider " + provider->name + " has no auth mode " + mode + " (it has " + joined(provider->modes) + ")");
    }

    json settings = json::object();
    for (const auto& [key, value] : definition.settings) {
        if (settings.contains(key)) return invalid("setting " + key.substr(0, 64) + " is given twice");
        const Setting* known = nullptr;
        if (provider->open_settings) {
            bool named = !key.empty() && key.size() <= 64 && key.front() >= 'a' && key.front() <= 'z' &&
                         all_of(key, "_") && std::none_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
            if (!named) return invalid("setting name '" + key.substr(0, 64) + "' must be a-z, 0-9 and '_', starting with a letter");
        } else {
            auto setting = std::find_if(provider->settings.begin(), provider->settings.end(),
                                        [&name = key](const Setting& s) { return s.key == name; });
            if (setting == provider->settings.end()) {
                std::vector<std::string_view> names;
                for (const auto& s : provider->settings) names.push_back(s.key);
                return invalid("provider " + provider->name + " has no setting '" + key.substr(0, 64) + "' (it has " +
                               joined(names) + ")");
            }
            if (!contains(setting->modes, mode)) {
                return invalid("setting " + key + " does not apply to auth mode " + mode + " (only to " +
                               joined(setting->modes) + ")");
            }
            known = &*setting;
        }
        if (auto problem = check_value(key, value)) return invalid(*problem);
        // A value that holds a reference is well-formed once the runner has
        // resolved it; here only the references are checked.
        if (references::mentions_reference(value)) {
            if (auto split = references::split(value); !split) {
                return invalid("setting " + key + ": " + split.error().message);
            }
        } else if (known != nullptr) {
            if (auto problem = known->check(value)) return invalid("setting " + key + " must be " + *problem);
        }
        settings[key] = value;
    }
    for (const auto& setting : provider->settings) {
        if (setting.required && contains(setting.modes, mode) && !settings.contains(std::string(setting.key))) {
            return invalid("auth mode " + mode + " of provider " + provider->name + " needs setting " +
                           std::string(setting.key));
        }
    }

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
            if (auto problem = provider->credentials(text)) return invalid("the credentials file must be " + *problem);
        }
    } else if (has_credentials) {
        return invalid("auth mode " + mode + " holds no credential material: give a credentials file only with inline");
    }
    return settings;
}

Result<ConnectionConfig> parse_connection(std::string name, const Secret& json_text) {
    ConnectionConfig config;
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
            config.settings = std::move(value);
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

std::string ConnectionConfig::setting(std::string_view key) const {
    auto found = settings.find(key);
    if (found == settings.end() || !found->is_string()) return "";
    return found->get<std::string>();
}

std::optional<std::string> ConnectionConfig::optional_setting(std::string_view key) const {
    std::string value = setting(key);
    if (value.empty()) return std::nullopt;
    return value;
}

}  // namespace tether::providers
