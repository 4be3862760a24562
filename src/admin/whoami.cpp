#include <iostream>

#include "tether/admin/api_client.h"
#include "tether/admin/commands.h"
#include "tether/admin/output.h"

namespace tether::admin {

int whoami(const AdminConfig& config) {
    auto me = call_api(config, "GET", api_path({"whoami"}));
    if (!me) fail(me.error());
    const nlohmann::json& body = me.value();
    if (config.output == Output::json) {
        std::cout << body.dump(2) << "\n";
        return 0;
    }
    std::vector<std::pair<std::string, std::string>> rows;
    for (const char* field : {"org", "service_account", "kind", "role", "key_id"}) {
        rows.emplace_back(field, body.value(field, ""));
    }
    std::cout << format_pairs(rows);
    return 0;
}

}  // namespace tether::admin
