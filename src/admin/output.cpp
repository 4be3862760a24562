#include "tether/admin/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <iostream>

#include "tether/admin/config.h"

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

namespace {

std::string utc(std::int64_t seconds, int millis = -1) {
    std::time_t at = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&at, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buffer;
    if (millis >= 0) out += fmt::format(".{:03}", millis);
    return out + "Z";
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_seconds_time(std::string_view field) { return field == "at" || ends_with(field, "_at"); }

}  // namespace

std::string cell_text(const std::string& field, const nlohmann::json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_integer() && is_seconds_time(field)) return utc(value.get<std::int64_t>());
    if (value.is_number_integer() && ends_with(field, "_at_ms")) {
        auto ms = value.get<std::int64_t>();
        return utc(ms / 1000, static_cast<int>(ms % 1000));
    }
    return value.dump();
}

std::string column_header(std::string_view field) {
    for (std::string_view suffix : {"_at_ms", "_at"}) {
        if (ends_with(field, suffix)) {
            field.remove_suffix(suffix.size());
            break;
        }
    }
    std::string header(field);
    std::replace(header.begin(), header.end(), '_', ' ');
    return header;
}

int print_list(const AdminConfig& config, const nlohmann::json& answer, const char* list,
               const std::vector<std::string>& columns) {
    if (config.output == Output::json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : answer.at(list)) {
        std::vector<std::string> row;
        for (const auto& column : columns) row.push_back(cell_text(column, item.value(column, nlohmann::json())));
        rows.push_back(std::move(row));
    }
    std::vector<std::string> headers;
    for (const auto& column : columns) headers.push_back(column_header(column));
    std::cout << format_table(headers, rows);
    return 0;
}

int print_object(const AdminConfig& config, const nlohmann::json& answer) {
    if (config.output == Output::json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& [key, value] : answer.items()) rows.emplace_back(key, cell_text(key, value));
    std::cout << format_pairs(rows);
    return 0;
}

}  // namespace tether::admin
