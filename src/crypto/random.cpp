#include "tether/crypto/random.h"

#include "tether/crypto/hash.h"

#include <openssl/crypto.h>
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
    std::vector<std::uint8_t> bytes(size);
    random_bytes(bytes.data(), size);
    return to_hex(bytes.data(), bytes.size());
}

std::string random_base62(std::size_t length) {
    static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    out.reserve(length);
    // One DRBG call per batch, not per character: each call costs more than
    // the bytes (ids are made on the operation submit path).
    std::uint8_t bytes[64];
    while (out.size() < length) {
        random_bytes(bytes, sizeof bytes);
        for (std::uint8_t byte : bytes) {
            // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
            if (byte < 248 && out.size() < length) out += alphabet[byte % 62];
        }
    }
    OPENSSL_cleanse(bytes, sizeof bytes);  // the unused ones would tell of a key's neighbours
    return out;
}

}  // namespace tether::crypto
