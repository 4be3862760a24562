#include <doctest/doctest.h>

#include "tether/crypto/base64.h"

using namespace tether::crypto;

TEST_CASE("base64: the RFC 4648 test vectors, both ways") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        CHECK(base64_encode(plain) == encoded);
        CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
    }
    CHECK(base64_decode("Zm9v\nYmFy\n") == std::optional<std::string>("foobar"));  // wrapped, as in PEM
    std::string binary("\x00\xff\x10", 3);
    CHECK(base64_decode(base64_encode(binary)) == std::optional<std::string>(binary));
}

TEST_CASE("base64: malformed text is refused") {
    for (const char* bad : {"Zm9", "Zm9v!", "Zg=a", "Z===", "=Zm9", "Zm-v", "Zg==Zg=="}) {
        CHECK_MESSAGE(!base64_decode(bad), bad);
    }
}
