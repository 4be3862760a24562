#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tether::admin {

// Rows of "name  value", the names padded to one column, for people.
std::string format_pairs(const std::vector<std::pair<std::string, std::string>>& rows);

// A table with a header row, columns padded to their widest cell.
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace tether::admin
