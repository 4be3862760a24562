#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

// Operations submitted to runners, from queued to one final status. Times
// are milliseconds since the Unix epoch: deadlines need sub-second precision.
// Every change of status is a conditional UPDATE, so the first outcome wins:
// a late answer from a runner cannot overwrite a cancel or a timeout.
namespace tether::store {

enum class OperationStatus { queued, running, succeeded, failed, cancelled, timed_out };

const char* to_string(OperationStatus status);
// invalid_argument naming the statuses there are.
Result<OperationStatus> parse_operation_status(std::string_view name);
// succeeded, failed, cancelled, timed_out: nothing changes it any more.
bool is_final(OperationStatus status);

struct Operation {
    std::int64_t id = 0;
    std::string public_id;  // "op_" + 20 base62 characters; what API callers see
    std::int64_t org_id = 0;
    std::string org;
    std::int64_t runner_id = 0;
    std::string runner;
    std::string type;    // "system.echo", "aws.call", …
    std::string params;  // JSON text
    std::optional<std::string> connection;
    std::optional<std::string> idempotency_key;
    OperationStatus status = OperationStatus::queued;
    std::string submitted_by;  // the actor: "service-account:acme/ci"
    std::int64_t created_at_ms = 0;
    std::int64_t deadline_at_ms = 0;
    std::optional<std::int64_t> started_at_ms;
    std::optional<std::int64_t> finished_at_ms;
    std::optional<std::string> result;  // JSON text
    std::optional<std::string> error_code;
    std::optional<std::string> error_message;
    std::optional<std::string> tunnel_id;  // the tunnel that ran it
};

struct NewOperation {
    std::int64_t org_id = 0;
    std::int64_t runner_id = 0;  // a live runner of org_id
    std::string type;            // 1 to 100 characters
    std::string params;          // JSON text
    std::optional<std::string> connection;
    std::optional<std::string> idempotency_key;  // 1 to 255 characters
    std::string submitted_by;
    std::int64_t created_at_ms = 0;
    std::int64_t deadline_at_ms = 0;
};

struct Submitted {
    Operation operation;
    bool created = false;  // false: an earlier submission with the same idempotency key
};

// Queues a new operation. If the org already has one with the same
// idempotency key, returns that one (created = false) when it asked for the
// same runner, type, params and connection, and already_exists otherwise.
// not_found when the runner is not a live runner of the org.
Result<Submitted> submit_operation(const Database& database, const NewOperation& request);

// not_found naming the id when the org has no such operation.
Result<Operation> find_operation(const Database& database, std::int64_t org_id, std::string_view public_id);
Result<Operation> find_operation_by_id(const Database& database, std::int64_t id);

struct OperationFilter {
    std::optional<std::int64_t> runner_id;
    std::optional<OperationStatus> status;
    std::optional<std::int64_t> before_id;  // paging: only ids below this one
    int limit = 50;                         // at least 1
};

// The org's operations, newest first.
Result<std::vector<Operation>> list_operations(const Database& database, std::int64_t org_id,
                                               const OperationFilter& filter);

// The runner's queued operations whose deadline is still ahead, oldest first.
Result<std::vector<Operation>> queued_operations(const Database& database, std::int64_t runner_id,
                                                 std::int64_t now_ms, int limit);

// queued → running on `tunnel_id`; false when it was no longer queued or its
// deadline had passed.
Result<bool> start_operation(const Database& database, std::int64_t id, std::string_view tunnel_id,
                             std::int64_t now_ms);

struct OperationOutcome {
    std::optional<std::string> result;  // JSON text
    std::optional<std::string> error_code;
    std::optional<std::string> error_message;
};

// queued or running → `final_status` (which must be final) with `outcome`;
// false when the operation was already final: the first outcome wins.
Result<bool> finish_operation(const Database& database, std::int64_t id, OperationStatus final_status,
                              const OperationOutcome& outcome, std::int64_t now_ms);

// Every queued or running operation whose deadline is at or before now_ms
// becomes timed_out with error code "deadline_exceeded". Returns those it
// changed, oldest first; the ones that were running have a tunnel_id, whose
// runner should be told to stop.
Result<std::vector<Operation>> expire_operations(const Database& database, std::int64_t now_ms);

// running → failed: those on one tunnel (its runner disconnected or was
// revoked), or every running one when tunnel_id is nullopt (the server
// restarted while they ran). Returns those it changed, oldest first.
Result<std::vector<Operation>> fail_running_operations(const Database& database,
                                                       const std::optional<std::string>& tunnel_id,
                                                       std::string_view error_code, std::string_view error_message,
                                                       std::int64_t now_ms);

// The earliest deadline among queued and running operations, so that the
// server can arm one timer; nullopt when there are none.
Result<std::optional<std::int64_t>> next_deadline_ms(const Database& database);

}  // namespace tether::store
