#include "audit_routes.h"

#include "api_support.h"
#include "tether/store/audit_log.h"

namespace tether::server {
void add_audit_routes(Router& router, const store::Database& database) {
    router.add("GET", "/v1/audit",
               api::guarded(database, auth::Role::admin, [&database](const api::Call& call) -> Result<HttpResponse> {
                   auto after = api::query_number(call.request.query, "after", 0);
                   if (!after) return after.error();
                   auto limit = api::query_number(call.request.query, "limit", 100);
                   if (!limit) return limit.error();
                   auto rows = store::list_audit(database, call.org.name, after.value(),
                                                 static_cast<int>(std::clamp<std::int64_t>(limit.value(), 1, 1000)));
                   if (!rows) return rows.error();
                   nlohmann::json list = nlohmann::json::array();
                   for (const auto& row : rows.value()) {
                       list.push_back({{"id", row.seq},
                                       {"at", row.at},
                                       {"request_id", row.record.request_id},
                                       {"actor", row.record.actor},
                                       {"action", row.record.action},
                                       {"target", row.record.target},
                                       {"detail", nlohmann::json::parse(row.record.detail, nullptr, false)},  // written by this server
                                       {"hash", row.hash}});
                   }
                   return api::json_response(200, {{"entries", list}});
               }));

    router.add("GET", "/v1/audit/verify",
               api::guarded(database, auth::Role::admin, [&database](const api::Call& call) -> Result<HttpResponse> {
                   auto check = store::verify_audit_chain(database, call.org.name);
                   if (!check) return check.error();
                   nlohmann::json answer = {{"intact", !check.value().broken_at.has_value()},
                                            {"rows_checked", check.value().rows_checked}};
                   if (check.value().broken_at) {
                       answer["broken_at"] = *check.value().broken_at;
                       answer["reason"] = check.value().reason;
                   }
                   return api::json_response(200, answer);
               }));
}

}  // namespace tether::server
