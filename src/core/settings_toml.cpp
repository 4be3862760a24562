// The TOML layer of Settings, apart because toml++ is a heavy header.
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#define TOML_MAX_NESTED_VALUES 64  // as max_nesting below
// toml++ 3.3.0 (Debian 12) states parser preconditions with
// TOML_ASSERT_ASSUME, and some malformed inputs break them (a table header
// such as "[}", found by tests/fuzz/settings_toml_fuzz; fixed upstream in
// marzer/tomlplusplus#301). That is an abort in debug builds and, with
// __builtin_assume, undefined behaviour in optimised clang builds. The
// parser reports those inputs as parse errors by itself right after, so the
// macro is made a no-op: included first (it is #pragma once), then redefined.
#include <toml++/impl/preprocessor.h>
#undef TOML_ASSERT_ASSUME
#define TOML_ASSERT_ASSUME(expr) static_assert(true)
#include <toml++/toml.h>

#include "tether/core/error.h"
#include "tether/core/settings.h"

namespace tether::config {
namespace {

constexpr std::uintmax_t max_file_bytes = 1 << 20;

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggestion(const std::vector<Spec>& specs, std::string_view key) {
    const Spec* best = nullptr;
    std::size_t best_distance = 3;  // farther than this is no help
    for (const Spec& s : specs) {
        std::size_t d = edit_distance(s.key, key);
        if (d < best_distance) {
            best = &s;
            best_distance = d;
        }
    }
    return best == nullptr ? "" : " (did you mean '" + best->key + "'?)";
}

// Arrays and inline tables inside one another; toml++ counts them.
constexpr std::size_t max_nesting = 64;

struct Refusal {
    std::size_t line;
    std::string problem;
};

// What toml++ must not see, found outside strings and comments:
// - a byte >= 0x80. TOML allows non-ASCII only inside those, and toml++
//   3.3.0 reaches __builtin_unreachable() (undefined behaviour, found by
//   the fuzz target) when it meets some non-ASCII code points where
//   whitespace may stand;
// - more than max_nesting dots on one line. Keys (and so table headers
//   and dotted keys) never span lines, so this bounds how deep tables
//   nest, which toml++ does not: its tables free themselves recursively.
//   No tether setting holds floats, the other place a dot appears.
std::optional<Refusal> refused_outside_strings(std::string_view text) {
    std::size_t line = 1;
    std::size_t dots = 0;
    std::size_t i = 0;
    auto at = [&](std::string_view token) { return text.compare(i, token.size(), token) == 0; };
    // Skips to just past `close`; basic strings honour backslash escapes and
    // single-line ones end at a newline (toml++ then reports the error).
    auto skip_string = [&](std::string_view close, bool escapes, bool multiline) {
        i += close.size();
        while (i < text.size() && !at(close)) {
            if (text[i] == '\n') {
                if (!multiline) return;
                ++line;
            }
            i += escapes && text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n' ? 2 : 1;
        }
        i += close.size();
    };
    while (i < text.size()) {
        char c = text[i];
        if (c == '\n') {
            ++line;
            dots = 0;
            ++i;
        } else if (c == '.' && ++dots > max_nesting) {
            return Refusal{line, "more than " + std::to_string(max_nesting) + " dots in one line's keys"};
        } else if (c == '#') {
            while (i < text.size() && text[i] != '\n') ++i;
        } else if (at("\"\"\"")) {
            skip_string("\"\"\"", true, true);
        } else if (at("'''")) {
            skip_string("'''", false, true);
        } else if (c == '"') {
            skip_string("\"", true, false);
        } else if (c == '\'') {
            skip_string("'", false, false);
        } else if (static_cast<unsigned char>(c) >= 0x80) {
            return Refusal{line, "non-ASCII character outside a string or comment"};
        } else {
            ++i;
        }
    }
    return std::nullopt;
}

std::string position(std::string_view source, const toml::source_region& where) {
    return std::string(source) + ":" + std::to_string(where.begin.line);
}

// A TOML array of strings in the comma-separated form the other layers use.
// A comma inside an item could not be told from a separator, so it is refused.
std::string list_text(const toml::node& node, const std::string& key, const std::string& where,
                      std::string_view source_name) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
        fail(ExitCode::config, where + ": " + key + " must be a list of strings, such as [\"a\", \"b\"]");
    }
    std::string text;
    bool first = true;
    for (const toml::node& item : *array) {
        std::string item_where = position(source_name, item.source());
        if (!item.is_string()) fail(ExitCode::config, item_where + ": each item of " + key + " must be a string");
        std::string value = *item.value<std::string>();
        if (value.find_first_not_of(" \t") == std::string::npos) {
            fail(ExitCode::config, item_where + ": an item of " + key + " is empty");
        }
        if (value.find(',') != std::string::npos) {
            fail(ExitCode::config, item_where + ": an item of " + key + " must not contain a comma");
        }
        text += (first ? "" : ",") + value;
        first = false;
    }
    return text;
}

}  // namespace

void Settings::load_file(const std::filesystem::path& path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) fail(ExitCode::config, "cannot read config file " + path.string() + ": " + ec.message());
    if (size > max_file_bytes) fail(ExitCode::config, "config file " + path.string() + " is larger than 1 MiB");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) fail(ExitCode::config, "cannot read config file " + path.string());
    load_toml(text.str(), path.string());
}

void Settings::load_toml(std::string_view text, std::string_view source_name) {
    if (auto refusal = refused_outside_strings(text)) {
        fail(ExitCode::config, std::string(source_name) + ":" + std::to_string(refusal->line) + ": " + refusal->problem);
    }
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        fail(ExitCode::config, position(source_name, e.source()) + ": " + std::string(e.description()));
    }

    // Walk nested tables, turning [api] listen = … into "api.listen".
    std::function<void(const toml::table&, const std::string&, std::size_t)> visit =
        [&](const toml::table& table, const std::string& prefix, std::size_t depth) {
        for (const auto& [name, node] : table) {
            std::string key = prefix + std::string(name.str());
            std::string where = position(source_name, node.source());
            if (const toml::table* child = node.as_table()) {
                // No setting is nested this deep; stop before recursing further.
                if (depth == max_nesting) fail(ExitCode::config, where + ": unknown setting '" + key.substr(0, 200) + "…'");
                visit(*child, key + ".", depth + 1);
                continue;
            }
            const Spec* match = nullptr;
            for (const Spec& s : specs_) {
                if (s.key == key) match = &s;
            }
            if (match == nullptr) fail(ExitCode::config, where + ": unknown setting '" + key + "'" + suggestion(specs_, key));
            std::string value;
            if (match->kind == Kind::list) {
                value = list_text(node, key, where, source_name);
            } else if (node.is_string()) {
                value = *node.value<std::string>();
            } else if (node.is_integer()) {
                value = std::to_string(*node.value<std::int64_t>());
            } else if (node.is_boolean()) {
                value = *node.value<bool>() ? "true" : "false";
            } else {
                fail(ExitCode::config, where + ": " + key + " must be a string, a whole number or true/false");
            }
            set(*match, value, Origin::file, where);
        }
    };
    visit(root, "", 1);
}

}  // namespace tether::config
