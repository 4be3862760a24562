#include "tether/crypto/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace tether::crypto {

void random_bytes(void* out, std::size_t size) {
    if (size > INT_MAX || RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) != 1) {
        std::fputs("tether: fatal: the system random number generator failed\n", stderr);
        std::abort();
    }
}

std::string random_hex(std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::vector<unsigned char> bytes(size);
    random_bytes(bytes.data(), size);
    std::string out;
    out.reserve(size * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

}  // namespace tether::crypto
