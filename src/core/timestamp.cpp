#include "tether/core/timestamp.h"

#include <array>
#include <cstdio>

namespace tether {
namespace {

using namespace std::chrono;

Error invalid_timestamp(std::string_view text, std::string_view why) {
    return {
        ErrorKind::invalid_argument,
        "'" + std::string(text) + "' is not an RFC 3339 timestamp (like 2026-11-29T15:00:00Z): " + std::string(why)};
}

// Reads exactly `count` digits at `at`, advancing it; -1 if they are not there.
int digits(std::string_view text, std::size_t& at, std::size_t count) {
    if (at + count > text.size()) return -1;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        char c = text[at + i];
        if (c < '0' || c > '9') return -1;
        value = value * 10 + (c - '0');
    }
    at += count;
    return value;
}

bool expect(std::string_view text, std::size_t& at, char wanted) {
    if (at >= text.size() || text[at] != wanted) return false;
    ++at;
    return true;
}

}  // namespace

Result<system_clock::time_point> parse_timestamp(std::string_view text) {
    std::size_t at = 0;
    int year = digits(text, at, 4);
    bool date_ok = year >= 0 && expect(text, at, '-');
    int month = date_ok ? digits(text, at, 2) : -1;
    date_ok = date_ok && month >= 0 && expect(text, at, '-');
    int day = date_ok ? digits(text, at, 2) : -1;
    if (!date_ok || day < 0) return invalid_timestamp(text, "the date is not YYYY-MM-DD");
    year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                        std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok()) return invalid_timestamp(text, "there is no such day");
    // system_clock counts nanoseconds in 64 bits: 1677 to 2262. Found by
    // tests/fuzz/cloud_answer_fuzz: a year 9999 expiry overflowed.
    if (year < 1970 || year > 2261) return invalid_timestamp(text, "the year is outside 1970 to 2261");
    if (at >= text.size() || (text[at] != 'T' && text[at] != 't')) return invalid_timestamp(text, "no 'T' after the date");
    ++at;

    int hour = digits(text, at, 2);
    bool time_ok = hour >= 0 && expect(text, at, ':');
    int minute = time_ok ? digits(text, at, 2) : -1;
    time_ok = time_ok && minute >= 0 && expect(text, at, ':');
    int second = time_ok ? digits(text, at, 2) : -1;
    if (!time_ok || second < 0) return invalid_timestamp(text, "the time is not HH:MM:SS");
    if (hour > 23 || minute > 59 || second > 59) return invalid_timestamp(text, "the time of day is out of range");

    microseconds fraction{0};
    if (at < text.size() && text[at] == '.') {
        ++at;
        std::size_t start = at;
        std::int64_t scale = 100'000;
        for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
            fraction += microseconds((text[at] - '0') * scale);
            scale /= 10;
        }
        if (at == start) return invalid_timestamp(text, "no digits after the decimal point");
    }

    minutes offset{0};
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        int sign = text[at] == '-' ? -1 : 1;
        ++at;
        int offset_hours = digits(text, at, 2);
        bool offset_ok = offset_hours >= 0 && expect(text, at, ':');
        int offset_minutes = offset_ok ? digits(text, at, 2) : -1;
        if (!offset_ok || offset_minutes < 0 || offset_hours > 23 || offset_minutes > 59) {
            return invalid_timestamp(text, "the offset is not +HH:MM or -HH:MM");
        }
        offset = minutes(sign * (offset_hours * 60 + offset_minutes));
    } else {
        return invalid_timestamp(text, "no time zone ('Z' or an offset like +00:00)");
    }
    if (at != text.size()) return invalid_timestamp(text, "text follows the time zone");

    auto local = sys_days(date) + hours(hour) + minutes(minute) + seconds(second) + fraction;
    return time_point_cast<system_clock::duration>(local - offset);
}

std::string format_timestamp(system_clock::time_point time) {
    auto seconds_since = floor<seconds>(time);
    auto day_start = floor<days>(seconds_since);
    year_month_day date(day_start);
    hh_mm_ss<seconds> clock(seconds_since - day_start);
    std::array<char, 32> out{};
    int size =
        std::snprintf(out.data(), out.size(), "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(date.year()),
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                      static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                      static_cast<long long>(clock.seconds().count()));
    return std::string(out.data(), static_cast<std::size_t>(size));
}

std::int64_t unix_now_ms() {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

std::int64_t unix_now_seconds() { return unix_now_ms() / 1000; }

}  // namespace tether
