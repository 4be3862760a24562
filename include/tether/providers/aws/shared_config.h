#pragma once

// Profiles of the AWS shared config (~/.aws/config) and credentials
// (~/.aws/credentials) files, resolved as botocore resolves them: in the
// config file a profile is "[profile name]" (or "[default]"), in the
// credentials file "[name]"; for a profile in both, the credentials file's
// keys win. The environment is a parameter so that tests bring their own.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/core/settings.h"
#include "tether/providers/aws/config_file.h"

namespace tether::providers::aws {

using config::Environment;

// Reads `key` in the environment; unset and empty are the same.
std::optional<std::string> environment_value(const Environment& environment, const std::string& key);

class Profile {
public:
    Profile() = default;
    Profile(std::string name, Section settings, std::optional<Section> services);

    const std::string& name() const { return name_; }
    const Section& settings() const { return settings_; }

    const Setting* find(std::string_view key) const;
    // A plain (not nested) value, if set and not empty.
    std::optional<std::string> value(std::string_view key) const;
    // "file:line" where `key` is set, or the profile's name.
    std::string where(std::string_view key) const;

    std::optional<std::string> access_key_id() const { return value("aws_access_key_id"); }
    Secret secret_access_key() const { return secret("aws_secret_access_key"); }
    // aws_session_token, else the older aws_security_token (as botocore).
    Secret session_token() const;
    std::optional<std::string> region() const { return value("region"); }
    std::optional<std::string> credential_process() const { return value("credential_process"); }
    std::optional<std::string> role_arn() const { return value("role_arn"); }
    std::optional<std::string> source_profile() const { return value("source_profile"); }
    std::optional<std::string> credential_source() const { return value("credential_source"); }
    std::optional<std::string> external_id() const { return value("external_id"); }
    std::optional<std::string> role_session_name() const { return value("role_session_name"); }
    std::optional<std::string> web_identity_token_file() const { return value("web_identity_token_file"); }
    std::optional<std::string> sts_regional_endpoints() const { return value("sts_regional_endpoints"); }
    std::optional<std::string> endpoint_url() const { return value("endpoint_url"); }
    // 900 s to 43200 s, as STS accepts; invalid_argument names the line.
    Result<std::optional<std::chrono::seconds>> duration_seconds() const;
    // endpoint_url in the nested block for `service_key` (snake-case service
    // id, "sts") of the [services name] section that `services = name`
    // names; failed_precondition if that section does not exist.
    Result<std::optional<std::string>> service_endpoint_url(std::string_view service_key) const;

private:
    Secret secret(std::string_view key) const;

    std::string name_;
    Section settings_;
    std::optional<Section> services_;  // the [services …] section named, if it exists
};

// Both files merged, as botocore's Session.full_config.
struct SharedConfig {
    std::filesystem::path config_file;
    std::filesystem::path credentials_file;
    std::map<std::string, Section, std::less<>> profiles;
    std::map<std::string, Section, std::less<>> sso_sessions;
    std::map<std::string, Section, std::less<>> services;

    // not_found for a profile in neither file, except "default" when
    // `required` is false: then it is an empty profile.
    Result<Profile> profile(std::string_view name, bool required = true) const;
};

struct SharedConfigPaths {
    std::filesystem::path config_file;       // AWS_CONFIG_FILE, else ~/.aws/config
    std::filesystem::path credentials_file;  // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
};

// failed_precondition if a path needs HOME and it is not set.
Result<SharedConfigPaths> shared_config_paths(const Environment& environment);

// The profile to use: `explicit_name`, else AWS_PROFILE, else
// AWS_DEFAULT_PROFILE (botocore's older name), else "default".
std::string profile_name(const Environment& environment, const std::optional<std::string>& explicit_name = {});

// Merges a parsed config and credentials file.
SharedConfig merge_shared_config(const IniFile& config_file, const IniFile& credentials_file);

// Reads both files (a missing file is empty) and merges them.
Result<SharedConfig> load_shared_config(const Environment& environment);

// The profile profile_name() picks. A name given explicitly or by the
// environment must exist; "default" by default may be absent (empty).
Result<Profile> load_profile(const Environment& environment, const std::optional<std::string>& explicit_name = {});

}  // namespace tether::providers::aws
