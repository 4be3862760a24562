#pragma once

#include <filesystem>

namespace tether::server {

// The files of an initialised data dir (`tether server init`).
struct DataDir {
    std::filesystem::path root;

    std::filesystem::path database() const { return root / "tether.db"; }
    std::filesystem::path ca_certificate() const { return root / "ca.crt"; }
    std::filesystem::path ca_key() const { return root / "ca.key"; }                  // 0600
    std::filesystem::path server_certificate() const { return root / "server.crt"; }
    std::filesystem::path server_key() const { return root / "server.key"; }          // 0600
    std::filesystem::path master_key() const { return root / "master.key"; }          // 0600, 32 bytes
    std::filesystem::path admin_config() const { return root / "admin.toml"; }        // 0600, holds an API key
};

}  // namespace tether::server
