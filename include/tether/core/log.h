#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "tether/core/secret.h"

// One small logger: levels, a component per logger, structured fields, and
// two formats (human text on a terminal, JSON lines for machines). Every
// message and string field goes through scrub_secrets(); a Secret field is
// printed only as redact(secret).
namespace tether::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };

const char* to_string(Level level);
std::optional<Level> parse_level(std::string_view name);

class Field {
public:
    using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool, const Secret*>;

    Field(std::string_view key, std::string_view value) : key_(key), value_(value) {}
    Field(std::string_view key, const char* value) : key_(key), value_(std::string_view(value)) {}
    Field(std::string_view key, const std::string& value) : key_(key), value_(std::string_view(value)) {}
    Field(std::string_view key, int value) : key_(key), value_(std::int64_t{value}) {}
    Field(std::string_view key, long value) : key_(key), value_(std::int64_t{value}) {}
    Field(std::string_view key, long long value) : key_(key), value_(std::int64_t{value}) {}
    Field(std::string_view key, unsigned value) : key_(key), value_(std::uint64_t{value}) {}
    Field(std::string_view key, unsigned long value) : key_(key), value_(std::uint64_t{value}) {}
    Field(std::string_view key, unsigned long long value) : key_(key), value_(std::uint64_t{value}) {}
    Field(std::string_view key, double value) : key_(key), value_(value) {}
    Field(std::string_view key, bool value) : key_(key), value_(value) {}
    Field(std::string_view key, const Secret& value) : key_(key), value_(&value) {}

    std::string_view key() const { return key_; }
    const Value& value() const { return value_; }

private:
    std::string_view key_;
    Value value_;
};

using Fields = std::initializer_list<Field>;

// Where finished lines go: one call per line, newline included.
using Sink = std::function<void(std::string_view line)>;

// Process-wide settings, set once at start-up (and by tests).
void set_level(Level level);
void set_format(Format format);
void set_sink(Sink sink);  // an empty sink restores the default: stderr
Level level();
// The format for stderr when the user asked for "auto".
Format auto_format();

// Formats one line; exposed for tests and the fuzz target.
std::string format_line(Format format, std::string_view timestamp, Level level, std::string_view component,
                        std::string_view message, Fields fields);

// RFC 3339 in UTC with milliseconds, as log lines carry it:
// "2025-01-02T03:04:05.678Z". Shared by other records, such as audit trails.
std::string format_timestamp(std::chrono::system_clock::time_point at);

// Escapes text for a JSON string; invalid UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view text);

class Logger {
public:
    explicit Logger(std::string component) : component_(std::move(component)) {}

    void debug(std::string_view message, Fields fields = {}) const { write(Level::debug, message, fields); }
    void info(std::string_view message, Fields fields = {}) const { write(Level::info, message, fields); }
    void warn(std::string_view message, Fields fields = {}) const { write(Level::warn, message, fields); }
    void error(std::string_view message, Fields fields = {}) const { write(Level::error, message, fields); }

    void write(Level level, std::string_view message, Fields fields) const;

private:
    std::string component_;
};

}  // namespace tether::log
