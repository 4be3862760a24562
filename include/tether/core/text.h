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

// Appends `text` with its %XX escapes decoded to `out`; false on an escape
// that is not '%' and two hex digits (what was appended so far stays).
bool append_percent_decoded(std::string& out, std::string_view text);

}  // namespace tether::text
