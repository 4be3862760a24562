#include "tether/pki/certificate.h"

#include "openssl.h"
#include "tether/core/text.h"
#include "tether/crypto/hash.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cassert>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace tether::pki {

namespace {

using detail::BioPtr;
using detail::no_passphrase;
using detail::take_openssl_error;

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
    std::tm parts{};
    if (ASN1_TIME_to_tm(time, &parts) != 1) {
        // A certificate OpenSSL parsed always has well-formed validity times.
        std::fputs("tether: fatal: certificate with an unreadable validity time\n", stderr);
        std::abort();
    }
    using namespace std::chrono;
    sys_days date = year{parts.tm_year + 1900} / month{static_cast<unsigned>(parts.tm_mon + 1)} /
                    day{static_cast<unsigned>(parts.tm_mday)};
    return date + hours{parts.tm_hour} + minutes{parts.tm_min} + seconds{parts.tm_sec};
}

std::string ip_to_string(const ASN1_OCTET_STRING* address) {
    char text[INET6_ADDRSTRLEN] = {};
    const unsigned char* bytes = ASN1_STRING_get0_data(address);
    int length = ASN1_STRING_length(address);
    int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : AF_UNSPEC;
    if (family == AF_UNSPEC || inet_ntop(family, bytes, text, sizeof text) == nullptr) return {};
    return text;
}

std::string to_string(const ASN1_STRING* text) {
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
            static_cast<std::size_t>(ASN1_STRING_length(text))};
}

}  // namespace

Certificate::Certificate(X509* owned) : cert_(owned) { assert(owned != nullptr); }

Certificate::Certificate(const Certificate& other) : cert_(other.cert_.get()) {
    if (cert_) X509_up_ref(cert_.get());
}

Certificate& Certificate::operator=(const Certificate& other) {
    if (this != &other) {
        if (other.cert_) X509_up_ref(other.cert_.get());
        cert_.reset(other.cert_.get());
    }
    return *this;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
    BioPtr bio = detail::memory_reader(pem);
    if (!bio) return Error{ErrorKind::invalid_argument, "certificate: the PEM is too large"};
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
    if (cert == nullptr) {
        return Error{ErrorKind::invalid_argument, "certificate: not a PEM certificate (" + take_openssl_error() + ")"};
    }
    ERR_clear_error();
    return Certificate(cert);
}

std::string Certificate::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
        std::fprintf(stderr, "tether: fatal: cannot encode a certificate: %s\n", take_openssl_error().c_str());
        std::abort();
    }
    return std::string(detail::memory_contents(bio.get()));
}

std::string Certificate::serial_hex() const {
    detail::BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
    detail::OpensslStringPtr hex(serial ? BN_bn2hex(serial.get()) : nullptr);
    if (!hex) {
        std::fputs("tether: fatal: out of memory reading a serial number\n", stderr);
        std::abort();
    }
    return text::ascii_lower(hex.get());
}

std::string Certificate::fingerprint_sha256() const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(cert_.get(), EVP_sha256(), digest, &size) != 1) {
        std::fprintf(stderr, "tether: fatal: cannot hash a certificate: %s\n", take_openssl_error().c_str());
        std::abort();
    }
    return crypto::to_hex(digest, size);
}

std::chrono::system_clock::time_point Certificate::not_before() const {
    return to_time_point(X509_get0_notBefore(cert_.get()));
}

std::chrono::system_clock::time_point Certificate::not_after() const {
    return to_time_point(X509_get0_notAfter(cert_.get()));
}

std::vector<std::string> Certificate::sans_of_type(int type) const {
    std::vector<std::string> out;
    detail::GeneralNamesPtr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert_.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        ERR_clear_error();  // absent or malformed: either way there are no names to report
        return out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type != type) continue;
        switch (type) {
            case GEN_URI: out.push_back(to_string(name->d.uniformResourceIdentifier)); break;
            case GEN_DNS: out.push_back(to_string(name->d.dNSName)); break;
            case GEN_IPADD:
                if (std::string ip = ip_to_string(name->d.iPAddress); !ip.empty()) out.push_back(ip);
                break;
            default: break;
        }
    }
    return out;
}

std::vector<std::string> Certificate::uri_sans() const { return sans_of_type(GEN_URI); }
std::vector<std::string> Certificate::dns_sans() const { return sans_of_type(GEN_DNS); }
std::vector<std::string> Certificate::ip_sans() const { return sans_of_type(GEN_IPADD); }

std::string Certificate::common_name() const {
    X509_NAME* subject = X509_get_subject_name(cert_.get());
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) return {};
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    if (length < 0) {
        ERR_clear_error();
        return {};
    }
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return out;
}

bool Certificate::matches(const PrivateKey& key) const {
    if (key.get() == nullptr) return false;
    bool same = X509_check_private_key(cert_.get(), key.get()) == 1;
    ERR_clear_error();  // a mismatch is an answer here, not an error for later callers
    return same;
}

bool Certificate::is_ca() const { return X509_check_ca(cert_.get()) == 1; }

Result<Done> Certificate::verify_issued_by(const Certificate& ca, std::chrono::system_clock::time_point at) const {
    detail::StorePtr store(X509_STORE_new());
    detail::StoreCtxPtr context(X509_STORE_CTX_new());
    if (!store || !context || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
        X509_STORE_CTX_init(context.get(), store.get(), cert_.get(), nullptr) != 1) {
        return Error{ErrorKind::internal, "certificate: cannot set up verification: " + take_openssl_error()};
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
    X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
    int verified = X509_verify_cert(context.get());
    int code = X509_STORE_CTX_get_error(context.get());
    ERR_clear_error();
    if (verified == 1) return Done{};
    if (code == X509_V_OK) return Error{ErrorKind::internal, "certificate: verification failed without a reason"};
    return Error{ErrorKind::unauthenticated, "certificate (serial " + serial_hex() + ") is not valid under the CA \"" +
                                                 ca.common_name() + "\": " + X509_verify_cert_error_string(code)};
}

}  // namespace tether::pki
