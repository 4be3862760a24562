#include "tether/ops/catalog.h"

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

}  // namespace tether::ops
