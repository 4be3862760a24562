#include "tether/pki/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "openssl.h"

namespace tether::pki {
namespace {

Error tls_error(const std::string& what) {
    return {ErrorKind::internal, what + ": " + detail::take_openssl_error()};
}

Result<Done> apply_common(SSL_CTX* context) {
    if (SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) != 1) {
        return tls_error("cannot restrict TLS to version 1.3");
    }
    SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    return Done{};
}

// Where distributions keep the CA bundle, in the order Go's crypto/x509
// looks: Debian/Ubuntu, Fedora/RHEL, openSUSE, OpenELEC, CentOS/RHEL 7, Alpine.
constexpr const char* bundle_files[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
};

Result<Done> trust_system_store(SSL_CTX* context, const config::Environment& env) {
    auto file = env("SSL_CERT_FILE");
    auto directory = env("SSL_CERT_DIR");
    if ((file && !file->empty()) || (directory && !directory->empty())) {
        const char* file_path = file && !file->empty() ? file->c_str() : nullptr;
        const char* directory_path = directory && !directory->empty() ? directory->c_str() : nullptr;
        if (SSL_CTX_load_verify_locations(context, file_path, directory_path) != 1) {
            return Error{ErrorKind::failed_precondition,
                         std::string("cannot load the CAs of ") + (file_path ? "SSL_CERT_FILE " + *file : "") +
                             (file_path && directory_path ? " and " : "") +
                             (directory_path ? "SSL_CERT_DIR " + *directory : "") + ": " +
                             detail::take_openssl_error()};
        }
        return Done{};
    }
    for (const char* bundle : bundle_files) {
        if (::access(bundle, R_OK) != 0) continue;
        if (SSL_CTX_load_verify_locations(context, bundle, nullptr) == 1) return Done{};
        detail::take_openssl_error();  // a broken bundle: try the next
    }
    return Error{ErrorKind::failed_precondition,
                 "found no CA certificates to verify servers with: install the ca-certificates package or set "
                 "SSL_CERT_FILE"};
}

Result<Done> trust_pem(SSL_CTX* context, std::string_view pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    X509_STORE* store = SSL_CTX_get_cert_store(context);
    int added = 0;
    while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        int ok = X509_STORE_add_cert(store, certificate);
        X509_free(certificate);
        if (ok != 1) return tls_error("cannot trust a CA certificate");
        ++added;
    }
    ERR_clear_error();  // the loop ends on "no start line"
    if (added == 0) return Error{ErrorKind::invalid_argument, "the CA certificates are not PEM"};
    return Done{};
}

bool is_ip_literal(std::string_view host) {
    std::string text(host);
    unsigned char buffer[16];
    return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace

Result<Done> configure_server_tls(SSL_CTX* context, const Certificate& certificate, const PrivateKey& key,
                                  const Certificate* client_ca) {
    if (auto common = apply_common(context); !common) return common;
    if (SSL_CTX_use_certificate(context, certificate.get()) != 1) return tls_error("cannot use the server certificate");
    if (SSL_CTX_use_PrivateKey(context, key.get()) != 1) return tls_error("cannot use the server key");
    if (SSL_CTX_check_private_key(context) != 1) {
        return Error{ErrorKind::invalid_argument, "the server key does not match the server certificate"};
    }
    if (client_ca != nullptr) {
        X509_STORE* store = SSL_CTX_get_cert_store(context);
        if (X509_STORE_add_cert(store, client_ca->get()) != 1) return tls_error("cannot trust the client CA");
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        SSL_CTX_set_verify_depth(context, 1);  // runner certificates come straight from the CA
    }
    return Done{};
}

Result<Done> configure_client_tls(SSL_CTX* context, const Certificate& ca, const Certificate* client_certificate,
                                  const PrivateKey* client_key) {
    if (auto common = apply_common(context); !common) return common;
    X509_STORE* store = SSL_CTX_get_cert_store(context);
    if (X509_STORE_add_cert(store, ca.get()) != 1) return tls_error("cannot trust the CA");
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_verify_depth(context, 1);
    if (client_certificate != nullptr && client_key != nullptr) {
        if (SSL_CTX_use_certificate(context, client_certificate->get()) != 1 ||
            SSL_CTX_use_PrivateKey(context, client_key->get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
            return Error{ErrorKind::invalid_argument, "the client key does not match the client certificate"};
        }
    }
    return Done{};
}

Result<Done> configure_public_client_tls(SSL_CTX* context, std::string_view ca_pem, const config::Environment& env,
                                         const Certificate* client_certificate, const PrivateKey* client_key) {
    if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1) return tls_error("cannot require TLS 1.2");
    SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    auto trusted = ca_pem.empty() ? trust_system_store(context, env) : trust_pem(context, ca_pem);
    if (!trusted) return trusted;
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    if (client_certificate != nullptr && client_key != nullptr) {
        if (SSL_CTX_use_certificate(context, client_certificate->get()) != 1 ||
            SSL_CTX_use_PrivateKey(context, client_key->get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
            return Error{ErrorKind::invalid_argument, "the client key does not match the client certificate"};
        }
    }
    return Done{};
}

Result<Done> expect_server_name(SSL* connection, std::string_view host) {
    std::string name(host);
    if (is_ip_literal(host)) {
        X509_VERIFY_PARAM* param = SSL_get0_param(connection);
        if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) return tls_error("cannot expect IP " + name);
        return Done{};
    }
    if (SSL_set_tlsext_host_name(connection, name.c_str()) != 1) return tls_error("cannot set SNI " + name);
    if (SSL_set1_host(connection, name.c_str()) != 1) return tls_error("cannot expect host " + name);
    return Done{};
}

}  // namespace tether::pki
