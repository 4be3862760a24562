#include "tether/crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace tether::crypto {

Sha256 sha256(std::string_view data) {
    Sha256 digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
        size != digest.size()) {
        // Only an OpenSSL misconfiguration gets here; nothing can be trusted after it.
        std::fputs("tether: fatal: SHA-256 is unavailable\n", stderr);
        std::abort();
    }
    return digest;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xF];
    }
    return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

Sha256 hmac_sha256(std::string_view key, std::string_view data) {
    Sha256 mac{};
    unsigned int size = 0;
    if (key.size() > INT_MAX ||
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), mac.data(), &size) == nullptr ||
        size != mac.size()) {
        std::fputs("tether: fatal: HMAC-SHA-256 is unavailable\n", stderr);
        std::abort();
    }
    return mac;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    // Lengths are not secret here (hashes have a fixed size); contents are.
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tether::crypto
