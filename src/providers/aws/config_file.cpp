#include "tether/providers/aws/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "tether/core/secret.h"
#include "tether/core/text.h"

namespace tether::providers::aws {
namespace {

// Python's str.strip() set, in ASCII.
constexpr std::string_view blank = " \t\r\n\v\f\x1c\x1d\x1e\x1f";

std::string_view trim(std::string_view text) {
    std::size_t start = text.find_first_not_of(blank);
    if (start == std::string_view::npos) return {};
    return text.substr(start, text.find_last_not_of(blank) - start + 1);
}

// Lines as Python's universal newlines see them: \n, \r\n and \r all end one.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t at = 0; at < text.size(); ++at) {
        if (text[at] != '\n' && text[at] != '\r') continue;
        lines.push_back(text.substr(start, at - start));
        if (text[at] == '\r' && at + 1 < text.size() && text[at + 1] == '\n') ++at;
        start = at + 1;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

// A value while it is read: its pieces and the line of each.
struct Pending {
    std::vector<std::pair<std::string, std::size_t>> lines;
    std::string where;

    ~Pending() {
        for (auto& [piece, number] : lines) wipe(piece);
    }
};

struct PendingSection {
    std::string name;
    std::string where;
    std::vector<std::pair<std::string, Pending>> options;  // in order; keys unique

    Pending* find(const std::string& key) {
        for (auto& [name, pending] : options) {
            if (name == key) return &pending;
        }
        return nullptr;
    }
};

class Parser {
public:
    explicit Parser(std::string_view file_name) : file_(file_name) {}

    Result<IniFile> parse(std::string_view text);

private:
    std::string at_line(std::size_t number) const { return file_ + ":" + std::to_string(number); }
    Error error_at(std::size_t number, const std::string& what) const {
        return {ErrorKind::invalid_argument, at_line(number) + ": " + what};
    }
    std::optional<Error> read_line(std::string_view line, std::size_t number);
    Result<Setting> finish(const std::string& key, Pending& pending) const;

    std::string file_;
    std::vector<PendingSection> sections_;
    PendingSection defaults_{"DEFAULT", "", {}};
    PendingSection* current_ = nullptr;
    Pending* option_ = nullptr;
    std::size_t indent_ = 0;
};

std::optional<Error> Parser::read_line(std::string_view line, std::size_t number) {
    std::string_view value = trim(line);
    if (value.empty() || value.front() == '#' || value.front() == ';') {
        // A blank line may sit inside a multi-line value; a comment never adds to it.
        if (value.empty() && option_ != nullptr) option_->lines.emplace_back("", number);
        return std::nullopt;
    }
    std::size_t indent = line.find_first_not_of(blank);
    if (option_ != nullptr && indent > indent_) {
        option_->lines.emplace_back(std::string(value), number);
        return std::nullopt;
    }
    indent_ = indent;
    if (value.front() == '[' && value.size() > 2 && value.find(']', 2) != std::string_view::npos) {
        std::string name(value.substr(1, value.rfind(']') - 1));
        option_ = nullptr;
        if (name == "DEFAULT") {
            current_ = &defaults_;
            return std::nullopt;
        }
        for (const auto& section : sections_) {
            if (section.name == name) {
                return error_at(number,
                                "section [" + name + "] appears a second time (first at " + section.where + ")");
            }
        }
        sections_.push_back({name, at_line(number), {}});
        current_ = &sections_.back();
        return std::nullopt;
    }
    if (current_ == nullptr) return error_at(number, "a setting before any [section] header");
    std::size_t delimiter = value.find_first_of("=:");
    if (delimiter == std::string_view::npos) {
        return error_at(number, "the line is neither a [section] header nor \"key = value\"");
    }
    std::string key = text::ascii_lower(trim(value.substr(0, delimiter)));
    if (key.empty())
        return error_at(number, "a setting with no name before its '" + std::string(1, value[delimiter]) + "'");
    if (Pending* held = current_->find(key)) {
        return error_at(
            number, "'" + key + "' is set a second time in [" + current_->name + "] (first at " + held->where + ")");
    }
    current_->options.emplace_back(key, Pending{});
    option_ = &current_->options.back().second;
    option_->where = at_line(number);
    option_->lines.emplace_back(std::string(trim(value.substr(delimiter + 1))), number);
    return std::nullopt;
}

// Joins the pieces as configparser does; a value that starts with a line
// break is botocore's nested block.
Result<Setting> Parser::finish(const std::string& key, Pending& pending) const {
    Setting setting;
    setting.where = pending.where;
    while (!pending.lines.empty() && pending.lines.back().first.empty()) pending.lines.pop_back();
    if (pending.lines.size() > 1 && pending.lines.front().first.empty()) {
        setting.is_nested = true;
        for (const auto& [piece, number] : pending.lines) {
            if (piece.empty()) continue;
            std::size_t equals = piece.find('=');
            if (equals == std::string::npos) {
                return error_at(number, "a line of the nested block under '" + key + "' is not \"key = value\"");
            }
            setting.nested[std::string(trim(std::string_view(piece).substr(0, equals)))] =
                std::string(trim(std::string_view(piece).substr(equals + 1)));
        }
        return setting;
    }
    for (std::size_t i = 0; i < pending.lines.size(); ++i) {
        if (i > 0) setting.value += '\n';
        setting.value += pending.lines[i].first;
    }
    return setting;
}

Result<IniFile> Parser::parse(std::string_view text) {
    std::size_t number = 0;
    for (std::string_view line : split_lines(text)) {
        if (auto failed = read_line(line, ++number)) return *failed;
    }
    // configparser hands [DEFAULT] values only to the sections that lack
    // the key, and botocore reads a nested block only there: a broken one
    // that no section inherits is no error.
    std::vector<std::pair<std::string, Result<Setting>>> defaults;
    for (auto& [key, pending] : defaults_.options) defaults.emplace_back(key, finish(key, pending));
    IniFile file;
    for (auto& pending_section : sections_) {
        IniSection section{pending_section.name, pending_section.where, {}};
        for (auto& [key, pending] : pending_section.options) {
            auto setting = finish(key, pending);
            if (!setting) return setting.error();
            section.settings[key] = std::move(setting).value();
        }
        for (const auto& [key, setting] : defaults) {
            if (section.settings.count(key) != 0) continue;
            if (!setting) return setting.error();
            section.settings.emplace(key, setting.value());
        }
        file.sections.push_back(std::move(section));
    }
    return file;
}

}  // namespace

Setting::~Setting() {
    wipe(value);
    for (auto& [key, nested_value] : nested) wipe(nested_value);
}

Result<IniFile> parse_ini(std::string_view text, std::string_view file_name) { return Parser(file_name).parse(text); }

Result<IniFile> read_ini_file(const std::filesystem::path& path) {
    std::error_code ignored;
    if (!std::filesystem::exists(path, ignored)) return IniFile{};
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{ErrorKind::failed_precondition, "cannot read " + path.string() + ": " + std::strerror(errno)};
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string text = std::move(buffer).str();
    auto parsed = parse_ini(text, path.string());
    wipe(text);
    return parsed;
}

}  // namespace tether::providers::aws
