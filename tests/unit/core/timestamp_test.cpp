// RFC 3339 timestamps as cloud APIs return them.
#include <doctest/doctest.h>

#include "tether/core/timestamp.h"

using namespace std::chrono;
using tether::format_timestamp;
using tether::parse_timestamp;

namespace {

system_clock::time_point at(std::int64_t unix_seconds, std::int64_t micros = 0) {
    return system_clock::time_point(
        duration_cast<system_clock::duration>(seconds(unix_seconds) + microseconds(micros)));
}

}  // namespace

TEST_CASE("UTC timestamps, with and without fractions, and with offsets") {
    CHECK(parse_timestamp("2026-11-29T15:00:00Z").value() == at(1'795'964'400));
    CHECK(parse_timestamp("2011-07-15T23:28:33.359Z").value() == at(1'310'772'513, 359'000));
    CHECK(parse_timestamp("2011-07-15T23:28:33.123456789Z").value() == at(1'310'772'513, 123'456));
    CHECK(parse_timestamp("2026-11-29T15:00:00+00:00").value() == at(1'795'964'400));
    CHECK(parse_timestamp("2026-11-29T17:30:00+02:30").value() == at(1'795'964'400));
    CHECK(parse_timestamp("2026-11-29T10:00:00-05:00").value() == at(1'795'964'400));
    CHECK(parse_timestamp("2026-11-29t15:00:00z").value() == at(1'795'964'400));
    CHECK(parse_timestamp("1970-01-01T00:00:00Z").value() == at(0));
    CHECK(parse_timestamp("2024-02-29T00:00:00Z"));
}

TEST_CASE("malformed timestamps are refused, saying what is wrong") {
    for (const char* bad : {"", "2026-11-29", "2026-11-29T15:00:00", "2026-11-29 15:00:00Z", "2026-13-01T00:00:00Z",
                            "2025-02-29T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T15:60:00Z",
                            "2026-11-29T15:00:00.Z", "2026-11-29T15:00:00+0000", "2026-11-29T15:00:00Zjunk",
                            "26-11-29T15:00:00Z", "2026-11-29T15:00:00+24:00", "1700000000",
                            // Past what system_clock holds (tests/fuzz/cloud_answer_fuzz found the overflow).
                            "9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "0001-01-01T00:00:00Z"}) {
        CAPTURE(bad);
        auto parsed = parse_timestamp(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == tether::ErrorKind::invalid_argument);
        CHECK(parsed.error().message.find("RFC 3339") != std::string::npos);
    }
}

TEST_CASE("format_timestamp writes what parse_timestamp reads") {
    CHECK(format_timestamp(at(1'795'964'400, 999'999)) == "2026-11-29T15:00:00Z");
    CHECK(parse_timestamp(format_timestamp(at(951'782'400))).value() == at(951'782'400));
}
