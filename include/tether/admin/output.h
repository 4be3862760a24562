#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tether::admin {

// Rows of "name  value", the names padded to one column, for people.
std::string format_pairs(const std::vector<std::pair<std::string, std::string>>& rows);

}  // namespace tether::admin
