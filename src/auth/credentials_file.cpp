#include "tether/auth/credentials_file.h"

#include <nlohmann/json.hpp>

namespace tether::auth {

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

}  // namespace tether::auth
