#include "tether/auth/credentials_file.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "tether/core/json.h"

namespace tether::auth {
namespace {

Error invalid(const std::string& what) { return Error{ErrorKind::invalid_argument, "credentials file: " + what}; }

// The caller's copy is theirs to wipe; these are the json object's copies.
void wipe_secrets(nlohmann::json& json) {
    for (const char* field : {"private_key", "api_key"}) {
        auto it = json.find(field);
        if (it != json.end() && it->is_string()) wipe(it->get_ref<std::string&>());
    }
}

Result<int> parse_version(const nlohmann::json& json) {
    auto it = json.find("version");
    if (it == json.end()) return invalid("no \"version\" field");
    if (!it->is_number_integer()) return invalid("\"version\" must be a whole number");
    auto version = it->get<std::int64_t>();
    if (version > CredentialsFile::current_version) {
        return Error{ErrorKind::failed_precondition,
                     "credentials file: version " + std::to_string(version) +
                         " was written by a newer tether; upgrade the runner (this one reads version " +
                         std::to_string(CredentialsFile::current_version) + ")"};
    }
    if (version < 1) return invalid("unknown version " + std::to_string(version));
    return static_cast<int>(version);
}

Result<std::string> string_field(const nlohmann::json& json, const char* field) {
    auto it = json.find(field);
    if (it == json.end()) return invalid(std::string("no \"") + field + "\" field");
    if (!it->is_string()) return invalid(std::string("\"") + field + "\" must be a string");
    const auto& text = it->get_ref<const std::string&>();
    if (text.empty()) return invalid(std::string("\"") + field + "\" is empty");
    return text;
}

}  // namespace

std::string to_json(const CredentialsFile& file) {
    nlohmann::ordered_json json = {
        {"version", CredentialsFile::current_version},
        {"org", file.org},
        {"runner", file.runner},
        {"runner_id", file.runner_id},
        {"tunnel_endpoint", file.tunnel_endpoint},
        {"api_endpoint", file.api_endpoint},
        {"ca_certificate", file.ca_certificate},
        {"certificate", file.certificate},
        {"private_key", std::string(file.private_key.reveal())},
        {"api_key", std::string(file.api_key.reveal())},
    };
    std::string text = json.dump(2) + "\n";
    // The json object's copies of the secrets go with it; overwrite them first.
    for (const char* field : {"private_key", "api_key"}) wipe(json[field].get_ref<std::string&>());
    return text;
}

Result<CredentialsFile> parse_credentials_file(std::string_view text) {
    // parse_json's messages never quote the input, which holds a key.
    auto parsed = parse_json(text);
    if (!parsed) {
        return invalid("not valid JSON (" + parsed.error().message +
                       "); expected the file written by `tether admin runner generate-credentials`");
    }
    nlohmann::json json = std::move(parsed).value();
    if (!json.is_object()) {
        return invalid("expected a JSON object, as written by `tether admin runner generate-credentials`");
    }
    CredentialsFile file;
    std::optional<Error> problem;
    auto take = [&](const char* field, std::string& into) {
        if (problem) return;
        auto value = string_field(json, field);
        if (value) {
            into = std::move(value).value();
        } else {
            problem = value.error();
        }
    };
    if (auto version = parse_version(json); !version) problem = version.error();
    take("org", file.org);
    take("runner", file.runner);
    take("runner_id", file.runner_id);
    take("tunnel_endpoint", file.tunnel_endpoint);
    take("api_endpoint", file.api_endpoint);
    take("ca_certificate", file.ca_certificate);
    take("certificate", file.certificate);
    std::string private_key;
    std::string api_key;
    take("private_key", private_key);
    take("api_key", api_key);
    file.private_key = Secret(private_key);
    file.api_key = Secret(api_key);
    wipe(private_key);
    wipe(api_key);
    wipe_secrets(json);
    if (problem) return *problem;
    return file;
}

}  // namespace tether::auth
