#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Layered configuration. A mode declares its settings once (key, kind,
// default, help); each key is then read, with later layers winning, from
//   defaults < TOML file < environment (TETHER_<KEY>) < command-line flags.
// "api.listen" is `[api] listen = …` in the file, TETHER_API_LISTEN in the
// environment and --api-listen on the command line; a list is
// `operations = ["a", "b"]` in the file and "a,b" in the other two. Every
// value passes the same validation whatever its layer, and errors name
// where it came from.
namespace tether::config {

enum class Kind {
    text,      // any non-empty string
    path,      // a file system path
    boolean,   // true/false (also 1/0, yes/no, on/off in env and flags)
    integer,   // a signed 64-bit integer
    duration,  // "30s", "1h30m" (see duration.h)
    address,   // host:port, [v6]:port; port 0 picks a free one
    url,       // http:// or https:// URL
    choice,    // one of Spec::choices
    list,      // strings: a TOML array, comma-separated in env and flags; "" is the empty list
};

struct Spec {
    std::string key;  // dotted, lower case: "api.listen", "log.level"
    Kind kind = Kind::text;
    std::string default_value;  // in text form; empty for "not set"
    std::string help;
    std::vector<std::string> choices;  // for Kind::choice
    bool secret = false;               // shown only through redact()
    char short_flag = 0;               // e.g. 'o' for -o, beside the long flag
    bool has_flag = true;              // false for secrets: never on argv, only env or file
};

enum class Origin { default_value, file, environment, flag };

struct Value {
    std::string text;
    Origin origin = Origin::default_value;
    std::string where;  // "server.toml:3", "TETHER_API_LISTEN", "--api-listen"
};

// Environment lookup; getenv by default, a map in tests.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment process_environment();

std::string env_name(std::string_view key);   // "api.listen" -> "TETHER_API_LISTEN"
std::string flag_name(std::string_view key);  // "api.listen" -> "api-listen"

// Why `text` is not a valid value of `spec`, or nothing if it is.
std::optional<std::string> check_value(const Spec& spec, std::string_view text);

class Settings {
public:
    explicit Settings(std::vector<Spec> specs);

    // The layers, to be applied in this order. Each throws Fatal with
    // ExitCode::config naming the file, line or variable at fault.
    void load_file(const std::filesystem::path& path);
    void load_toml(std::string_view text, std::string_view source_name);
    void load_environment(const Environment& env);
    void set_flag(std::string_view key, std::string_view text);

    const std::vector<Spec>& specs() const { return specs_; }
    const Value* find(std::string_view key) const;  // nullptr if not set anywhere
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // Typed reads of validated values; reading an undeclared key or the
    // wrong kind is a programming error and aborts.
    const std::string& text(std::string_view key) const;
    bool boolean(std::string_view key) const;
    std::int64_t integer(std::string_view key) const;
    std::chrono::milliseconds duration(std::string_view key) const;
    // A list always has a value: its default, else the empty list.
    std::vector<std::string> list(std::string_view key) const;

    // Every setting with its value and where it came from, for --print-config.
    std::string describe() const;

private:
    const Spec& spec(std::string_view key) const;
    void set(const Spec& spec, std::string_view text, Origin origin, std::string where);

    std::vector<Spec> specs_;
    std::map<std::string, Value, std::less<>> values_;
};

// The specs every mode shares: log.level and log.format.
std::vector<Spec> logging_specs();

// Applies log.level and log.format from settings to the process logger.
void apply_logging(const Settings& settings);

}  // namespace tether::config
