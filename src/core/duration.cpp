#include "tether/core/duration.h"

#include <charconv>
#include <cstdint>

namespace tether {
namespace {

struct Unit {
    std::string_view name;
    std::int64_t millis;
};

// Longest names first so that "ms" is not read as "m".
constexpr Unit units[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

// Bounds the total so that no sum or product can overflow (about 292 years).
constexpr std::int64_t max_millis = std::int64_t{1} << 53;

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    while (!text.empty()) {
        std::int64_t number = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec != std::errc{} || end == text.data() || number < 0 || number > max_millis) return std::nullopt;
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        const Unit* unit = nullptr;
        for (const Unit& u : units) {
            if (text.substr(0, u.name.size()) == u.name) {
                unit = &u;
                break;
            }
        }
        if (unit == nullptr) return std::nullopt;
        text.remove_prefix(unit->name.size());
        if (number > (max_millis - total) / unit->millis) return std::nullopt;
        total += number * unit->millis;
    }
    return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds duration) {
    std::int64_t left = duration.count();
    if (left == 0) return "0s";
    std::string out;
    if (left < 0) {
        out += '-';
        left = -left;
    }
    for (auto it = std::rbegin(units); it != std::rend(units); ++it) {
        if (left >= it->millis) {
            out += std::to_string(left / it->millis);
            out += it->name;
            left %= it->millis;
        }
    }
    return out;
}

}  // namespace tether
