#pragma once

// Splits a command line into argv the way a POSIX shell (and Python's
// shlex.split, which botocore runs on credential_process) does, so that a
// command written for the AWS CLI runs the same here without a shell.
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"

namespace tether::providers {

// Words are separated by spaces, tabs and line breaks. '…' keeps
// everything literally; "…" keeps everything but \" and \\, which lose
// their backslash; outside quotes a backslash keeps the next character.
// Adjacent pieces join into one word; "" is an empty word. No expansion
// of $, ~ or globs. invalid_argument for an unclosed quote or a trailing
// backslash (the message does not quote the command: it may hold a secret).
Result<std::vector<std::string>> split_shell_words(std::string_view command_line);

}  // namespace tether::providers
