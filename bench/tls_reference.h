#pragma once

// The references measured in the same run: bare OpenSSL over loopback TCP,
// with blocking sockets and tether's own TLS settings and certificates
// (TLS 1.3, EC P-256, the server requiring the runner's certificate), and
// nothing else: no WebSocket, no JSON, no store.
#include <cstddef>

#include "identities.h"

namespace tether::bench {

// Request/response: `payload_bytes` each way, `in_flight` requests
// outstanding (pipelined on one connection), `count` round trips per
// repetition. Emits "tls_echo".
void tls_echo(const Identities& identities, std::size_t in_flight, std::size_t count, std::size_t payload_bytes,
              int repeat);

// One stream of `bytes` from client to server, acknowledged by one byte.
// Emits "tls_stream" (MB/s, 10^6 bytes).
void tls_stream(const Identities& identities, std::size_t bytes, int repeat);

// Full mutual-TLS handshakes (TCP connect, handshake, one byte from the
// server so that the client knows it was accepted, close) by `parallel`
// client threads against a single-threaded poll() server. Emits
// "tls_handshakes" (per second, and the server thread's CPU per handshake).
void tls_handshakes(const Identities& identities, std::size_t count, std::size_t parallel, int repeat);

// A server process holding `count` idle mutual-TLS connections
// (SSL_MODE_RELEASE_BUFFERS), its clients in a child process. Emits
// "tls_idle" (the server's VmRSS growth per connection).
void tls_idle(const Identities& identities, std::size_t count);

}  // namespace tether::bench
