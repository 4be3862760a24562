#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"

// References to values that a runner resolves just before it uses them,
// written inside the strings of operation parameters and connection
// settings (docs/secrets.md):
//
//   ${secret:NAME}  ${secret:NAME@VERSION}  ${var:NAME}  ${var:NAME@VERSION}
//   ${env:NAME}     ${file:/absolute/path}
//
// Only these four sources are references; any other "${…}" is text (a
// CloudFormation "${AWS::Region}" or a shell "${HOME}" passes untouched),
// and "$${" writes a literal "${" before a source name.
namespace tether::references {

enum class Source { secret, variable, environment, file };
const char* to_string(Source source);  // "secret", "var", "env", "file"

struct Reference {
    Source source = Source::secret;
    std::string name;                     // a secret's or variable's name, a variable name, or a path
    std::optional<std::int64_t> version;  // secrets and variables: a pinned version

    // "${secret:db-password@3}": how logs and the audit trail name it.
    std::string text() const;
    bool operator<(const Reference& other) const;
    bool operator==(const Reference& other) const;
};

// A string cut at its references: literal text, then a reference, then
// text, … (`reference` empty for a piece of text only).
struct Piece {
    std::string literal;
    std::optional<Reference> reference;
};

// The pieces of `text`; a single text piece when it holds no reference.
// invalid_argument naming the problem and its byte offset for a reference
// that is not closed, names nothing, has a malformed name or version, or
// a file path that is not absolute; the message quotes no more than the
// source (the rest may be a mistyped secret).
Result<std::vector<Piece>> split(std::string_view text);

// A version as written after '@' or in an API path: a whole number from 1;
// nothing for anything else.
std::optional<std::int64_t> parse_version(std::string_view text);

// References one operation may hold, and one resolution may ask for.
inline constexpr std::size_t max_references = 64;

// Whether `text` holds a reference at all: the cheap test before split().
bool mentions_reference(std::string_view text);

// Names of secrets and variables: 1 to 128 of A-Z a-z 0-9 '_' '-' '.',
// starting with a letter or digit.
inline constexpr std::size_t max_name_bytes = 128;
bool is_valid_value_name(std::string_view name);
// Environment variable names: [A-Za-z_][A-Za-z0-9_]*, at most 128.
bool is_valid_environment_name(std::string_view name);

// What a secret's or variable's value may be: 1 byte to 64 KiB of UTF-8
// without NUL (it is substituted into JSON strings).
inline constexpr std::size_t max_value_bytes = 64 * 1024;
// Why `value` cannot be stored, or nothing.
std::optional<std::string> value_problem(std::string_view value);

}  // namespace tether::references
