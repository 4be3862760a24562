#include <doctest/doctest.h>

#include "tether/core/secret.h"

using tether::Secret;

TEST_CASE("a Secret gives its bytes only through reveal()") {
    Secret secret("s3cret");
    CHECK(secret.reveal() == "s3cret");
    CHECK(secret.size() == 6);
    Secret copy = secret.copy();
    CHECK(copy.reveal() == "s3cret");
}

TEST_CASE("moving a Secret leaves the source empty") {
    Secret source("short");  // short enough for the small-string buffer
    Secret target(std::move(source));
    CHECK(target.reveal() == "short");
    CHECK(source.empty());  // NOLINT(bugprone-use-after-move): the point of the test
}

TEST_CASE("wipe empties a Secret") {
    Secret secret("a secret long enough to live on the heap, not in the string");
    secret.wipe();
    CHECK(secret.empty());
}

TEST_CASE("wipe(std::string) overwrites the buffer before clearing it") {
    std::string text = "a secret long enough to live on the heap, not in the string";
    const char* buffer = text.data();
    tether::wipe(text);
    CHECK(text.empty());
    CHECK(text.data() == buffer);  // same allocation, so the check below reads it
    for (std::size_t i = 0; i < text.capacity(); ++i) CHECK(buffer[i] == '\0');
}
