#include "tether/providers/aws/shared_config.h"

#include <charconv>

#include "tether/providers/shell_words.h"

namespace tether::providers::aws {
namespace {

constexpr std::int64_t shortest_session_seconds = 900;
constexpr std::int64_t longest_session_seconds = 43'200;

// "[profile name]": the second of exactly two shell words; anything else
// ("[profile a b]", an unclosed quote) is ignored, as botocore ignores it.
std::optional<std::string> second_word(std::string_view section_name) {
    auto words = split_shell_words(section_name);
    if (!words || words.value().size() != 2) return std::nullopt;
    return std::move(words.value()[1]);
}

bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// $NAME and ${NAME} replaced when NAME is set, left as they are when not
// (Python's os.path.expandvars, which botocore runs on the file paths).
std::string expand_variables(const std::string& path, const Environment& environment) {
    std::string out;
    for (std::size_t at = 0; at < path.size();) {
        std::size_t dollar = path.find('$', at);
        out += path.substr(at, dollar == std::string::npos ? std::string::npos : dollar - at);
        if (dollar == std::string::npos) break;
        std::size_t start = dollar + 1;
        std::size_t end = start;
        std::string name;
        if (start < path.size() && path[start] == '{') {
            end = path.find('}', start);
            if (end != std::string::npos) {
                name = path.substr(start + 1, end - start - 1);
                ++end;
            }
        } else {
            while (end < path.size() && is_word(path[end])) ++end;
            name = path.substr(start, end - start);
        }
        auto value = name.empty() ? std::nullopt : environment(name);
        if (value && end != std::string::npos) {
            out += *value;
            at = end;
        } else {
            out += '$';
            at = start;
        }
    }
    return out;
}

// Variables first, then a leading ~, as botocore expands the paths.
Result<std::filesystem::path> expand_home(const std::string& unexpanded, const Environment& environment) {
    std::string path = expand_variables(unexpanded, environment);
    if (path != "~" && path.rfind("~/", 0) != 0) return std::filesystem::path(path);
    auto home = environment_value(environment, "HOME");
    if (!home) {
        return Error{ErrorKind::failed_precondition, "cannot find " + path + ": HOME is not set"};
    }
    return std::filesystem::path(*home + path.substr(1));
}

}  // namespace

std::optional<std::string> environment_value(const Environment& environment, const std::string& key) {
    auto value = environment(key);
    if (value && value->empty()) return std::nullopt;
    return value;
}

Profile::Profile(std::string name, Section settings, std::optional<Section> services)
    : name_(std::move(name)), settings_(std::move(settings)), services_(std::move(services)) {}

const Setting* Profile::find(std::string_view key) const {
    auto found = settings_.find(key);
    return found == settings_.end() ? nullptr : &found->second;
}

std::optional<std::string> Profile::value(std::string_view key) const {
    const Setting* setting = find(key);
    if (setting == nullptr || setting->is_nested || setting->value.empty()) return std::nullopt;
    return setting->value;
}

std::string Profile::where(std::string_view key) const {
    const Setting* setting = find(key);
    return setting != nullptr ? setting->where : "profile " + name_;
}

Secret Profile::secret(std::string_view key) const {
    const Setting* setting = find(key);
    if (setting == nullptr || setting->is_nested) return Secret();
    return Secret(setting->value);
}

Secret Profile::session_token() const {
    Secret token = secret("aws_session_token");
    return token.empty() ? secret("aws_security_token") : std::move(token);
}

Result<std::optional<std::chrono::seconds>> Profile::duration_seconds() const {
    auto text = value("duration_seconds");
    if (!text) return std::optional<std::chrono::seconds>();
    std::int64_t seconds = 0;
    auto [end, failure] = std::from_chars(text->data(), text->data() + text->size(), seconds);
    if (failure != std::errc() || end != text->data() + text->size() || seconds < shortest_session_seconds ||
        seconds > longest_session_seconds) {
        return Error{ErrorKind::invalid_argument, where("duration_seconds") + ": duration_seconds '" + *text +
                                                      "' is not a whole number of seconds from 900 to 43200"};
    }
    return std::optional<std::chrono::seconds>(seconds);
}

Result<std::optional<std::string>> Profile::service_endpoint_url(std::string_view service_key) const {
    auto services_name = value("services");
    if (!services_name) return std::optional<std::string>();
    if (!services_) {
        return Error{ErrorKind::failed_precondition, where("services") + ": profile " + name_ +
                                                         " uses the services section '" + *services_name +
                                                         "', which does not exist"};
    }
    auto block = services_->find(service_key);
    if (block == services_->end() || !block->second.is_nested) return std::optional<std::string>();
    auto url = block->second.nested.find("endpoint_url");
    if (url == block->second.nested.end() || url->second.empty()) return std::optional<std::string>();
    return std::optional<std::string>(url->second);
}

Result<Profile> SharedConfig::profile(std::string_view name, bool required) const {
    auto found = profiles.find(name);
    if (found == profiles.end()) {
        if (!required && name == "default") return Profile("default", {}, std::nullopt);
        return Error{ErrorKind::not_found, "the AWS profile '" + std::string(name) + "' is in neither " +
                                               config_file.string() + " nor " + credentials_file.string()};
    }
    std::optional<Section> services_section;
    auto services_name = found->second.find("services");
    if (services_name != found->second.end() && !services_name->second.is_nested) {
        auto section = services.find(services_name->second.value);
        if (section != services.end()) services_section = section->second;
    }
    return Profile(std::string(name), found->second, std::move(services_section));
}

Result<SharedConfigPaths> shared_config_paths(const Environment& environment) {
    SharedConfigPaths paths;
    auto config = expand_home(environment_value(environment, "AWS_CONFIG_FILE").value_or("~/.aws/config"), environment);
    if (!config) return config.error();
    auto credentials = expand_home(
        environment_value(environment, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), environment);
    if (!credentials) return credentials.error();
    return SharedConfigPaths{std::move(config).value(), std::move(credentials).value()};
}

std::string profile_name(const Environment& environment, const std::optional<std::string>& explicit_name) {
    if (explicit_name && !explicit_name->empty()) return *explicit_name;
    for (const char* variable : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
        if (auto name = environment_value(environment, variable)) return *name;
    }
    return "default";
}

SharedConfig merge_shared_config(const IniFile& config_file, const IniFile& credentials_file) {
    SharedConfig merged;
    // Later sections replace earlier ones of the same name ("[default]" and
    // "[profile default]"), as botocore's dict updates do.
    for (const IniSection& section : config_file.sections) {
        const std::string& name = section.name;
        if (name.rfind("profile", 0) == 0) {
            if (auto profile = second_word(name)) merged.profiles[*profile] = section.settings;
        } else if (name.rfind("sso-session", 0) == 0) {
            if (auto session = second_word(name)) merged.sso_sessions[*session] = section.settings;
        } else if (name.rfind("services", 0) == 0) {
            if (auto services = second_word(name)) merged.services[*services] = section.settings;
        } else if (name == "default") {
            merged.profiles[name] = section.settings;
        }
    }
    for (const IniSection& section : credentials_file.sections) {
        Section& profile = merged.profiles[section.name];
        for (const auto& [key, setting] : section.settings) profile[key] = setting;
    }
    return merged;
}

Result<SharedConfig> load_shared_config(const Environment& environment) {
    auto paths = shared_config_paths(environment);
    if (!paths) return paths.error();
    auto config = read_ini_file(paths.value().config_file);
    if (!config) return config.error();
    auto credentials = read_ini_file(paths.value().credentials_file);
    if (!credentials) return credentials.error();
    SharedConfig merged = merge_shared_config(config.value(), credentials.value());
    merged.config_file = paths.value().config_file;
    merged.credentials_file = paths.value().credentials_file;
    return merged;
}

Result<Profile> load_profile(const Environment& environment, const std::optional<std::string>& explicit_name) {
    auto shared = load_shared_config(environment);
    if (!shared) return shared.error();
    std::string name = profile_name(environment, explicit_name);
    bool chosen = (explicit_name && !explicit_name->empty()) || environment_value(environment, "AWS_PROFILE") ||
                  environment_value(environment, "AWS_DEFAULT_PROFILE");
    return shared.value().profile(name, chosen);
}

}  // namespace tether::providers::aws
