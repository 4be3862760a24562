#include "tether/core/settings.h"

#include <cstdlib>
#include <cassert>
#include <charconv>

#include "tether/core/duration.h"
#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/log.h"
#include "tether/core/redact.h"

namespace tether::config {
namespace {

const char* origin_name(Origin origin) {
    switch (origin) {
        case Origin::default_value: return "default";
        case Origin::file: return "file";
        case Origin::environment: return "env";
        case Origin::flag: return "flag";
    }
    return "default";
}

std::optional<bool> parse_boolean(std::string_view text) {
    for (std::string_view yes : {"true", "1", "yes", "on"}) {
        if (text == yes) return true;
    }
    for (std::string_view no : {"false", "0", "no", "off"}) {
        if (text == no) return false;
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// "a, b" -> {"a", "b"}; blank text is the empty list (how the environment
// says []). Items keep their inner spaces; an empty item stays, for
// check_value to refuse.
std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    if (trim(text).empty()) return items;
    while (true) {
        std::size_t comma = text.find(',');
        items.emplace_back(trim(text.substr(0, comma)));
        if (comma == std::string_view::npos) return items;
        text.remove_prefix(comma + 1);
    }
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

// As in the TOML file: ["a", "b"].
std::string show_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& item : items) {
        if (out.size() > 1) out += ", ";
        log::append_json_string(out, item);
    }
    return out + "]";
}

std::string describe_origin(const Value& value) {
    return value.origin == Origin::default_value ? "default" : std::string(origin_name(value.origin)) + " " + value.where;
}

}  // namespace

Environment process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

std::string env_name(std::string_view key) {
    std::string out = "TETHER_";
    for (char c : key) out += c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string flag_name(std::string_view key) {
    std::string out;
    for (char c : key) out += c == '.' || c == '_' ? '-' : c;
    return out;
}

std::optional<std::string> check_value(const Spec& spec, std::string_view text) {
    switch (spec.kind) {
        case Kind::text:
        case Kind::path:
            if (text.empty()) return "must not be empty";
            if (text.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
            return std::nullopt;
        case Kind::boolean:
            if (!parse_boolean(text)) return "expected true or false";
            return std::nullopt;
        case Kind::integer:
            if (!parse_integer(text)) return "expected a whole number";
            return std::nullopt;
        case Kind::duration: {
            // Every duration setting is a timeout, a wait or a lifetime: zero
            // would mean "fail at once" or "issue nothing", never a choice.
            auto parsed = parse_duration(text);
            if (!parsed) return "expected a duration such as 30s, 5m or 1h30m";
            if (parsed->count() <= 0) return "expected a duration greater than zero, such as 30s";
            return std::nullopt;
        }
        case Kind::address: {
            auto parsed = parse_host_port(text);
            if (!parsed) return parsed.error().message;
            return std::nullopt;
        }
        case Kind::url: {
            auto parsed = parse_url(text);
            if (!parsed) return parsed.error().message;
            return std::nullopt;
        }
        case Kind::choice:
            for (const auto& choice : spec.choices) {
                if (text == choice) return std::nullopt;
            }
            return "expected one of: " + join(spec.choices);
        case Kind::list:
            if (text.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
            for (const auto& item : split_list(text)) {
                if (item.empty()) return "has an empty item (two commas in a row, or a comma at an end)";
            }
            return std::nullopt;
    }
    return "unknown kind";
}

Settings::Settings(std::vector<Spec> specs) : specs_(std::move(specs)) {
    for (const Spec& s : specs_) {
        assert(!s.default_value.empty() ? !check_value(s, s.default_value).has_value() : true);
        // A list always has a value: without a default, the empty list.
        if (!s.default_value.empty() || s.kind == Kind::list) {
            values_[s.key] = Value{s.default_value, Origin::default_value, ""};
        }
    }
}

const Spec& Settings::spec(std::string_view key) const {
    for (const Spec& s : specs_) {
        if (s.key == key) return s;
    }
    assert(false && "setting not declared");
    std::abort();
}

void Settings::set(const Spec& spec, std::string_view text, Origin origin, std::string where) {
    if (auto problem = check_value(spec, text)) {
        std::string shown = spec.secret ? redact(text) : std::string(text);
        // A bad flag is a typo on the command line; anything else is configuration.
        fail(origin == Origin::flag ? ExitCode::usage : ExitCode::config, "invalid " + spec.key + " '" + shown + "' (from " + where + "): " + *problem);
    }
    std::string normalized(text);
    if (spec.kind == Kind::boolean) normalized = *parse_boolean(text) ? "true" : "false";
    if (spec.kind == Kind::list) normalized = join_list(split_list(text));
    values_[spec.key] = Value{std::move(normalized), origin, std::move(where)};
}

void Settings::load_environment(const Environment& env) {
    for (const Spec& s : specs_) {
        std::string name = env_name(s.key);
        if (auto value = env(name)) set(s, *value, Origin::environment, name);
    }
}

void Settings::set_flag(std::string_view key, std::string_view text) {
    set(spec(key), text, Origin::flag, "--" + flag_name(key));
}

const Value* Settings::find(std::string_view key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
}

const std::string& Settings::text(std::string_view key) const {
    spec(key);
    const Value* value = find(key);
    assert(value != nullptr && "read of an unset setting: check has() first");
    return value->text;
}

bool Settings::boolean(std::string_view key) const {
    assert(spec(key).kind == Kind::boolean);
    return *parse_boolean(text(key));
}

std::int64_t Settings::integer(std::string_view key) const {
    assert(spec(key).kind == Kind::integer);
    return *parse_integer(text(key));
}

std::chrono::milliseconds Settings::duration(std::string_view key) const {
    assert(spec(key).kind == Kind::duration);
    return *parse_duration(text(key));
}

std::vector<std::string> Settings::list(std::string_view key) const {
    assert(spec(key).kind == Kind::list);
    return split_list(text(key));
}

std::string Settings::describe() const {
    std::string out;
    for (const Spec& s : specs_) {
        const Value* value = find(s.key);
        out += s.key + " = ";
        if (value == nullptr) {
            out += "(not set)";
        } else if (s.secret) {
            out += redact(value->text);
        } else {
            out += s.kind == Kind::list ? show_list(split_list(value->text)) : value->text;
        }
        if (value != nullptr) out += "  # " + describe_origin(*value);
        out += '\n';
    }
    return out;
}

std::vector<Spec> logging_specs() {
    return {
        {"log.level", Kind::choice, "info", "least severe level written", {"debug", "info", "warn", "error"}},
        {"log.format", Kind::choice, "auto", "text for people, json lines for machines; auto picks text on a terminal",
         {"auto", "text", "json"}},
    };
}

void apply_logging(const Settings& settings) {
    log::set_level(*log::parse_level(settings.text("log.level")));
    const std::string& format = settings.text("log.format");
    log::set_format(format == "json" ? log::Format::json
                    : format == "text" ? log::Format::text
                                       : log::auto_format());
}

}  // namespace tether::config
