#include <doctest/doctest.h>

#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "tether/core/log.h"
#include "tether/server/connection_gate.h"

using namespace tether;
using tether::server::ConnectionGate;

namespace {

// The log lines written while it lives.
struct GateLogCapture {
    std::vector<std::string> lines;
    GateLogCapture() {
        log::set_format(log::Format::json);
        log::set_level(log::Level::warn);
        log::set_sink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~GateLogCapture() {
        log::set_sink({});
        log::set_level(log::Level::error);  // as tests/unit/main.cpp leaves it
    }
};

const log::Logger gate_log("gate-test");

}  // namespace

TEST_CASE("gate: one address gets per_address slots until they prove themselves; others still get in") {
    GateLogCapture captured;
    ConnectionGate gate(gate_log, {10, 3});
    std::vector<ConnectionGate::Ticket> held;
    for (int i = 0; i < 3; ++i) held.push_back(*gate.admit("10.0.0.1"));
    CHECK_FALSE(gate.admit("10.0.0.1"));
    auto other = gate.admit("10.0.0.2");
    REQUIRE(other);
    CHECK(gate.open() == 4);

    // A proven connection no longer counts toward its address.
    held[0].proven();
    CHECK(held[0].is_proven());
    auto again = gate.admit("10.0.0.1");
    REQUIRE(again);
    CHECK(gate.open() == 5);

    // Closing frees the slot, proven or not.
    held.clear();
    CHECK(gate.open() == 2);
    for (int i = 0; i < 2; ++i) held.push_back(*gate.admit("10.0.0.1"));
    CHECK_FALSE(gate.admit("10.0.0.1"));
}

TEST_CASE("gate: the total holds for proven and unproven alike") {
    GateLogCapture captured;
    ConnectionGate gate(gate_log, {3, 3});
    std::vector<ConnectionGate::Ticket> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(*gate.admit("10.0.0." + std::to_string(i)));
        held.back().proven();
    }
    CHECK_FALSE(gate.admit("10.0.0.9"));
    held.pop_back();
    CHECK(gate.admit("10.0.0.9"));
}

TEST_CASE("gate: a thousand refusals make one log line, with their count in the next") {
    GateLogCapture captured;
    ConnectionGate gate(gate_log, {10, 1}, std::chrono::milliseconds(200));
    auto first = gate.admit("10.0.0.1");
    REQUIRE(first);
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(gate.admit("10.0.0.1"));
    REQUIRE(captured.lines.size() == 1);
    CHECK(captured.lines[0].find("\"refused\":1") != std::string::npos);
    CHECK(captured.lines[0].find("unauthenticated connections from one address") != std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    CHECK_FALSE(gate.admit("10.0.0.1"));
    REQUIRE(captured.lines.size() == 2);
    CHECK(captured.lines[1].find("\"refused\":1000") != std::string::npos);
}
