#include <doctest/doctest.h>

#include "tether/crypto/hash.h"
#include "tether/crypto/random.h"

using namespace tether::crypto;

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("constant_time_equal compares contents and lengths") {
    CHECK(constant_time_equal("same", "same"));
    CHECK_FALSE(constant_time_equal("same", "sama"));
    CHECK_FALSE(constant_time_equal("same", "same-but-longer"));
    CHECK(constant_time_equal("", ""));
}

TEST_CASE("random tokens have the asked length and alphabet, and differ") {
    std::string a = random_base62(40);
    std::string b = random_base62(40);
    CHECK(a.size() == 40);
    CHECK(a != b);
    for (char c : a) CHECK(std::isalnum(static_cast<unsigned char>(c)));
    CHECK(random_hex(16).size() == 32);
}
