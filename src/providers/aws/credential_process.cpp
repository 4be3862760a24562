#include "tether/providers/aws/credential_process.h"

#include "json_answer.h"
#include "tether/providers/shell_words.h"

namespace tether::providers::aws {

Result<ProcessRequest> credential_process_request(std::string_view command_line, std::string_view where) {
    auto words = split_shell_words(command_line);
    if (!words)
        return Error{ErrorKind::invalid_argument,
                     std::string(where) + ": credential_process: " + words.error().message};
    if (words.value().empty()) {
        return Error{ErrorKind::invalid_argument, std::string(where) + ": credential_process names no program"};
    }
    ProcessRequest request;
    request.argv = std::move(words).value();
    return request;
}

Result<ExpiringCredentials> parse_credential_process_output(std::string_view output, std::string_view program) {
    auto answer = JsonAnswer::parse(output, "the credential process " + std::string(program));
    if (!answer) return answer.error();
    const JsonAnswer& json = answer.value();
    // botocore compares with == 1, so 1.0 passes too.
    if (!json.has("Version")) return json.invalid("no Version (1 is the only one)");
    if (!json.json()["Version"].is_number() || json.json()["Version"].get<double>() != 1.0) {
        return json.invalid("Version " + json.json()["Version"].dump() + " is not supported, only 1");
    }
    std::string missing;
    for (const char* key : {"AccessKeyId", "SecretAccessKey"}) {
        if (!json.has(key)) missing += missing.empty() ? key : std::string(" and ") + key;
    }
    if (!missing.empty()) return json.invalid("no " + missing);

    ExpiringCredentials out;
    auto key_id = json.text("AccessKeyId");
    auto secret = json.text("SecretAccessKey");
    auto token = json.optional_text("SessionToken");
    auto expiration = json.optional_time("Expiration");
    if (!key_id) return key_id.error();
    if (!secret) return secret.error();
    if (!token) return token.error();
    if (!expiration) return expiration.error();
    out.credentials.access_key_id = std::move(key_id).value();
    out.credentials.secret_access_key = Secret(secret.value());
    wipe(secret.value());
    if (token.value()) {
        out.credentials.session_token = Secret(*token.value());
        wipe(*token.value());
    }
    out.expiration = expiration.value();
    return out;
}

Result<ExpiringCredentials> run_credential_process(const Profile& profile, const Environment& environment,
                                                   std::chrono::milliseconds timeout) {
    auto command_line = profile.credential_process();
    if (!command_line) {
        return Error{ErrorKind::failed_precondition, "profile " + profile.name() + " has no credential_process"};
    }
    auto request = credential_process_request(*command_line, profile.where("credential_process"));
    if (!request) return request.error();
    request.value().timeout = timeout;
    if (auto path = environment_value(environment, "PATH")) request.value().search_path = *path;
    auto output = run_process(request.value());
    if (!output) return output.error();
    return parse_credential_process_output(output.value().stdout_text.reveal(), request.value().argv.front());
}

}  // namespace tether::providers::aws
