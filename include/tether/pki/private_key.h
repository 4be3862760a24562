#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::pki {

// An EC P-256 private key, the only kind tether's CA issues for or signs
// with. Move-only: a key has one owner, and copies of key material are what
// a careful reader audits.
class PrivateKey {
public:
    // A fresh key from OpenSSL's CSPRNG; aborts if OpenSSL cannot make one.
    static PrivateKey generate();

    // An unencrypted PEM private key (PKCS#8 or SEC1). Anything else,
    // including encrypted PEM and keys on other curves, is invalid_argument.
    static Result<PrivateKey> from_pem(std::string_view pem);

    // Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
    Secret to_pem() const;

    // Null only after the key was moved from.
    EVP_PKEY* get() const { return key_.get(); }

private:
    struct Free {
        void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    };

    explicit PrivateKey(EVP_PKEY* owned) : key_(owned) {}

    std::unique_ptr<EVP_PKEY, Free> key_;
};

}  // namespace tether::pki
