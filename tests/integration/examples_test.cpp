// The shipped example configs stay valid: every mode accepts its example.
#include <doctest/doctest.h>

#include "process.h"

using namespace tether::testing;

TEST_CASE("each example config is accepted by its mode") {
    std::filesystem::path examples = std::filesystem::path(TETHER_SOURCE_DIR) / "examples";
    for (const char* mode : {"server", "runner", "admin"}) {
        std::string file = (examples / (std::string(mode) + ".toml")).string();
        Outcome outcome = run({mode, "--config", file, "--print-config"});
        CHECK_MESSAGE(outcome.exit_code == 0, mode, ": ", outcome.err);
        CHECK(outcome.out.find("# file " + file) != std::string::npos);
    }
}
