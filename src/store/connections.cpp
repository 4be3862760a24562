#include "tether/store/connections.h"

#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view connection_columns =
    "SELECT c.id, c.org_id, o.name, c.name, c.provider, c.auth_mode, c.settings, c.sealed_credentials, "
    "c.created_by, c.created_at FROM connections c JOIN orgs o ON o.id = c.org_id ";

Connection read_connection(const Statement& row) {
    Connection connection{row.column_int64(0), row.column_int64(1), row.column_text(2), row.column_text(3),
                          row.column_text(4),  row.column_text(5),  row.column_text(6), std::nullopt,
                          row.column_text(8),  row.column_int64(9)};
    if (!row.column_is_null(7)) connection.sealed_credentials = row.column_blob(7);
    return connection;
}

}  // namespace

Result<Connection> insert_connection(const Database& database, const Connection& connection) {
    auto inserted = execute(database,
                            "INSERT INTO connections (org_id, name, provider, auth_mode, settings, sealed_credentials, "
                            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [&](Statement& s) {
                                s.bind(1, connection.org_id).bind(2, connection.name).bind(3, connection.provider);
                                s.bind(4, connection.auth_mode).bind(5, connection.settings);
                                if (connection.sealed_credentials) {
                                    s.bind_blob(6, *connection.sealed_credentials);
                                } else {
                                    s.bind(6, std::nullopt);
                                }
                                s.bind(7, connection.created_by).bind(8, connection.created_at);
                            });
    if (!inserted) {
        if (inserted.error().kind == ErrorKind::already_exists) {
            return Error{ErrorKind::already_exists, "connection '" + connection.name + "' already exists"};
        }
        return inserted.error();
    }
    return find_connection(database, connection.org_id, connection.name);
}

Result<Connection> find_connection(const Database& database, std::int64_t org_id, std::string_view name) {
    auto query = Statement::prepare(database, std::string(connection_columns) +
                                                  "WHERE c.org_id = ? AND c.name = ? AND c.deleted_at IS NULL");
    if (!query) return query.error();
    query.value().bind(1, org_id).bind(2, name);
    return read_one<Connection>(query.value(), read_connection, "no connection '" + std::string(name) + "'");
}

Result<std::vector<Connection>> list_connections(const Database& database, std::int64_t org_id) {
    auto query = Statement::prepare(database, std::string(connection_columns) +
                                                  "WHERE c.org_id = ? AND c.deleted_at IS NULL ORDER BY c.name");
    if (!query) return query.error();
    query.value().bind(1, org_id);
    return read_all<Connection>(query.value(), read_connection);
}

Result<Done> delete_connection(const Database& database, std::int64_t id, std::int64_t now) {
    return execute(database,
                   "UPDATE connections SET deleted_at = ?, sealed_credentials = NULL "
                   "WHERE id = ? AND deleted_at IS NULL",
                   [&](Statement& s) { s.bind(1, now).bind(2, id); });
}

Result<Connection> update_connection(const Database& database, const Connection& connection) {
    auto updated = execute(database,
                           "UPDATE connections SET auth_mode = ?, settings = ?, sealed_credentials = ? "
                           "WHERE id = ? AND deleted_at IS NULL",
                           [&](Statement& s) {
                               s.bind(1, connection.auth_mode).bind(2, connection.settings);
                               if (connection.sealed_credentials) {
                                   s.bind_blob(3, *connection.sealed_credentials);
                               } else {
                                   s.bind(3, std::nullopt);
                               }
                               s.bind(4, connection.id);
                           });
    if (!updated) return updated.error();
    return find_connection(database, connection.org_id, connection.name);
}

}  // namespace tether::store
