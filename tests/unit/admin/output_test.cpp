#include <doctest/doctest.h>

#include "tether/admin/output.h"

using tether::admin::cell_text;
using tether::admin::column_header;
using tether::admin::format_table;

TEST_CASE("column headers say what a person reads: times without their unit suffix, spaces for underscores") {
    CHECK(column_header("created_at_ms") == "created");
    CHECK(column_header("finished_at_ms") == "finished");
    CHECK(column_header("last_used_at") == "last used");
    CHECK(column_header("key_id") == "key id");
    CHECK(column_header("at") == "at");
    CHECK(column_header("status") == "status");
}

TEST_CASE("time cells are UTC times whether the field counts seconds or milliseconds; null is a dash") {
    CHECK(cell_text("created_at", 1'700'000'000) == "2023-11-14T22:13:20Z");
    CHECK(cell_text("at", 1'700'000'000) == "2023-11-14T22:13:20Z");
    CHECK(cell_text("created_at_ms", 1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
    CHECK(cell_text("finished_at_ms", nullptr) == "-");
    CHECK(cell_text("count", 3) == "3");
    CHECK(cell_text("name", "edge-1") == "edge-1");
}

TEST_CASE("a table pads each column to its widest cell, header included") {
    CHECK(format_table({"id", "status"}, {{"op_1", "queued"}, {"op_22", "succeeded"}}) ==
          "id     status\n"
          "op_1   queued\n"
          "op_22  succeeded\n");
}
