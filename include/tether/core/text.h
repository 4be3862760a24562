#pragma once

// Small ASCII text helpers that protocols share: header names, host names
// and hex are ASCII whatever the locale.
#include <string>
#include <string_view>

namespace tether::text {

// Without leading and trailing ASCII white space (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view text);

// A-Z to a-z; every other byte unchanged.
std::string ascii_lower(std::string_view text);

// The value of one hex digit (either case), or -1.
int hex_digit(char c);

// RFC 3986's unreserved characters: A-Z a-z 0-9 - . _ ~
bool is_unreserved(unsigned char c);

// Every byte but the unreserved ones (and '/' when `keep_slash`) as %XX,
// upper-case hex: a path segment or query value that can carry nothing
// else (no '/', '?', '&', CR or LF), and the encoding SigV4 signs.
std::string percent_encode(std::string_view text, bool keep_slash = false);

// Whether `text` holds a byte below 0x20 or 0x7F (HTAB only if
// `allow_tab`): what may never reach an HTTP request line or header.
bool has_control_character(std::string_view text, bool allow_tab = false);

// Appends `text` with its %XX escapes decoded to `out`; false on an escape
// that is not '%' and two hex digits (what was appended so far stays).
bool append_percent_decoded(std::string& out, std::string_view text);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace tether::text
