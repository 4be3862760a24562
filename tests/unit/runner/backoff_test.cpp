#include <doctest/doctest.h>

#include <chrono>

#include "tether/runner/backoff.h"

using namespace std::chrono_literals;
using tether::runner::Backoff;

TEST_CASE("the ceiling doubles from the initial delay and stops at the cap") {
    Backoff backoff(500ms, 60s, [] { return 0.0; });
    std::chrono::milliseconds expected[] = {500ms, 1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
    for (auto ceiling : expected) {
        CHECK(backoff.ceiling() == ceiling);
        CHECK(backoff.next() == 0ms);
    }
    CHECK(backoff.attempt() == 10);
    for (int i = 0; i < 1000; ++i) (void)backoff.next();
    CHECK(backoff.ceiling() == 60s);  // no overflow, however long the outage
}

TEST_CASE("full jitter: the delay is the random fraction of the ceiling, reaching both ends") {
    double next_value = 0.0;
    Backoff backoff(100ms, 1s, [&] { return next_value; });
    next_value = 0.5;
    CHECK(backoff.next() == 50ms);  // ceiling 100ms
    next_value = 0.999999;
    CHECK(backoff.next() == 200ms);  // ceiling 200ms, reached
    next_value = 0.0;
    CHECK(backoff.next() == 0ms);
}

TEST_CASE("reset starts again from the initial delay") {
    Backoff backoff(500ms, 60s, [] { return 0.999999; });
    (void)backoff.next();
    (void)backoff.next();
    CHECK(backoff.next() == 2s);
    backoff.reset();
    CHECK(backoff.attempt() == 0);
    CHECK(backoff.next() == 500ms);
}

TEST_CASE("the default randomness stays within the ceiling and spreads out") {
    Backoff backoff(500ms, 2s);
    std::chrono::milliseconds smallest = 1h;
    std::chrono::milliseconds largest = 0ms;
    for (int i = 0; i < 2000; ++i) {
        if (i % 10 == 0) backoff.reset();
        auto ceiling = backoff.ceiling();
        auto delay = backoff.next();
        CHECK(delay >= 0ms);
        CHECK(delay <= ceiling);
        smallest = std::min(smallest, delay);
        largest = std::max(largest, delay);
    }
    CHECK(smallest < 100ms);
    CHECK(largest > 1900ms);
}
