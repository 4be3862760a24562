#include "tether/core/log.h"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

#include "tether/core/redact.h"

namespace tether::log {
namespace {

std::atomic<Level> current_level{Level::info};
std::atomic<Format> current_format{Format::text};
std::mutex sink_mutex;
Sink current_sink;

void write_stderr(std::string_view line) {
    while (!line.empty()) {
        ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere left to report to
        line.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Length of the valid UTF-8 sequence at text[i], or 0 if it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    std::size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return 0;
    std::uint32_t cp = len == 1 ? lead : len == 2 ? (lead & 0x1F) : len == 3 ? (lead & 0x0F) : (lead & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void append_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

template <typename Integer>
void append_number(std::string& out, Integer value) {
    char buffer[24];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

// Text values are bare when they are one plain word, else JSON-quoted so
// that a newline or a quote in a value cannot forge a second log line.
bool needs_quotes(std::string_view text) {
    if (text.empty()) return true;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F || c == '"' || c == '=' || c == '\\' || u >= 0x80) return true;
    }
    return false;
}

void append_text_value(std::string& out, std::string_view text) {
    if (needs_quotes(text)) {
        append_json_string(out, text);
    } else {
        out += text;
    }
}

void append_value(std::string& out, const Field::Value& value, Format format) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                std::string clean = scrub_secrets(v);
                format == Format::json ? append_json_string(out, clean) : append_text_value(out, clean);
            } else if constexpr (std::is_same_v<T, const Secret*>) {
                std::string shown = redact(v->reveal());
                format == Format::json ? append_json_string(out, shown) : append_text_value(out, shown);
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "true" : "false";
            } else {
                append_number(out, v);
            }
        },
        value);
}

// A message in text format: control characters escaped, never a raw newline.
void append_text_message(std::string& out, std::string_view message) {
    std::string quoted;
    append_json_string(quoted, message);
    out.append(quoted, 1, quoted.size() - 2);
}

}  // namespace

const char* to_string(Level level) {
    switch (level) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
    }
    return "info";
}

std::optional<Level> parse_level(std::string_view name) {
    for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
        if (name == to_string(l)) return l;
    }
    return std::nullopt;
}

std::string format_timestamp(std::chrono::system_clock::time_point at) {
    using namespace std::chrono;
    // floor, not duration_cast: a time before 1970 still gets 0-999 milliseconds.
    auto whole_seconds = floor<seconds>(at);
    auto millis = duration_cast<milliseconds>(at - whole_seconds).count();
    std::time_t since_epoch = system_clock::to_time_t(time_point_cast<system_clock::duration>(whole_seconds));
    std::tm utc{};
    gmtime_r(&since_epoch, &utc);
    char buffer[32];
    std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string out(buffer, n);
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(millis));
    return out + ms;
}

void set_level(Level level) { current_level = level; }
void set_format(Format format) { current_format = format; }
Level level() { return current_level; }

void set_sink(Sink sink) {
    std::lock_guard lock(sink_mutex);
    current_sink = std::move(sink);
}

Format auto_format() { return ::isatty(STDERR_FILENO) ? Format::text : Format::json; }

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            std::size_t len = utf8_sequence(text, i);
            if (len == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD
                ++i;
            } else {
                out.append(text.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

std::string format_line(Format format, std::string_view timestamp, Level level, std::string_view component,
                        std::string_view message, Fields fields) {
    std::string clean_message = scrub_secrets(message);
    std::string out;
    out.reserve(128);
    if (format == Format::json) {
        out += "{\"time\":\"";
        out += timestamp;
        out += "\",\"level\":\"";
        out += to_string(level);
        out += "\",\"component\":";
        append_json_string(out, component);
        out += ",\"msg\":";
        append_json_string(out, clean_message);
        for (const Field& field : fields) {
            out += ',';
            append_json_string(out, field.key());
            out += ':';
            append_value(out, field.value(), format);
        }
        out += "}\n";
        return out;
    }
    out += timestamp;
    out += ' ';
    std::string level_name = to_string(level);
    for (char& c : level_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out += level_name;
    out.append(6 - level_name.size(), ' ');
    out += '[';
    append_text_message(out, component);
    out += "] ";
    append_text_message(out, clean_message);
    for (const Field& field : fields) {
        out += ' ';
        append_text_message(out, field.key());
        out += '=';
        append_value(out, field.value(), format);
    }
    out += '\n';
    return out;
}

void Logger::write(Level level, std::string_view message, Fields fields) const {
    if (level < current_level.load()) return;
    std::string timestamp = format_timestamp(std::chrono::system_clock::now());
    std::string line = format_line(current_format.load(), timestamp, level, component_, message, fields);
    std::lock_guard lock(sink_mutex);
    if (current_sink) {
        current_sink(line);
    } else {
        write_stderr(line);
    }
}

}  // namespace tether::log
