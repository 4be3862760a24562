#include "tether/core/references.h"

#include <charconv>
#include <tuple>

#include "tether/core/text.h"

namespace tether::references {
namespace {

struct Prefix {
    std::string_view text;  // after "${"
    Source source;
};
constexpr Prefix prefixes[] = {
    {"secret:", Source::secret},
    {"var:", Source::variable},
    {"env:", Source::environment},
    {"file:", Source::file},
};
constexpr std::size_t max_path_bytes = 4096;

// The source whose prefix `text` starts with.
const Prefix* prefix_at(std::string_view text) {
    for (const Prefix& prefix : prefixes) {
        if (text.substr(0, prefix.text.size()) == prefix.text) return &prefix;
    }
    return nullptr;
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

Error malformed(std::size_t at, Source source, const std::string& why) {
    return Error{ErrorKind::invalid_argument, "byte " + std::to_string(at) + ": the ${" + to_string(source) +
                                                  ":…} reference " + why};
}

// The inside of a reference, after its prefix: NAME[@VERSION], a variable
// name or a path.
Result<Reference> parse_body(Source source, std::string_view body, std::size_t at) {
    Reference reference{source, std::string(body), std::nullopt};
    switch (source) {
        case Source::secret:
        case Source::variable: {
            std::size_t sign = body.find('@');
            std::string_view name = body.substr(0, sign);
            if (!is_valid_value_name(name)) {
                return malformed(at, source, "needs a name of 1 to 128 letters, digits, '_', '-' or '.'");
            }
            reference.name = std::string(name);
            if (sign != std::string_view::npos) {
                std::string_view digits = body.substr(sign + 1);
                // In a reference, written without leading zeros.
                reference.version = digits.starts_with('0') ? std::nullopt : parse_version(digits);
                if (!reference.version) return malformed(at, source, "has a version that is not a whole number from 1");
            }
            return reference;
        }
        case Source::environment:
            if (!is_valid_environment_name(body)) {
                return malformed(at, source, "needs an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }
            return reference;
        case Source::file:
            if (body.empty() || body[0] != '/' || body.size() > max_path_bytes ||
                text::has_control_character(body)) {
                return malformed(at, source, "needs an absolute path");
            }
            return reference;
    }
    return malformed(at, source, "has an unknown source");
}

}  // namespace

const char* to_string(Source source) {
    switch (source) {
        case Source::secret: return "secret";
        case Source::variable: return "var";
        case Source::environment: return "env";
        case Source::file: return "file";
    }
    return "secret";
}

std::string Reference::text() const {
    std::string out = std::string("${") + to_string(source) + ":" + name;
    if (version) out += "@" + std::to_string(*version);
    return out + "}";
}

bool Reference::operator<(const Reference& other) const {
    return std::tie(source, name, version) < std::tie(other.source, other.name, other.version);
}

bool Reference::operator==(const Reference& other) const {
    return source == other.source && name == other.name && version == other.version;
}

std::optional<std::int64_t> parse_version(std::string_view text) {
    std::int64_t version = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || version < 1) return std::nullopt;
    return version;
}

bool mentions_reference(std::string_view text) {
    for (std::size_t at = text.find("${"); at != std::string_view::npos; at = text.find("${", at + 2)) {
        if (prefix_at(text.substr(at + 2)) != nullptr) return true;
    }
    return false;
}

Result<std::vector<Piece>> split(std::string_view text) {
    std::vector<Piece> pieces(1);
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t dollar = text.find('$', at);
        if (dollar == std::string_view::npos) {
            pieces.back().literal.append(text.substr(at));
            break;
        }
        pieces.back().literal.append(text.substr(at, dollar - at));
        std::string_view rest = text.substr(dollar);
        // "$${secret:…" is the text "${secret:…".
        if (rest.substr(0, 3) == "$${" && prefix_at(rest.substr(3)) != nullptr) {
            pieces.back().literal.append("${");
            at = dollar + 3;
            continue;
        }
        const Prefix* prefix = rest.substr(0, 2) == "${" ? prefix_at(rest.substr(2)) : nullptr;
        if (prefix == nullptr) {
            pieces.back().literal.push_back('$');
            at = dollar + 1;
            continue;
        }
        std::size_t body_at = dollar + 2 + prefix->text.size();
        std::size_t close = text.find('}', body_at);
        if (close == std::string_view::npos) return malformed(dollar, prefix->source, "is not closed with '}'");
        auto reference = parse_body(prefix->source, text.substr(body_at, close - body_at), dollar);
        if (!reference) return reference.error();
        pieces.back().reference = std::move(reference).value();
        pieces.emplace_back();
        at = close + 1;
    }
    if (pieces.size() > 1 && pieces.back().literal.empty()) pieces.pop_back();
    return pieces;
}

bool is_valid_value_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_bytes || !is_alnum(name[0])) return false;
    for (char c : name) {
        if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
    }
    return true;
}

bool is_valid_environment_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_bytes || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
        if (!is_alnum(c) && c != '_') return false;
    }
    return true;
}

std::optional<std::string> value_problem(std::string_view value) {
    if (value.empty()) return "the value is empty";
    if (value.size() > max_value_bytes) {
        return "the value is " + std::to_string(value.size()) + " bytes; at most " + std::to_string(max_value_bytes) +
               " are allowed";
    }
    if (value.find('\0') != std::string_view::npos) return "the value holds a NUL byte";
    if (!text::is_valid_utf8(value)) return "the value is not UTF-8 text (base64-encode binary data)";
    return std::nullopt;
}

}  // namespace tether::references
