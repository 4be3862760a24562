#include "tether/core/json.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tether/core/secret.h"
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
    if (auto tag = message.find("] "); message.rfind("[json.exception.", 0) == 0 && tag != std::string::npos) {
        message.erase(0, tag + 2);
    }
    if (message.rfind("parse error", 0) == 0) {
        if (auto colon = message.find(": "); colon != std::string::npos) message.erase(0, colon + 2);
    }
    if (auto dash = message.find(" - "); message.rfind("syntax error", 0) == 0 && dash != std::string::npos) {
        message.erase(0, dash + 3);
    }
    // Both quote the input: "; last read: '…'", "number overflow parsing '1e500'".
    for (std::string_view quoting : {"; last read:", " parsing '"}) {
        if (auto quoted = message.find(quoting); quoted != std::string::npos) message.erase(quoted);
    }
    return message;
}

// What both readers track as a document streams past: how deep it is,
// whether a whole value has ended (so an error after it is trailing text),
// and the keys of each open object.
class Structure {
public:
    void open_array() { ++depth_; }
    void close_array() {
        --depth_;
        value_ended();
    }
    void open_object() {
        ++depth_;
        // One set per open object; popped sets keep their buckets for reuse.
        if (open_ == keys_.size()) keys_.emplace_back();
        keys_[open_++].clear();
    }
    void close_object() {
        --open_;
        close_array();
    }
    void value_ended() { complete_ = complete_ || depth_ == 0; }

    // The error for a key its object already has, if it has it.
    std::optional<Error> add_key(const std::string& name) {
        if (keys_[open_ - 1].insert(name).second) return std::nullopt;
        std::string shown = name.size() > 64 ? name.substr(0, 64) + "…" : name;
        return Error{ErrorKind::invalid_argument,
                     "key " + json(shown).dump(-1, ' ', false, json::error_handler_t::replace) + " appears twice in one object"};
    }

    // nlohmann's parse error at `position` (counted from 1), said our way.
    Error parse_error(std::string_view text, std::size_t position, const json::exception& error) const {
        std::size_t offset = position > 0 ? position - 1 : 0;
        return json_error(text, offset, complete_ ? "unexpected text after the JSON value" : describe(error));
    }

private:
    std::size_t depth_ = 0;
    bool complete_ = false;
    std::vector<std::unordered_set<std::string>> keys_;
    std::size_t open_ = 0;
};

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
        structure_.open_array();
        return true;
    }
    bool end_array() override {
        structure_.close_array();
        return true;
    }
    bool start_object(std::size_t) override {
        structure_.open_object();
        return true;
    }
    bool end_object() override {
        structure_.close_object();
        return true;
    }
    bool key(string_t& name) override {
        failure = structure_.add_key(name);
        return !failure;
    }
    bool parse_error(std::size_t position, const std::string&, const json::exception& error) override {
        failure = structure_.parse_error(text_, position, error);
        return false;
    }

private:
    bool value() {
        structure_.value_ended();
        return true;
    }

    std::string_view text_;
    Structure structure_;
};

// Thrown from the parse callback to stop at a duplicate key.
struct DuplicateKey {};

// What both entry points refuse before any parser runs.
std::optional<Error> refused_before_parsing(std::string_view text, std::size_t max_depth) {
    if (auto at = too_deep_at(text, max_depth)) {
        return json_error(text, *at, "nested deeper than " + std::to_string(max_depth) + " levels");
    }
    if (text::trim(text).empty()) return Error{ErrorKind::invalid_argument, "empty: no JSON value"};
    return std::nullopt;
}

}  // namespace

Result<Done> check_json(std::string_view text, std::size_t max_depth) {
    if (auto refused = refused_before_parsing(text, max_depth)) return *refused;
    Checker checker(text);
    if (json::sax_parse(text, &checker, json::input_format_t::json, /*strict=*/true)) return Done{};
    return checker.failure ? *checker.failure : Error{ErrorKind::invalid_argument, "not valid JSON"};
}

// One pass: nlohmann builds the document while its callback tracks the
// structure, as the SAX checker does.
Result<json> parse_json(std::string_view text, std::size_t max_depth) {
    if (auto refused = refused_before_parsing(text, max_depth)) return *refused;
    Structure structure;
    std::optional<Error> duplicate;
    json::parser_callback_t track = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start: structure.open_object(); break;
            case json::parse_event_t::object_end: structure.close_object(); break;
            case json::parse_event_t::array_start: structure.open_array(); break;
            case json::parse_event_t::array_end: structure.close_array(); break;
            case json::parse_event_t::value: structure.value_ended(); break;
            case json::parse_event_t::key:
                duplicate = structure.add_key(parsed.get_ref<const std::string&>());
                if (duplicate) throw DuplicateKey{};
                break;
        }
        return true;
    };
    try {
        return json::parse(text, track, /*allow_exceptions=*/true);
    } catch (const DuplicateKey&) {
        return *duplicate;
    } catch (const json::parse_error& error) {
        return structure.parse_error(text, error.byte, error);
    } catch (const json::exception& error) {
        // A number out of range (406) carries no offset here; the SAX
        // pass, which gets one, says it the same way as check_json.
        auto checked = check_json(text, max_depth);
        return checked ? Error{ErrorKind::invalid_argument, describe(error)} : checked.error();
    }
}

void wipe_json(nlohmann::json& value) {
    if (value.is_string()) {
        wipe(value.get_ref<std::string&>());
    } else if (value.is_structured()) {
        for (auto& item : value) wipe_json(item);
    }
}

}  // namespace tether
