#pragma once

#include <filesystem>

namespace tether::server {

// `tether server rotate-master-key`: with the server stopped (the data
// dir's lock held), makes a new master key and rewraps under it every
// record the old one sealed (each org's key, each connection's inline
// credentials) in one transaction; no secret's ciphertext is touched. The
// new key is written to master.key.next before the store changes and
// renamed over master.key after it commits, so that a crash at any point
// leaves a state this command finishes when run again (and that the server
// refuses to start on until it has). Prints the old and new key ids and
// what was rewrapped. Exit 69 while a server runs on the data dir.
int rotate_master_key(const std::filesystem::path& data_dir);

}  // namespace tether::server
