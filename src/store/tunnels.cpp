#include "tether/store/tunnels.h"

#include "tether/store/statement.h"

namespace tether::store {
namespace {

constexpr std::string_view tunnel_columns =
    "SELECT t.id, t.runner_id, t.server_instance, t.peer_address, t.runner_version, t.hostname, "
    "t.certificate_fingerprint, t.key_id, t.connected_at_ms FROM tunnels t ";

TunnelRecord read_tunnel(const Statement& row) {
    return {row.column_text(0), row.column_int64(1), row.column_text(2), row.column_text(3), row.column_text(4),
            row.column_text(5), row.column_text(6),  row.column_text(7), row.column_int64(8)};
}

}  // namespace

Result<Done> insert_tunnel(const Database& database, const TunnelRecord& record) {
    auto inserted = execute(database,
                            "INSERT INTO tunnels (id, runner_id, server_instance, peer_address, runner_version, "
                            "hostname, certificate_fingerprint, key_id, connected_at_ms) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [&](Statement& s) {
                                s.bind(1, record.id).bind(2, record.runner_id).bind(3, record.server_instance);
                                s.bind(4, record.peer_address).bind(5, record.runner_version).bind(6, record.hostname);
                                s.bind(7, record.certificate_fingerprint).bind(8, record.key_id);
                                s.bind(9, record.connected_at_ms);
                            });
    if (!inserted && inserted.error().kind == ErrorKind::already_exists) {
        return Error{ErrorKind::already_exists, "tunnel '" + record.id + "' is already recorded"};
    }
    return inserted;
}

Result<Done> delete_tunnel(const Database& database, std::string_view id) {
    return execute(database, "DELETE FROM tunnels WHERE id = ?", [&](Statement& s) { s.bind(1, id); });
}

Result<Done> delete_tunnels_of_instance(const Database& database, std::string_view server_instance) {
    return execute(database, "DELETE FROM tunnels WHERE server_instance = ?",
                   [&](Statement& s) { s.bind(1, server_instance); });
}

Result<std::vector<TunnelRecord>> list_tunnels_of_runner(const Database& database, std::int64_t runner_id) {
    auto query = Statement::prepare(database, std::string(tunnel_columns) +
                                                  "WHERE t.runner_id = ? ORDER BY t.connected_at_ms, t.id");
    if (!query) return query.error();
    query.value().bind(1, runner_id);
    return read_all<TunnelRecord>(query.value(), read_tunnel);
}

Result<std::vector<TunnelRecord>> list_tunnels_of_org(const Database& database, std::int64_t org_id) {
    auto query = Statement::prepare(database, std::string(tunnel_columns) +
                                                  "JOIN runners r ON r.id = t.runner_id WHERE r.org_id = ? "
                                                  "ORDER BY t.runner_id, t.connected_at_ms, t.id");
    if (!query) return query.error();
    query.value().bind(1, org_id);
    return read_all<TunnelRecord>(query.value(), read_tunnel);
}

Result<Done> touch_runner_seen(const Database& database, std::int64_t runner_id, std::int64_t now) {
    return execute(database, "UPDATE runners SET last_seen_at = ? WHERE id = ?",
                   [&](Statement& s) { s.bind(1, now).bind(2, runner_id); });
}

}  // namespace tether::store
