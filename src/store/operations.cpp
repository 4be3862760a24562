#include "tether/store/operations.h"

#include <algorithm>
#include <array>

#include "tether/crypto/random.h"
#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::array all_statuses = {OperationStatus::queued,    OperationStatus::running,
                                     OperationStatus::succeeded, OperationStatus::failed,
                                     OperationStatus::cancelled, OperationStatus::timed_out};

constexpr std::string_view operation_columns =
    "SELECT op.id, op.public_id, op.org_id, o.name, op.runner_id, r.name, op.type, op.params, op.connection, "
    "op.idempotency_key, op.status, op.submitted_by, op.created_at_ms, op.deadline_at_ms, op.started_at_ms, "
    "op.finished_at_ms, op.result, op.error_code, op.error_message, op.tunnel_id "
    "FROM operations op JOIN orgs o ON o.id = op.org_id JOIN runners r ON r.id = op.runner_id ";

std::optional<OperationStatus> status_named(std::string_view name) {
    for (OperationStatus status : all_statuses) {
        if (name == to_string(status)) return status;
    }
    return std::nullopt;
}

Operation read_operation(const Statement& row) {
    Operation operation;
    operation.id = row.column_int64(0);
    operation.public_id = row.column_text(1);
    operation.org_id = row.column_int64(2);
    operation.org = row.column_text(3);
    operation.runner_id = row.column_int64(4);
    operation.runner = row.column_text(5);
    operation.type = row.column_text(6);
    operation.params = row.column_text(7);
    operation.connection = row.column_optional_text(8);
    operation.idempotency_key = row.column_optional_text(9);
    // The CHECK constraint admits only known statuses.
    operation.status = status_named(row.column_text(10)).value_or(OperationStatus::failed);
    operation.submitted_by = row.column_text(11);
    operation.created_at_ms = row.column_int64(12);
    operation.deadline_at_ms = row.column_int64(13);
    operation.started_at_ms = row.column_optional_int64(14);
    operation.finished_at_ms = row.column_optional_int64(15);
    operation.result = row.column_optional_text(16);
    operation.error_code = row.column_optional_text(17);
    operation.error_message = row.column_optional_text(18);
    operation.tunnel_id = row.column_optional_text(19);
    return operation;
}

Result<std::optional<Operation>> find_by_idempotency_key(const Database& database, std::int64_t org_id,
                                                         const std::string& key) {
    auto query =
        Statement::prepare(database, std::string(operation_columns) + "WHERE op.org_id = ? AND op.idempotency_key = ?");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, key);
    auto row = query.value().step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<Operation>();
    return std::optional<Operation>(read_operation(query.value()));
}

// A retry gets the first operation back; another request under the same key is a conflict.
Result<Submitted> earlier_submission(Operation earlier, const NewOperation& request) {
    if (earlier.runner_id != request.runner_id || earlier.type != request.type || earlier.params != request.params ||
        earlier.connection != request.connection) {
        return Error{ErrorKind::already_exists, "idempotency key '" + *request.idempotency_key +
                                                    "' was already used for a different operation (" +
                                                    earlier.public_id + "); use a new key for a new request"};
    }
    return Submitted{std::move(earlier), false};
}

// Reads back the rows an UPDATE … RETURNING id changed, oldest first.
Result<std::vector<Operation>> changed_operations(const Database& database, Statement& update) {
    auto ids = read_all<std::int64_t>(update, [](const Statement& row) { return row.column_int64(0); });
    if (!ids) return ids.error();
    std::sort(ids.value().begin(), ids.value().end());
    std::vector<Operation> changed;
    for (std::int64_t id : ids.value()) {
        auto operation = find_operation_by_id(database, id);
        if (!operation) return operation.error();
        changed.push_back(std::move(operation).value());
    }
    return changed;
}

// Whether a statement ending in RETURNING changed a row.
Result<bool> changed_a_row(Statement& update) {
    auto row = update.step();
    if (!row) return row.error();
    bool changed = row.value();
    if (auto rest = update.run(); !rest) return rest.error();
    return changed;
}

}  // namespace

const char* to_string(OperationStatus status) {
    switch (status) {
        case OperationStatus::queued: return "queued";
        case OperationStatus::running: return "running";
        case OperationStatus::succeeded: return "succeeded";
        case OperationStatus::failed: return "failed";
        case OperationStatus::cancelled: return "cancelled";
        case OperationStatus::timed_out: return "timed_out";
    }
    return "failed";
}

Result<OperationStatus> parse_operation_status(std::string_view name) {
    if (auto status = status_named(name)) return *status;
    return Error{ErrorKind::invalid_argument,
                 "unknown operation status '" + std::string(name) +
                     "': use queued, running, succeeded, failed, cancelled or timed_out"};
}

bool is_final(OperationStatus status) {
    return status != OperationStatus::queued && status != OperationStatus::running;
}

Result<Submitted> submit_operation(const Database& database, const NewOperation& request) {
    if (request.type.empty() || request.type.size() > 100) {
        return Error{ErrorKind::invalid_argument, "an operation type has 1 to 100 characters"};
    }
    if (request.idempotency_key) {
        if (request.idempotency_key->empty() || request.idempotency_key->size() > 255) {
            return Error{ErrorKind::invalid_argument, "an idempotency key has 1 to 255 characters"};
        }
        auto earlier = find_by_idempotency_key(database, request.org_id, *request.idempotency_key);
        if (!earlier) return earlier.error();
        if (earlier.value()) return earlier_submission(std::move(*earlier.value()), request);
    }
    // The runner check sits in the INSERT itself, so a runner deleted a
    // moment ago, or one of another org, never gets work queued.
    auto insert = Statement::prepare(
        database,
        "INSERT INTO operations (public_id, org_id, runner_id, type, params, connection, idempotency_key, status, "
        "submitted_by, created_at_ms, deadline_at_ms) "
        "SELECT ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ? "
        "WHERE EXISTS (SELECT 1 FROM runners WHERE id = ? AND org_id = ? AND deleted_at IS NULL) "
        "RETURNING id");
    if (!insert) return insert.error();
    Statement& s = insert.value();
    s.bind(1, "op_" + crypto::random_base62(20)).bind(2, request.org_id).bind(3, request.runner_id);
    s.bind(4, request.type).bind(5, request.params).bind_optional_text(6, request.connection);
    s.bind_optional_text(7, request.idempotency_key).bind(8, request.submitted_by);
    s.bind(9, request.created_at_ms).bind(10, request.deadline_at_ms).bind(11, request.runner_id);
    s.bind(12, request.org_id);
    auto row = s.step();
    if (!row) {
        // Another writer took the key between our look and our insert.
        if (row.error().kind == ErrorKind::already_exists && request.idempotency_key) {
            auto earlier = find_by_idempotency_key(database, request.org_id, *request.idempotency_key);
            if (earlier && earlier.value()) return earlier_submission(std::move(*earlier.value()), request);
        }
        return row.error();
    }
    if (!row.value()) return Error{ErrorKind::not_found, "no such runner in this org; it may have been deleted"};
    std::int64_t id = s.column_int64(0);
    if (auto rest = s.run(); !rest) return rest.error();
    auto operation = find_operation_by_id(database, id);
    if (!operation) return operation.error();
    return Submitted{std::move(operation).value(), true};
}

Result<Operation> find_operation(const Database& database, std::int64_t org_id, std::string_view public_id) {
    auto query =
        Statement::prepare(database, std::string(operation_columns) + "WHERE op.org_id = ? AND op.public_id = ?");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, public_id);
    return read_one<Operation>(query.value(), read_operation, "no operation '" + std::string(public_id) + "'");
}

Result<Operation> find_operation_by_id(const Database& database, std::int64_t id) {
    auto query = Statement::prepare(database, std::string(operation_columns) + "WHERE op.id = ?");
    if (!query) return query.error();
    query.value().bind(1, id);
    return read_one<Operation>(query.value(), read_operation, "no operation with id " + std::to_string(id));
}

Result<std::vector<Operation>> list_operations(const Database& database, std::int64_t org_id,
                                               const OperationFilter& filter) {
    if (filter.limit < 1) return Error{ErrorKind::invalid_argument, "a list of operations has a limit of at least 1"};
    std::string sql = std::string(operation_columns) + "WHERE op.org_id = ?";
    if (filter.runner_id) sql += " AND op.runner_id = ?";
    if (filter.status) sql += " AND op.status = ?";
    if (filter.before_id) sql += " AND op.id < ?";
    sql += " ORDER BY op.id DESC LIMIT ?";
    auto query = Statement::prepare(database, sql);
    if (!query) return query.error();
    int index = 1;
    query.value().bind(index++, org_id);
    if (filter.runner_id) query.value().bind(index++, *filter.runner_id);
    if (filter.status) query.value().bind(index++, std::string_view(to_string(*filter.status)));
    if (filter.before_id) query.value().bind(index++, *filter.before_id);
    query.value().bind(index, std::int64_t{filter.limit});
    return read_all<Operation>(query.value(), read_operation);
}

Result<std::vector<Operation>> queued_operations(const Database& database, std::int64_t runner_id,
                                                 std::int64_t now_ms, int limit) {
    if (limit < 1) return std::vector<Operation>();
    // The unary + keeps the planner on (runner_id, status, id) rather than
    // scanning every runner's queued work by deadline.
    auto query = Statement::prepare(database, std::string(operation_columns) +
                                                  "WHERE op.runner_id = ? AND op.status = 'queued' "
                                                  "AND +op.deadline_at_ms > ? ORDER BY op.id LIMIT ?");
    if (!query) return query.error();
    query.value().bind(1, runner_id).bind(2, now_ms).bind(3, std::int64_t{limit});
    return read_all<Operation>(query.value(), read_operation);
}

Result<bool> start_operation(const Database& database, std::int64_t id, std::string_view tunnel_id,
                             std::int64_t now_ms) {
    auto update = Statement::prepare(database,
                                     "UPDATE operations SET status = 'running', started_at_ms = ?, tunnel_id = ? "
                                     "WHERE id = ? AND status = 'queued' AND deadline_at_ms > ? RETURNING id");
    if (!update) return update.error();
    update.value().bind(1, now_ms).bind(2, tunnel_id).bind(3, id).bind(4, now_ms);
    return changed_a_row(update.value());
}

Result<bool> finish_operation(const Database& database, std::int64_t id, OperationStatus final_status,
                              const OperationOutcome& outcome, std::int64_t now_ms) {
    if (!is_final(final_status)) {
        return Error{ErrorKind::internal,
                     std::string("an operation cannot finish as ") + to_string(final_status) + ", which is not final"};
    }
    auto update = Statement::prepare(database,
                                     "UPDATE operations SET status = ?, finished_at_ms = ?, result = ?, "
                                     "error_code = ?, error_message = ? "
                                     "WHERE id = ? AND status IN ('queued', 'running') RETURNING id");
    if (!update) return update.error();
    Statement& s = update.value();
    s.bind(1, std::string_view(to_string(final_status))).bind(2, now_ms).bind_optional_text(3, outcome.result);
    s.bind_optional_text(4, outcome.error_code).bind_optional_text(5, outcome.error_message).bind(6, id);
    return changed_a_row(s);
}

Result<std::vector<Operation>> expire_operations(const Database& database, std::int64_t now_ms) {
    // SET sees the row as it was, so the CASE tells queued from running.
    auto update = Statement::prepare(
        database,
        "UPDATE operations SET status = 'timed_out', finished_at_ms = ?, error_code = 'deadline_exceeded', "
        "error_message = CASE status "
        "WHEN 'queued' THEN 'the deadline passed while the operation was queued: no runner took it in time' "
        "ELSE 'the deadline passed while the operation was running' END "
        "WHERE status IN ('queued', 'running') AND deadline_at_ms <= ? RETURNING id");
    if (!update) return update.error();
    update.value().bind(1, now_ms).bind(2, now_ms);
    return changed_operations(database, update.value());
}

Result<std::vector<Operation>> fail_running_operations(const Database& database,
                                                       const std::optional<std::string>& tunnel_id,
                                                       std::string_view error_code, std::string_view error_message,
                                                       std::int64_t now_ms) {
    std::string sql =
        "UPDATE operations SET status = 'failed', finished_at_ms = ?, error_code = ?, error_message = ? "
        "WHERE status = 'running'";
    sql += tunnel_id ? " AND tunnel_id = ? RETURNING id" : " RETURNING id";
    auto update = Statement::prepare(database, sql);
    if (!update) return update.error();
    update.value().bind(1, now_ms).bind(2, error_code).bind(3, error_message);
    if (tunnel_id) update.value().bind(4, *tunnel_id);
    return changed_operations(database, update.value());
}

Result<std::optional<std::int64_t>> next_deadline_ms(const Database& database) {
    auto query = Statement::prepare(
        database, "SELECT min(deadline_at_ms) FROM operations WHERE status IN ('queued', 'running')");
    if (!query) return query.error();
    auto row = query.value().step();
    if (!row) return row.error();
    return query.value().column_optional_int64(0);
}

}  // namespace tether::store
