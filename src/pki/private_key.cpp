#include "tether/pki/private_key.h"

#include "openssl.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tether::pki {

namespace {

using detail::BioPtr;
using detail::no_passphrase;
using detail::take_openssl_error;

// Refuses every passphrase prompt: without it OpenSSL would ask on the
// terminal when handed an encrypted key.
bool looks_encrypted(std::string_view pem) {
    return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
           pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

// Empty when the key is EC P-256; otherwise what it is instead.
std::string why_not_p256(EVP_PKEY* key) {
    if (!EVP_PKEY_is_a(key, "EC")) {
        const char* type = EVP_PKEY_get0_type_name(key);
        return std::string("it is a key of type ") + (type != nullptr ? type : "unknown");
    }
    // Explicit curve parameters are a known attack surface, and OpenSSL names
    // the group even when they match P-256; the encoding tells them apart.
    char encoding[32] = {};
    char group[80] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding, &length) != 1 ||
        std::string_view(encoding) != OSSL_PKEY_EC_ENCODING_GROUP ||
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
        ERR_clear_error();
        return "it is an EC key with explicit curve parameters";
    }
    if (OBJ_txt2nid(group) != NID_X9_62_prime256v1) return std::string("it is an EC key on curve ") + group;
    return {};
}

Error invalid_key(const std::string& why) { return Error{ErrorKind::invalid_argument, "private key: " + why}; }

}  // namespace

PrivateKey PrivateKey::generate() {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (key == nullptr) {
        // Only a broken OpenSSL installation gets here; no identity can be made without it.
        std::fprintf(stderr, "tether: fatal: cannot generate a P-256 key: %s\n", take_openssl_error().c_str());
        std::abort();
    }
    return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
    if (looks_encrypted(pem)) {
        return invalid_key("the PEM is encrypted; tether needs an unencrypted PKCS#8 P-256 key");
    }
    BioPtr bio = detail::memory_reader(pem);
    if (!bio) return invalid_key("the PEM is too large");
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
    if (raw == nullptr) {
        // OpenSSL's reason here is only "DECODER routines::unsupported"; say what is expected instead.
        ERR_clear_error();
        return invalid_key("not a PEM private key; expected an unencrypted PKCS#8 \"BEGIN PRIVATE KEY\" block");
    }
    PrivateKey key(raw);
    // OpenSSL's decoders may leave notes from the formats they tried first.
    ERR_clear_error();
    if (std::string why = why_not_p256(raw); !why.empty()) {
        return invalid_key(why + ", but tether uses only EC P-256 keys");
    }
    return key;
}

Secret PrivateKey::to_pem() const {
    // A secure-heap memory BIO cleanses its buffer when it grows and when it is freed.
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        std::fprintf(stderr, "tether: fatal: cannot encode a private key: %s\n", take_openssl_error().c_str());
        std::abort();
    }
    return Secret(detail::memory_contents(bio.get()));
}

}  // namespace tether::pki
