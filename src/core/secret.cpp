#include "tether/core/secret.h"

#include <openssl/crypto.h>

#include <utility>

namespace tether {

void wipe(std::string& bytes) {
    // Cleanse the whole buffer, not just size(): earlier, longer contents
    // may still sit past the end.
    bytes.resize(bytes.capacity());
    OPENSSL_cleanse(bytes.data(), bytes.size());
    bytes.clear();
}

Secret::Secret(std::string_view bytes) : bytes_(bytes) {}

Secret::~Secret() { wipe(); }

Secret::Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) { other.wipe(); }

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        bytes_ = std::move(other.bytes_);
        other.wipe();
    }
    return *this;
}

void Secret::wipe() { tether::wipe(bytes_); }

}  // namespace tether
