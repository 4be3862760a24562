#include "tether/crypto/base64.h"

#include <openssl/evp.h>

namespace tether::crypto {

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(length));  // shrinks in place: nothing is left unwiped
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string compact;
    compact.reserve(text.size());
    for (char c : text) {
        if (c == '\n' || c == '\r') continue;
        bool valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                     c == '/' || c == '=';
        if (!valid) return std::nullopt;
        compact += c;
    }
    if (compact.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < compact.size() && compact[compact.size() - 1 - padding] == '=') ++padding;
    if (padding > 2 || compact.find('=') < compact.size() - padding) return std::nullopt;
    std::string out(compact.size() / 4 * 3, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(compact.data()), static_cast<int>(compact.size()));
    if (length < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    out.resize(static_cast<std::size_t>(length) - padding);
    return out;
}

}  // namespace tether::crypto
