#pragma once

// The INI dialect of the AWS shared config and credentials files, read the
// way botocore reads them (Python's configparser in its default, strict
// mode, then botocore's nested blocks), so that a file the AWS CLI accepts
// means the same here and a file it refuses is refused here too:
//  - "[name]" starts a section: the name is everything between the first
//    '[' and the last ']'; "[DEFAULT]" holds fallbacks for every section;
//  - "key = value" or "key: value" (the first '=' or ':' splits), the key
//    trimmed and lower-cased, the value trimmed;
//  - lines whose first non-blank character is '#' or ';' are comments;
//    a '#' or ';' later in a line is part of the value;
//  - a line indented deeper than its key continues the value (joined with
//    '\n'); when the key's own line has no value, the indented lines are
//    a nested block of "key = value" settings ("s3 =\n  addressing_style = path");
//  - a line before any section, a line that is not "key = value", a
//    repeated section or a repeated key in one section are errors.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"

namespace tether::providers::aws {

// Values may be keys (aws_secret_access_key): wiped when they go away.
struct Setting {
    std::string value;                          // empty for a nested block
    std::map<std::string, std::string> nested;  // the block's settings, keys as written
    bool is_nested = false;
    std::string where;  // "file:line" of the key, for messages

    Setting() = default;
    Setting(const Setting&) = default;
    Setting(Setting&&) = default;
    Setting& operator=(const Setting&) = default;
    Setting& operator=(Setting&&) = default;
    ~Setting();
};

using Section = std::map<std::string, Setting, std::less<>>;

struct IniSection {
    std::string name;  // as written between the brackets
    std::string where;
    Section settings;  // with the [DEFAULT] fallbacks filled in
};

struct IniFile {
    std::vector<IniSection> sections;  // in the file's order
};

// invalid_argument names the file and line and what is wrong there; never
// the value (it may be a key).
Result<IniFile> parse_ini(std::string_view text, std::string_view file_name);

// A missing file is an empty one, as for the SDKs. failed_precondition if
// it exists but cannot be read.
Result<IniFile> read_ini_file(const std::filesystem::path& path);

}  // namespace tether::providers::aws
