#pragma once

#include <chrono>
#include <memory>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace tether::server {

class TunnelHub;

struct TunnelListenerLimits {
    std::size_t max_connections = 20'000;  // handshakes at once, before admission
    // Handshakes at once from one IP address: a fleet behind one NAT
    // reconnecting after a restart retries with backoff past this.
    std::size_t max_connections_per_address = 128;
    std::chrono::milliseconds handshake_timeout{10'000};  // TCP accept to WebSocket upgrade
};

// The tunnel port: TLS 1.3 that requires a client certificate chaining to
// the CA, phase 1 (the certificate is current for a live runner) inside the
// handshake, so a refused certificate never gets to send a byte of HTTP;
// then the WebSocket upgrade on /v1/tunnel, where phase 2 checks the API key
// in its Authorization header. Admitted tunnels go to the hub.
class TunnelListener {
public:
    TunnelListener(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls, TunnelHub& hub,
                   TunnelListenerLimits limits = {});
    ~TunnelListener();
    TunnelListener(const TunnelListener&) = delete;
    TunnelListener& operator=(const TunnelListener&) = delete;

    Result<HostPort> listen(const HostPort& address);
    void stop();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace tether::server
