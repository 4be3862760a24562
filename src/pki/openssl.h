#pragma once

// Private to src/pki: owning pointers for the OpenSSL objects the module
// uses, so every early return frees what it allocated.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tether::pki::detail {

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

inline void free_bio(BIO* bio) { BIO_free(bio); }
inline void free_string(char* text) { OPENSSL_free(text); }

using BioPtr = Owned<BIO, free_bio>;
using BignumPtr = Owned<BIGNUM, BN_free>;
using Asn1IntegerPtr = Owned<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1OctetStringPtr = Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1StringPtr = Owned<ASN1_STRING, ASN1_STRING_free>;
using GeneralNamePtr = Owned<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = Owned<GENERAL_NAMES, GENERAL_NAMES_free>;
using OpensslStringPtr = Owned<char, free_string>;
using StorePtr = Owned<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = Owned<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509Ptr = Owned<X509, X509_free>;
using ExtensionPtr = Owned<X509_EXTENSION, X509_EXTENSION_free>;

// The oldest reason on OpenSSL's per-thread error queue, then an empty
// queue: a failure here must not surface later in an unrelated TLS call.
// A pem_password_cb that refuses: tether never reads encrypted PEM.
inline int no_passphrase(char*, int, int, void*) { return -1; }

inline std::string take_openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "no detail from OpenSSL";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

// A read-only memory BIO over `data`; OpenSSL never writes through it.
inline BioPtr memory_reader(std::string_view data) {
    if (data.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
    // BIO_new_mem_buf refuses a null pointer, which an empty string_view may hold.
    return BioPtr(BIO_new_mem_buf(data.empty() ? "" : data.data(), static_cast<int>(data.size())));
}

// The bytes written so far to a memory BIO.
inline std::string_view memory_contents(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    if (size <= 0 || data == nullptr) return {};
    return {data, static_cast<std::size_t>(size)};
}

}  // namespace tether::pki::detail
