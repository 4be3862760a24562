#pragma once

// What every /v1 handler shares: authentication, the org scope, role checks,
// JSON bodies, errors and audit rows. Private to src/server.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tether/auth/role.h"
#include "tether/core/error.h"
#include "tether/server/authenticator.h"
#include "tether/server/router.h"
#include "tether/server/runner_tunnels.h"
#include "tether/store/database.h"
#include "tether/store/identities.h"
#include "tether/store/statement.h"

namespace tether::server::api {

using server::json_response;

// The value of `key` in a query string (no percent-decoding: the values
// the API takes are names, ids and numbers).
std::optional<std::string> query_value(const std::string& query, std::string_view key);
// A whole number from the query string, or `fallback`; invalid_argument when malformed.
Result<std::int64_t> query_number(const std::string& query, std::string_view key, std::int64_t fallback);

// The HTTP answer for an Error: its kind picks the status and code.
HttpResponse error_answer(const Error& error, const std::string& request_id);

// What a handler sees once the caller is known and in scope.
struct Call {
    const HttpRequest& request;
    const Principal& principal;
    const store::Org& org;  // the caller's org: the only one it can act in
    std::int64_t now;
};

using Handler = std::function<Result<HttpResponse>(const Call&)>;

// Authenticates, resolves the org (a `?org=` naming another org is 404, as
// if it did not exist), checks `needed` against the caller's role, runs the
// handler and turns its Error into the API's error answer.
server::Handler guarded(const store::Database& database, auth::Role needed, Handler handler);

// `handler` (a guarded one), its answers marked sensitive whatever they
// are: for routes whose request or answer carries a secret, so that the
// listener wipes them once written, refusals included.
server::Handler holding_secrets(server::Handler handler);

// `handler`, and once it succeeds the live tunnels re-check their
// credentials: for changes that can take a runner's access away.
Handler revoking(RunnerTunnels& tunnels, Handler handler);

// The request body as a JSON object with only `allowed` keys.
Result<nlohmann::json> json_body(const HttpRequest& request, std::initializer_list<std::string_view> allowed);

// A required string field of `body`.
Result<std::string> string_field(const nlohmann::json& body, const char* name);

// invalid_argument unless `name` is [a-z0-9-], 1–63 characters, no '-' at the ends.
Result<Done> check_name(std::string_view what, std::string_view name);

// Appends the audit row of a change made by `call` (inside its transaction).
Result<Done> audit(const store::Database& database, const Call& call, std::string_view action, std::string target,
                   nlohmann::json detail = nlohmann::json::object());

std::string actor_of(const Principal& principal);

// Runs `change` (which writes its audit row too) in one transaction:
// committed if it succeeds, rolled back if it fails.
template <typename Change>
Result<HttpResponse> in_transaction(const store::Database& database, Change change) {
    auto transaction = store::Transaction::begin(database);
    if (!transaction) return transaction.error();
    Result<HttpResponse> answer = change();
    if (!answer) return answer;
    if (auto committed = transaction.value().commit(); !committed) return committed.error();
    return answer;
}

}  // namespace tether::server::api
