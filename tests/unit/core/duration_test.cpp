#include <doctest/doctest.h>

#include "tether/core/duration.h"

using namespace std::chrono;
using tether::format_duration;
using tether::parse_duration;

TEST_CASE("durations parse in Go/systemd style") {
    CHECK(parse_duration("30s") == seconds(30));
    CHECK(parse_duration("1h30m") == minutes(90));
    CHECK(parse_duration("500ms") == milliseconds(500));
    CHECK(parse_duration("2d") == hours(48));
    CHECK(parse_duration("1m1s1ms") == milliseconds(61'001));
}

TEST_CASE("malformed or overflowing durations are refused") {
    for (const char* bad : {"", "30", "s", "1x", "-5s", "1.5h", "1h ", "99999999999999999999s", "9007199254740993ms"}) {
        CHECK_MESSAGE(!parse_duration(bad).has_value(), bad);
    }
}

TEST_CASE("format_duration is the inverse of parse_duration") {
    for (const char* text : {"0s", "1ms", "30s", "1h30m", "2d3h", "1m1s1ms"}) {
        CHECK(format_duration(*parse_duration(text)) == text);
    }
}
