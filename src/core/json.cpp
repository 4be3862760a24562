#include "tether/core/json.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tether/core/text.h"

namespace tether {
namespace {

using json = nlohmann::json;

// "byte 12: …", or "line 3, byte 40: …" when the text has lines before it.
Error json_error(std::string_view text, std::size_t offset, std::string_view problem) {
    auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size())), '\n');
    std::string where = line > 1 ? "line " + std::to_string(line) + ", byte " : "byte ";
    return {ErrorKind::invalid_argument, where + std::to_string(offset) + ": " + std::string(problem)};
}

// The offset of the first bracket that opens level max_depth + 1, found by
// one pass over the bytes (strings skipped) before anything is built.
std::optional<std::size_t> too_deep_at(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

// nlohmann's message without its prefix ("[json.exception.parse_error.101]
// parse error at line 1, column 9: syntax error while parsing object - ")
// and without the "; last read: '…'" that quotes the input.
std::string describe(const json::exception& error) {
    std::string message = error.what();
    if (auto colon = message.find(": "); colon != std::string::npos) message.erase(0, colon + 2);
    if (auto dash = message.find(" - "); message.rfind("syntax error", 0) == 0 && dash != std::string::npos) {
        message.erase(0, dash + 3);
    }
    if (auto quoted = message.find("; last read:"); quoted != std::string::npos) message.erase(quoted);
    return message;
}

// A SAX pass that builds nothing: it finds syntax errors (with nlohmann's
// own lexer, so UTF-8 and number rules are the parser's) and keys named
// twice in one object.
class Checker final : public json::json_sax_t {
public:
    explicit Checker(std::string_view text) : text_(text) {}

    std::optional<Error> failure;

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_array(std::size_t) override {
        ++depth_;
        return true;
    }
    bool end_array() override {
        --depth_;
        return value();
    }

    bool start_object(std::size_t) override {
        ++depth_;
        // One set per open object; popped sets keep their buckets for reuse.
        if (open_ == keys_.size()) keys_.emplace_back();
        keys_[open_++].clear();
        return true;
    }
    bool end_object() override {
        --depth_;
        --open_;
        return value();
    }
    bool key(string_t& name) override {
        if (keys_[open_ - 1].insert(name).second) return true;
        std::string shown = name.size() > 64 ? name.substr(0, 64) + "…" : name;
        failure = Error{ErrorKind::invalid_argument, "key " + json(shown).dump(-1, ' ', false, json::error_handler_t::replace) +
                                                         " appears twice in one object"};
        return false;
    }
    bool parse_error(std::size_t position, const std::string&, const json::exception& error) override {
        // nlohmann counts bytes from 1; offsets here count from 0.
        std::size_t offset = position > 0 ? position - 1 : 0;
        failure = json_error(text_, offset, complete_ ? "unexpected text after the JSON value" : describe(error));
        return false;
    }

private:
    // A value ended; at the top level that completes the document.
    bool value() {
        complete_ = complete_ || depth_ == 0;
        return true;
    }

    std::string_view text_;
    std::size_t depth_ = 0;
    bool complete_ = false;
    std::vector<std::unordered_set<std::string>> keys_;
    std::size_t open_ = 0;
};

}  // namespace

Result<Done> check_json(std::string_view text, std::size_t max_depth) {
    if (auto at = too_deep_at(text, max_depth)) {
        return json_error(text, *at, "nested deeper than " + std::to_string(max_depth) + " levels");
    }
    if (text::trim(text).empty()) return Error{ErrorKind::invalid_argument, "empty: no JSON value"};
    Checker checker(text);
    if (json::sax_parse(text, &checker, json::input_format_t::json, /*strict=*/true)) return Done{};
    return checker.failure ? *checker.failure : Error{ErrorKind::invalid_argument, "not valid JSON"};
}

Result<json> parse_json(std::string_view text, std::size_t max_depth) {
    if (auto checked = check_json(text, max_depth); !checked) return checked.error();
    // Checked above: this parse cannot fail, and what it builds is shallow.
    return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace tether
