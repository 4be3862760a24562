#include "tether/crypto/envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <climits>
#include <memory>

#include "tether/core/text.h"
#include "tether/crypto/hash.h"
#include "tether/crypto/random.h"

namespace tether::crypto {
namespace {

constexpr std::string_view magic = "te1";
constexpr std::size_t id_bytes = 8;
constexpr std::size_t nonce_bytes = 12;
constexpr std::size_t tag_bytes = 16;
constexpr std::size_t header_bytes =
    magic.size() + id_bytes + nonce_bytes + master_key_bytes + tag_bytes + nonce_bytes;
// The data key's seal binds the record too, and says what it seals.
constexpr std::string_view key_context = "tether data key\n";

struct CipherFree {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};

const unsigned char* bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

// AES-256-GCM of `plaintext` into `out` (same size) and `tag`.
bool gcm_seal(std::string_view key, std::string_view nonce, std::string_view associated_data, std::string_view plaintext,
              unsigned char* out, unsigned char* tag) {
    std::unique_ptr<EVP_CIPHER_CTX, CipherFree> context(EVP_CIPHER_CTX_new());
    int length = 0;
    if (!context || plaintext.size() > INT_MAX || associated_data.size() > INT_MAX) return false;
    return EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce)) == 1 &&
           EVP_EncryptUpdate(context.get(), nullptr, &length, bytes(associated_data),
                             static_cast<int>(associated_data.size())) == 1 &&
           EVP_EncryptUpdate(context.get(), out, &length, bytes(plaintext), static_cast<int>(plaintext.size())) == 1 &&
           EVP_EncryptFinal_ex(context.get(), out + length, &length) == 1 &&
           EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_bytes), tag) == 1;
}

// The inverse; false when the tag does not verify.
bool gcm_open(std::string_view key, std::string_view nonce, std::string_view associated_data,
              std::string_view ciphertext, std::string_view tag, unsigned char* out) {
    std::unique_ptr<EVP_CIPHER_CTX, CipherFree> context(EVP_CIPHER_CTX_new());
    int length = 0;
    if (!context || ciphertext.size() > INT_MAX || associated_data.size() > INT_MAX) return false;
    std::array<unsigned char, tag_bytes> expected{};
    std::copy(tag.begin(), tag.end(), expected.begin());
    return EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce)) == 1 &&
           EVP_DecryptUpdate(context.get(), nullptr, &length, bytes(associated_data),
                             static_cast<int>(associated_data.size())) == 1 &&
           EVP_DecryptUpdate(context.get(), out, &length, bytes(ciphertext), static_cast<int>(ciphertext.size())) == 1 &&
           EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_bytes), expected.data()) == 1 &&
           EVP_DecryptFinal_ex(context.get(), out + length, &length) == 1;
}

std::string raw_id(const Secret& master_key) {
    Sha256 digest = sha256(master_key.reveal());
    return std::string(reinterpret_cast<const char*>(digest.data()), id_bytes);
}

Error not_sealed(const std::string& why) { return {ErrorKind::invalid_argument, "cannot open a sealed value: " + why}; }

}  // namespace

Result<Secret> parse_master_key(std::string_view hex) {
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
    if (hex.size() != 2 * master_key_bytes) {
        return Error{ErrorKind::invalid_argument,
                     "the master key must be " + std::to_string(2 * master_key_bytes) + " hex characters"};
    }
    std::string key(master_key_bytes, '\0');
    for (std::size_t i = 0; i < master_key_bytes; ++i) {
        int high = text::hex_digit(hex[2 * i]), low = text::hex_digit(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            OPENSSL_cleanse(key.data(), key.size());
            return Error{ErrorKind::invalid_argument, "the master key holds a character that is not hex"};
        }
        key[i] = static_cast<char>(high * 16 + low);
    }
    Secret parsed(key);
    OPENSSL_cleanse(key.data(), key.size());
    return parsed;
}

std::string master_key_id(const Secret& master_key) {
    std::string id = raw_id(master_key);
    return to_hex(reinterpret_cast<const std::uint8_t*>(id.data()), id.size());
}

Result<std::string> seal(const Secret& master_key, std::string_view associated_data, std::string_view plaintext) {
    if (master_key.size() != master_key_bytes) return Error{ErrorKind::internal, "the master key is not 32 bytes"};
    std::array<char, master_key_bytes> data_key{};
    random_bytes(data_key.data(), data_key.size());
    std::string_view data_key_view(data_key.data(), data_key.size());

    std::string out(header_bytes + plaintext.size() + tag_bytes, '\0');
    std::size_t at = 0;
    auto put = [&](std::string_view part) {
        std::copy(part.begin(), part.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
        at += part.size();
    };
    put(magic);
    put(raw_id(master_key));
    std::size_t key_nonce_at = at;
    random_bytes(out.data() + at, nonce_bytes);
    at += nonce_bytes;
    std::string key_associated = std::string(key_context) + std::string(associated_data);
    auto* base = reinterpret_cast<unsigned char*>(out.data());
    bool sealed = gcm_seal(master_key.reveal(), std::string_view(out).substr(key_nonce_at, nonce_bytes),
                           key_associated, data_key_view, base + at, base + at + master_key_bytes);
    at += master_key_bytes + tag_bytes;
    std::size_t data_nonce_at = at;
    random_bytes(out.data() + at, nonce_bytes);
    at += nonce_bytes;
    sealed = sealed && gcm_seal(data_key_view, std::string_view(out).substr(data_nonce_at, nonce_bytes),
                                associated_data, plaintext, base + at, base + at + plaintext.size());
    OPENSSL_cleanse(data_key.data(), data_key.size());
    if (!sealed) return Error{ErrorKind::internal, "AES-256-GCM failed"};
    return out;
}

namespace {

// A sealed record's parts, as views into it.
struct Parts {
    std::string_view key_nonce, sealed_key, key_tag, data_nonce, ciphertext, data_tag;
};

constexpr std::size_t key_nonce_at = magic.size() + id_bytes;

Result<Parts> split(const Secret& master_key, std::string_view sealed) {
    if (master_key.size() != master_key_bytes) return Error{ErrorKind::internal, "the master key is not 32 bytes"};
    if (sealed.size() < header_bytes + tag_bytes || sealed.substr(0, magic.size()) != magic) {
        return not_sealed("it is not a sealed record of this version");
    }
    if (!constant_time_equal(sealed.substr(magic.size(), id_bytes), raw_id(master_key))) {
        std::string id(sealed.substr(magic.size(), id_bytes));
        return Error{ErrorKind::permission_denied,
                     "cannot open a sealed value: it was sealed under key " +
                         to_hex(reinterpret_cast<const std::uint8_t*>(id.data()), id.size()) + ", not this one (" +
                         master_key_id(master_key) + ")"};
    }
    Parts parts;
    std::size_t at = key_nonce_at;
    parts.key_nonce = sealed.substr(at, nonce_bytes);
    at += nonce_bytes;
    parts.sealed_key = sealed.substr(at, master_key_bytes);
    parts.key_tag = sealed.substr(at + master_key_bytes, tag_bytes);
    at += master_key_bytes + tag_bytes;
    parts.data_nonce = sealed.substr(at, nonce_bytes);
    at += nonce_bytes;
    parts.ciphertext = sealed.substr(at, sealed.size() - at - tag_bytes);
    parts.data_tag = sealed.substr(sealed.size() - tag_bytes);
    return parts;
}

// The record's data key, opened with the key above it.
bool open_data_key(const Secret& master_key, std::string_view associated_data, const Parts& parts,
                   std::array<unsigned char, master_key_bytes>& data_key) {
    std::string key_associated = std::string(key_context) + std::string(associated_data);
    if (gcm_open(master_key.reveal(), parts.key_nonce, key_associated, parts.sealed_key, parts.key_tag,
                 data_key.data())) {
        return true;
    }
    OPENSSL_cleanse(data_key.data(), data_key.size());
    return false;
}

}  // namespace

Result<std::string> rewrap(const Secret& old_key, const Secret& new_key, std::string_view associated_data,
                           std::string_view sealed) {
    auto parts = split(old_key, sealed);
    if (!parts) return parts.error();
    if (new_key.size() != master_key_bytes) return Error{ErrorKind::internal, "the new key is not 32 bytes"};
    std::array<unsigned char, master_key_bytes> data_key{};
    if (!open_data_key(old_key, associated_data, parts.value(), data_key)) {
        return not_sealed("it was altered, or belongs to another record");
    }
    std::string out(sealed);
    std::string id = raw_id(new_key);
    std::copy(id.begin(), id.end(), out.begin() + static_cast<std::ptrdiff_t>(magic.size()));
    random_bytes(out.data() + key_nonce_at, nonce_bytes);
    std::string key_associated = std::string(key_context) + std::string(associated_data);
    auto* base = reinterpret_cast<unsigned char*>(out.data());
    std::size_t sealed_key_at = key_nonce_at + nonce_bytes;
    bool sealed_again =
        gcm_seal(new_key.reveal(), std::string_view(out).substr(key_nonce_at, nonce_bytes), key_associated,
                 std::string_view(reinterpret_cast<const char*>(data_key.data()), data_key.size()),
                 base + sealed_key_at, base + sealed_key_at + master_key_bytes);
    OPENSSL_cleanse(data_key.data(), data_key.size());
    if (!sealed_again) return Error{ErrorKind::internal, "AES-256-GCM failed"};
    return out;
}

Secret new_key() {
    std::array<char, master_key_bytes> bytes{};
    random_bytes(bytes.data(), bytes.size());
    Secret key(std::string_view(bytes.data(), bytes.size()));
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
}

Result<Secret> open(const Secret& master_key, std::string_view associated_data, std::string_view sealed) {
    auto split_parts = split(master_key, sealed);
    if (!split_parts) return split_parts.error();
    const Parts& parts = split_parts.value();
    std::array<unsigned char, master_key_bytes> data_key{};
    if (!open_data_key(master_key, associated_data, parts, data_key)) {
        return not_sealed("it was altered, or belongs to another record");
    }
    std::string_view ciphertext = parts.ciphertext;
    std::string plaintext(ciphertext.size(), '\0');
    bool opened = gcm_open(std::string_view(reinterpret_cast<const char*>(data_key.data()), data_key.size()),
                           parts.data_nonce, associated_data, ciphertext, parts.data_tag,
                           reinterpret_cast<unsigned char*>(plaintext.data()));
    OPENSSL_cleanse(data_key.data(), data_key.size());
    if (!opened) {
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        return not_sealed("it was altered, or belongs to another record");
    }
    Secret out(plaintext);
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return out;
}

}  // namespace tether::crypto
