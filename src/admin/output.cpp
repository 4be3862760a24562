#include "tether/admin/output.h"

#include <fmt/format.h>

#include <algorithm>

namespace tether::admin {

std::string format_pairs(const std::vector<std::pair<std::string, std::string>>& rows) {
    std::size_t width = 0;
    for (const auto& [name, value] : rows) width = std::max(width, name.size());
    std::string out;
    for (const auto& [name, value] : rows) fmt::format_to(std::back_inserter(out), "{:<{}}  {}\n", name, width, value);
    return out;
}

}  // namespace tether::admin
