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

std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    auto append_row = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string& cell = i < cells.size() ? cells[i] : std::string();
            bool last = i + 1 == widths.size();
            fmt::format_to(std::back_inserter(out), "{:<{}}{}", cell, last ? 0 : widths[i], last ? "" : "  ");
        }
        out += '\n';
    };
    append_row(header);
    for (const auto& row : rows) append_row(row);
    return out;
}

}  // namespace tether::admin
