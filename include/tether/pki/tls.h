#pragma once

#include <string_view>

#include "tether/core/error.h"
#include "tether/core/settings.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

// The TLS settings every tether endpoint shares, applied to an OpenSSL
// context (Asio's ssl::context::native_handle()): TLS 1.3 only, no
// renegotiation, no compression, no session tickets, certificates from this
// module. The peers are all tether: nothing older needs to connect.
namespace tether::pki {

// A server presenting `certificate`. With `client_ca`, the handshake
// requires a client certificate that chains to it (mutual TLS).
Result<Done> configure_server_tls(SSL_CTX* context, const Certificate& certificate, const PrivateKey& key,
                                  const Certificate* client_ca = nullptr);

// A client trusting only `ca` (never the system store), optionally
// presenting a client certificate.
Result<Done> configure_client_tls(SSL_CTX* context, const Certificate& ca,
                                  const Certificate* client_certificate = nullptr,
                                  const PrivateKey* client_key = nullptr);

// A client for services outside tether (cloud APIs, a cluster's API
// server): TLS 1.2 or 1.3, the peer verified against `ca_pem` (PEM
// certificates) or, when it is empty, the system's CAs: the file named by
// SSL_CERT_FILE and the directory by SSL_CERT_DIR, else the first bundle
// found where Linux distributions keep it (a static binary cannot rely on
// the paths OpenSSL was built with). failed_precondition when there is no
// CA to trust, invalid_argument for PEM that does not parse.
Result<Done> configure_public_client_tls(SSL_CTX* context, std::string_view ca_pem, const config::Environment& env,
                                         const Certificate* client_certificate = nullptr,
                                         const PrivateKey* client_key = nullptr);

// Per connection, before the handshake: send `host` as SNI (names only) and
// make the handshake fail unless the server certificate is for `host` (a
// DNS name or an IP literal).
Result<Done> expect_server_name(SSL* connection, std::string_view host);

}  // namespace tether::pki
