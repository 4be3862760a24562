#pragma once

// credential_process: a profile names a program that prints credentials as
// JSON ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?,
// "Expiration"?}); the AWS CLI runs it without a shell, its command line
// split like a POSIX shell's.
#include <chrono>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/providers/aws/credentials.h"
#include "tether/providers/aws/shared_config.h"
#include "tether/providers/process.h"

namespace tether::providers::aws {

// The request to run `command_line` (argv split as botocore splits it);
// `where` ("file:line") goes in error messages, the command never does.
Result<ProcessRequest> credential_process_request(std::string_view command_line, std::string_view where);

// Parses the program's output. invalid_argument names the program
// (`program`, argv[0]) and what is missing or wrong, never a value.
Result<ExpiringCredentials> parse_credential_process_output(std::string_view output, std::string_view program);

// Runs the profile's credential_process, a bare program name looked up in
// the environment's PATH; the child inherits this process's environment.
// failed_precondition if the profile has none.
Result<ExpiringCredentials> run_credential_process(const Profile& profile, const Environment& environment,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace tether::providers::aws
