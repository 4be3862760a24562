#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

// Live tunnels, one row each, written by the server process that holds the
// tunnel: which runner is connected where lives in the store, and in-memory
// maps only cache it (a later replica reads this to route an operation).
namespace tether::store {

struct TunnelRecord {
    std::string id;  // "tn_" + 16 base62 characters
    std::int64_t runner_id = 0;
    std::string server_instance;  // the server process that holds it
    std::string peer_address;
    std::string runner_version;
    std::string hostname;  // as the runner reported it
    std::string certificate_fingerprint;
    std::string key_id;                // the API key the runner authenticated with
    std::int64_t connected_at_ms = 0;  // milliseconds since the Unix epoch
};

// already_exists when a tunnel with that id is recorded.
Result<Done> insert_tunnel(const Database& database, const TunnelRecord& record);
// Removing a tunnel that is not recorded is not an error.
Result<Done> delete_tunnel(const Database& database, std::string_view id);
// Every tunnel a server process recorded: on its start (what a crash left
// behind) and on its stop.
Result<Done> delete_tunnels_of_instance(const Database& database, std::string_view server_instance);
// Oldest first.
Result<std::vector<TunnelRecord>> list_tunnels_of_runner(const Database& database, std::int64_t runner_id);
// Every live tunnel of the org's runners, by runner, oldest first.
Result<std::vector<TunnelRecord>> list_tunnels_of_org(const Database& database, std::int64_t org_id);

// Sets the runner's last_seen_at (Unix seconds), as a tunnel opens or closes.
Result<Done> touch_runner_seen(const Database& database, std::int64_t runner_id, std::int64_t now);

}  // namespace tether::store
