#pragma once

#include <filesystem>
#include <string>

#include "tether/core/endpoint.h"

namespace tether::server {

struct InitOptions {
    std::filesystem::path data_dir;
    std::string hostname;      // the name runners and admins reach the server by
    std::string trust_domain;  // of runner identities; defaults to hostname
    std::string org = "default";
    std::uint16_t api_port = 8443;  // written into admin.toml's server URL
};

// `tether server init`: creates, in an empty or new directory only, the
// database, the CA, the server certificate (hostname, localhost, 127.0.0.1,
// ::1), the master key, the first org and its first admin service account
// with an API key, and admin.toml. Prints the key once on stdout. Every
// secret file is created 0600. Throws Fatal (config) on a non-empty dir.
int init(const InitOptions& options);

}  // namespace tether::server
