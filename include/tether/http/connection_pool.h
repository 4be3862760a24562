#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "tether/core/error.h"
#include "tether/core/settings.h"
#include "tether/http/client.h"
#include "tether/http/proxy.h"

namespace boost::asio::ssl {
class context;
}

// HTTP/1.1 for cloud APIs from the runner: asynchronous on the runner's
// io_context, connections kept alive and reused per peer, https through
// HTTPS_PROXY unless NO_PROXY exempts the host, certificates verified
// against the system's CAs or the caller's.
namespace tether::http {

struct PoolOptions {
    ProxyEnvironment proxy;
    // An idle connection is closed after this long (AWS drops idle ones
    // after about 20 s; reusing one it has dropped costs a retry).
    std::chrono::milliseconds idle_timeout{15'000};
    std::size_t max_idle_per_peer = 8;
};

// The TLS settings of one kind of peer (pki::configure_public_client_tls
// on an Asio context). Connections made with different ones are never
// shared.
using TlsContext = std::shared_ptr<boost::asio::ssl::context>;

class ConnectionPool {
public:
    // The system's CAs (or SSL_CERT_FILE/SSL_CERT_DIR) serve https requests
    // that bring no TlsContext of their own; a pool without them still
    // serves those that do (the runner's own server, whose CA it carries).
    static std::shared_ptr<ConnectionPool> create(boost::asio::any_io_executor executor, PoolOptions options,
                                                  const config::Environment& env);
    // Why there are no system CAs (failed_precondition naming the file or
    // directory), or nothing; what a request that needed them fails with.
    const std::optional<Error>& system_trust_error() const;
    ~ConnectionPool();

    // One exchange; `request.timeout` bounds it all (connect, proxy,
    // handshake, write, read). A reused connection that the peer had
    // closed is replaced once, transparently. `request.ca` is ignored:
    // pass `tls` for a peer with its own CA or a client certificate.
    // Errors as fetch() (client.h); an answer over max_response_bytes is
    // invalid_argument naming the limit.
    boost::asio::awaitable<Result<Response>> send(const Request& request, TlsContext tls = nullptr);

    // Connections kept for reuse now (for tests and metrics).
    std::size_t idle_connections() const;
    // Connections opened since the pool was made.
    std::size_t connections_opened() const;

private:
    struct State;
    explicit ConnectionPool(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace tether::http
