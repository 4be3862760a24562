#include "tether/pki/authority.h"

#include "openssl.h"
#include "tether/crypto/random.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace tether::pki {

namespace {

using namespace std::chrono;
using detail::take_openssl_error;

Error invalid(const std::string& message) { return Error{ErrorKind::invalid_argument, message}; }
Error openssl_failure(const std::string& step) {
    return Error{ErrorKind::internal, "certificate authority: cannot " + step + ": " + take_openssl_error()};
}

std::string utc_text(system_clock::time_point at) {
    std::time_t seconds_since_epoch = system_clock::to_time_t(at);
    std::tm parts{};
    gmtime_r(&seconds_since_epoch, &parts);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

std::optional<Error> check_lifetime(seconds lifetime) {
    if (lifetime > seconds{0} && lifetime <= max_lifetime) return std::nullopt;
    return invalid("certificate lifetime must be more than 0 and at most 10 years (" +
                   std::to_string(max_lifetime.count()) + "s); got " + std::to_string(lifetime.count()) + "s");
}

std::optional<Error> check_common_name(const std::string& name) {
    // 64 is the X.520 upper bound for a commonName (ub-common-name).
    bool printable = std::all_of(name.begin(), name.end(),
                                 [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
    if (!name.empty() && name.size() <= 64 && printable) return std::nullopt;
    return invalid("certificate common name must be 1 to 64 characters without control characters; got \"" + name +
                   "\"");
}

// A host name of letters, digits and hyphens in dot-separated labels (RFC 1123).
bool is_dns_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        std::size_t end = std::min(name.find('.', start), name.size());
        std::string_view label = name.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) return false;
        }
        if (end == name.size()) return true;
        start = end + 1;
    }
}

// The 4 or 16 bytes of an IPv4 or IPv6 literal; inet_pton refuses zones,
// prefixes and IPv4 octets with leading zeros.
std::optional<std::string> ip_bytes(const std::string& text) {
    unsigned char bytes[16] = {};
    if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return std::string(reinterpret_cast<char*>(bytes), 4);
    if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) return std::string(reinterpret_cast<char*>(bytes), 16);
    return std::nullopt;
}

// An absolute URI in printable ASCII with a scheme (RFC 3986, section 3.1).
bool is_uri(std::string_view uri) {
    std::size_t colon = uri.find(':');
    if (uri.size() > 2048 || colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size()) return false;
    if (!std::isalpha(static_cast<unsigned char>(uri[0]))) return false;
    for (std::size_t i = 0; i < colon; ++i) {
        char c = uri[i];
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    }
    return std::all_of(uri.begin(), uri.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Appends one name of `type` (GEN_DNS, GEN_URI: IA5String; GEN_IPADD: raw bytes).
bool push_name(GENERAL_NAMES* names, int type, std::string_view value) {
    detail::Asn1StringPtr text(type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new());
    detail::GeneralNamePtr name(GENERAL_NAME_new());
    if (!text || !name || ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1) return false;
    GENERAL_NAME_set0_value(name.get(), type, text.release());
    if (sk_GENERAL_NAME_push(names, name.get()) <= 0) return false;
    name.release();  // the stack owns it now
    return true;
}

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    detail::ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
    return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

void set_random_serial(ASN1_INTEGER* serial) {
    // 127 random bits: the top bit is cleared so the DER INTEGER is positive,
    // and zero is drawn again (RFC 5280 wants positive serials).
    unsigned char bytes[16];
    do {
        crypto::random_bytes(bytes, sizeof bytes);
        bytes[0] &= 0x7f;
    } while (std::all_of(std::begin(bytes), std::end(bytes), [](unsigned char b) { return b == 0; }));
    detail::BignumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!number || BN_to_ASN1_INTEGER(number.get(), serial) == nullptr) {
        std::fputs("tether: fatal: out of memory setting a serial number\n", stderr);
        std::abort();
    }
}

// What every certificate shares: v3, a random serial, the validity window,
// the subject's common name and public key, and the issuer's name.
Result<detail::X509Ptr> new_certificate(const std::string& common_name, EVP_PKEY* subject_key, X509* issuer,
                                        seconds lifetime) {
    detail::X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return openssl_failure("create a certificate");
    set_random_serial(X509_get_serialNumber(cert.get()));
    system_clock::time_point now = system_clock::now();
    if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), system_clock::to_time_t(now - clock_skew)) == nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(cert.get()), system_clock::to_time_t(now + lifetime)) == nullptr) {
        return openssl_failure("set the validity period");
    }
    X509_NAME* subject = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.data()),
                                   static_cast<int>(common_name.size()), -1, 0) != 1) {
        return openssl_failure("set the common name");
    }
    X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : subject;
    if (X509_set_issuer_name(cert.get(), issuer_name) != 1 || X509_set_pubkey(cert.get(), subject_key) != 1) {
        return openssl_failure("set the issuer and public key");
    }
    return cert;
}

Result<Certificate> sign(detail::X509Ptr cert, const PrivateKey& key) {
    // ECDSA with SHA-256 for a P-256 key.
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return openssl_failure("sign a certificate");
    return Certificate(cert.release());
}

std::optional<Error> check_authority(const CertificateAuthority& ca) {
    if (!ca.certificate.is_ca()) return invalid("certificate authority: its certificate is not a CA certificate");
    if (!ca.certificate.matches(ca.key)) {
        return invalid("certificate authority: its private key does not belong to its certificate");
    }
    if (system_clock::now() >= ca.certificate.not_after()) {
        return invalid("certificate authority: it expired at " + utc_text(ca.certificate.not_after()) +
                       "; create a new one");
    }
    return std::nullopt;
}

// A leaf certificate: CA:FALSE, digitalSignature, one extended key usage,
// key identifiers and the subject alternative names.
Result<Certificate> issue_leaf(const CertificateAuthority& ca, const PrivateKey& subject_key,
                               const std::string& common_name, GENERAL_NAMES* names, const char* extended_usage,
                               seconds lifetime) {
    assert(subject_key.get() != nullptr && ca.key.get() != nullptr);
    if (auto error = check_lifetime(lifetime)) return *error;
    if (auto error = check_common_name(common_name)) return *error;
    if (auto error = check_authority(ca)) return *error;
    auto cert = new_certificate(common_name, subject_key.get(), ca.certificate.get(), lifetime);
    if (!cert) return cert.error();
    X509* x = cert.value().get();
    X509* issuer = ca.certificate.get();
    if (!add_extension(x, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_extension(x, issuer, NID_key_usage, "critical,digitalSignature") ||
        !add_extension(x, issuer, NID_ext_key_usage, extended_usage) ||
        !add_extension(x, issuer, NID_subject_key_identifier, "hash") ||
        !add_extension(x, issuer, NID_authority_key_identifier, "keyid:always") ||
        X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1) {
        return openssl_failure("add the certificate extensions");
    }
    return sign(std::move(cert).value(), ca.key);
}

}  // namespace

CertificateAuthority create_authority(const std::string& common_name, seconds lifetime) {
    if (auto error = check_lifetime(lifetime)) fail(*error);
    if (auto error = check_common_name(common_name)) fail(*error);
    PrivateKey key = PrivateKey::generate();
    auto cert = new_certificate(common_name, key.get(), nullptr, lifetime);
    if (!cert) fail(cert.error());
    X509* x = cert.value().get();
    // Self-signed: the certificate is its own issuer. pathlen:0 keeps it
    // from delegating to an intermediate CA.
    if (!add_extension(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !add_extension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_extension(x, x, NID_subject_key_identifier, "hash")) {
        fail(openssl_failure("add the CA extensions"));
    }
    auto signed_cert = sign(std::move(cert).value(), key);
    if (!signed_cert) fail(signed_cert.error());
    return CertificateAuthority{std::move(key), std::move(signed_cert).value()};
}

Result<Certificate> issue_server_certificate(const CertificateAuthority& ca, const PrivateKey& subject_key,
                                             const ServerNames& names, seconds lifetime) {
    if (names.dns.empty() && names.ips.empty()) return invalid("server certificate: give at least one DNS name or IP");
    detail::GeneralNamesPtr sans(sk_GENERAL_NAME_new_null());
    if (!sans) return openssl_failure("allocate names");
    for (const std::string& dns : names.dns) {
        if (ip_bytes(dns)) return invalid("server certificate: \"" + dns + "\" is an IP address; list it under IPs");
        if (!is_dns_name(dns)) return invalid("server certificate: \"" + dns + "\" is not a valid DNS name");
        if (!push_name(sans.get(), GEN_DNS, dns)) return openssl_failure("add a DNS name");
    }
    for (const std::string& ip : names.ips) {
        std::optional<std::string> bytes = ip_bytes(ip);
        if (!bytes) return invalid("server certificate: \"" + ip + "\" is not an IPv4 or IPv6 address");
        if (!push_name(sans.get(), GEN_IPADD, *bytes)) return openssl_failure("add an IP address");
    }
    const std::string& common_name = names.dns.empty() ? names.ips.front() : names.dns.front();
    return issue_leaf(ca, subject_key, common_name, sans.get(), "serverAuth", lifetime);
}

Result<Certificate> issue_client_certificate(const CertificateAuthority& ca, const PrivateKey& subject_key,
                                             const std::string& uri_san, const std::string& common_name,
                                             seconds lifetime) {
    if (!is_uri(uri_san)) return invalid("client certificate: \"" + uri_san + "\" is not an absolute URI");
    detail::GeneralNamesPtr sans(sk_GENERAL_NAME_new_null());
    if (!sans || !push_name(sans.get(), GEN_URI, uri_san)) return openssl_failure("add the URI name");
    return issue_leaf(ca, subject_key, common_name, sans.get(), "clientAuth", lifetime);
}

}  // namespace tether::pki
