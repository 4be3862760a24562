#include "tether/pki/tls.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

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
