#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tether/core/log.h"

int main(int argc, char** argv) {
    // Components under test log as they would in production; keep the test
    // output to failures and counts. Tests of the logger set their own level.
    tether::log::set_level(tether::log::Level::error);
    return doctest::Context(argc, argv).run();
}
