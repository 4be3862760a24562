#pragma once

#include <chrono>
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/http/proxy.h"

namespace tether::http {

// Connects `stream` to `target`, directly or, when proxy_for(env, target)
// names a proxy, through an HTTP CONNECT tunnel. On success the stream
// carries the target's bytes from the first one (the TLS handshake goes on
// top next), and its deadline, set to `timeout` here, is left running so the
// caller's next steps share it. Host names go through the system resolver,
// with its own timeouts. Errors: invalid_argument (HTTPS_PROXY malformed),
// unavailable naming the hop that failed, deadline_exceeded, and for the
// proxy's own refusals unauthenticated (407) and permission_denied (403).
boost::asio::awaitable<Result<Done>> dial(boost::beast::tcp_stream& stream, const HostPort& target,
                                          const ProxyEnvironment& env, std::chrono::milliseconds timeout);

}  // namespace tether::http
