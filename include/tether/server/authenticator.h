#pragma once

#include <cstdint>
#include <string>

#include "tether/core/error.h"
#include "tether/server/router.h"
#include "tether/store/database.h"
#include "tether/store/identities.h"

namespace tether::server {

// Who is calling: the service account behind the presented API key.
struct Principal {
    store::ServiceAccount account;
    std::string key_id;
};

// Checks the request's "Authorization: Bearer tth_…" on every call: the key
// exists, its secret matches the stored hash (constant time), it is neither
// revoked nor expired, and its service account is live and active — read
// from the store each time, so that revoking or disabling acts at once.
// Every failure is the same unauthenticated error for the client; the
// reason goes to the server log with the public key id, never the key.
Result<Principal> authenticate(const store::Database& database, const HttpRequest& request, std::int64_t now);

// The same checks, neither logged nor recorded: whether the request's
// headers carry a valid key. The listener asks this before it reads a body,
// so that an anonymous peer can make it read no more than a few KiB.
bool carries_valid_key(const store::Database& database, const HttpRequest& request, std::int64_t now);

}  // namespace tether::server
