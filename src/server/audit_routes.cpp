#include "audit_routes.h"

#include <charconv>

#include "api_support.h"
#include "tether/store/audit_log.h"

namespace tether::server {
namespace {

// A whole number from the query string, or `fallback`; invalid_argument when malformed.
Result<std::int64_t> query_number(const std::string& query, std::string_view key, std::int64_t fallback) {
    std::string prefix = std::string(key) + "=";
    std::size_t at = query.find(prefix);
    while (at != std::string::npos && at != 0 && query[at - 1] != '&') at = query.find(prefix, at + 1);
    if (at == std::string::npos) return fallback;
    std::string_view digits(query.c_str() + at + prefix.size());
    digits = digits.substr(0, digits.find('&'));
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || value < 0) {
        return Error{ErrorKind::invalid_argument, std::string(key) + " must be a whole number"};
    }
    return value;
}

}  // namespace

void add_audit_routes(Router& router, const store::Database& database) {
    router.add("GET", "/v1/audit",
               api::guarded(database, auth::Role::admin, [&database](const api::Call& call) -> Result<HttpResponse> {
                   auto after = query_number(call.request.query, "after", 0);
                   if (!after) return after.error();
                   auto limit = query_number(call.request.query, "limit", 100);
                   if (!limit) return limit.error();
                   auto rows = store::list_audit(database, call.org.name, after.value(),
                                                 static_cast<int>(std::clamp<std::int64_t>(limit.value(), 1, 1000)));
                   if (!rows) return rows.error();
                   nlohmann::json list = nlohmann::json::array();
                   for (const auto& row : rows.value()) {
                       list.push_back({{"id", row.id},
                                       {"at", row.at},
                                       {"request_id", row.record.request_id},
                                       {"actor", row.record.actor},
                                       {"action", row.record.action},
                                       {"target", row.record.target},
                                       {"detail", nlohmann::json::parse(row.record.detail, nullptr, false)},
                                       {"hash", row.hash}});
                   }
                   return api::json_response(200, {{"entries", list}});
               }));

    router.add("GET", "/v1/audit/verify",
               api::guarded(database, auth::Role::admin, [&database](const api::Call&) -> Result<HttpResponse> {
                   auto check = store::verify_audit_chain(database);
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
