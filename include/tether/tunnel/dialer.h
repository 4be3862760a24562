#pragma once

#include <chrono>
#include <memory>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/http/proxy.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"
#include "tether/tunnel/channel.h"

namespace boost::asio {
class io_context;
}

namespace tether::tunnel {

struct DialOptions {
    HostPort endpoint;  // the server's tunnel listener
    pki::Certificate ca;  // the only CA trusted for the server's certificate
    pki::Certificate certificate;  // the runner's, presented at the handshake
    pki::PrivateKey key;
    Secret api_key;  // phase 2, sent in the upgrade request
    http::ProxyEnvironment proxy;
    std::chrono::milliseconds connect_timeout{15'000};  // TCP, proxy, TLS and upgrade together
    ChannelLimits limits;
};

// Opens tunnels to the server: TCP (directly or through an HTTPS_PROXY with
// CONNECT), TLS 1.3 presenting the runner certificate and checking the
// server's against the CA and the endpoint's host, then the WebSocket
// upgrade carrying the API key. The error kind says what the caller can do:
//   unavailable / deadline_exceeded: the network or the server; try again;
//   unauthenticated: either side refused the other's credentials (the
//     message names the cause: wrong CA, revoked or superseded
//     certificate, unknown runner, revoked or expired key, clock skew);
//     trying again cannot help;
//   invalid_argument: the options themselves are unusable.
class Dialer {
public:
    static Result<std::unique_ptr<Dialer>> create(boost::asio::io_context& io, DialOptions options);
    ~Dialer();

    boost::asio::awaitable<Result<std::shared_ptr<Channel>>> dial();

private:
    struct State;
    explicit Dialer(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace tether::tunnel
