#pragma once

#include <cstddef>
#include <string>

namespace tether::crypto {

// Bytes from OpenSSL's CSPRNG; aborts if it cannot deliver, since every
// identity and key in tether depends on it.
void random_bytes(void* out, std::size_t size);

// `size` random bytes as lower-case hex (2 * size characters).
std::string random_hex(std::size_t size);

// `length` characters drawn uniformly from [0-9A-Za-z] (5.95 bits each).
std::string random_base62(std::size_t length);

}  // namespace tether::crypto
