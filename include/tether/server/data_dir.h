#pragma once

#include <filesystem>

#include "tether/core/error.h"
#include "tether/core/secret.h"

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
    // The key a rotation moves to; present only while one is unfinished.
    std::filesystem::path next_master_key() const { return root / "master.key.next"; }
    std::filesystem::path admin_config() const { return root / "admin.toml"; }        // 0600, holds an API key
    std::filesystem::path lock() const { return root / "server.lock"; }               // held while in use
};

// A master key file: 64 hex characters, refused (invalid_argument naming
// the fix) when group or others can read it, as ssh refuses a private key.
Result<Secret> read_master_key(const std::filesystem::path& path);

// The data dir's lock (flock on server.lock), held by `tether server` while
// it runs and by commands that must not run beside it. The kernel drops it
// when the process ends, however it ends: no stale lock to clean up.
class DataDirLock {
public:
    // unavailable when another process holds it.
    static Result<DataDirLock> acquire(const DataDir& data);
    DataDirLock(DataDirLock&& other) noexcept;
    DataDirLock& operator=(DataDirLock&&) = delete;
    DataDirLock(const DataDirLock&) = delete;
    ~DataDirLock();

private:
    explicit DataDirLock(int descriptor) : descriptor_(descriptor) {}
    int descriptor_ = -1;
};

}  // namespace tether::server
