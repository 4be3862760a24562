#include "tether/ops/catalog.h"

#include <algorithm>

namespace tether::ops {

Result<Done> Catalog::add(std::string name, Handler handler) {
    if (handlers_.count(name) != 0) {
        return Error{ErrorKind::already_exists, "operation '" + name + "' is registered twice"};
    }
    handlers_.emplace(std::move(name), std::move(handler));
    return Done{};
}

const Handler* Catalog::find(std::string_view name) const {
    auto it = handlers_.find(name);
    return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalog::names() const {
    std::vector<std::string> names;
    for (const auto& [name, handler] : handlers_) names.push_back(name);
    return names;
}

bool is_known_operation(std::string_view type) {
    static constexpr std::string_view known[] = {"aws.call", "system.echo", "system.generate", "system.info",
                                                 "system.sleep", "kubernetes.call"};
    return std::find(std::begin(known), std::end(known), type) != std::end(known);
}

}  // namespace tether::ops
