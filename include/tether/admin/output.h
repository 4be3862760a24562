#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::admin {

// Rows of "name  value", the names padded to one column, for people.
std::string format_pairs(const std::vector<std::pair<std::string, std::string>>& rows);

// A table with a header row, columns padded to their widest cell.
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// A cell for people: null is "-"; times (fields named at or *_at, Unix
// seconds, and *_at_ms, milliseconds) in UTC; other values as JSON.
std::string cell_text(const std::string& field, const nlohmann::json& value);

// A column header for people: "created_at_ms" is "created", "key_id" is
// "key id".
std::string column_header(std::string_view field);

struct AdminConfig;

// Prints `answer` as JSON (-o json), or as a table of `columns` (fields of
// the items in the array under `list`, headed by column_header). Returns 0,
// the command's exit code.
int print_list(const AdminConfig& config, const nlohmann::json& answer, const char* list,
               const std::vector<std::string>& columns);

// Prints `answer` as JSON (-o json), or as "key  value" lines.
int print_object(const AdminConfig& config, const nlohmann::json& answer);

}  // namespace tether::admin
