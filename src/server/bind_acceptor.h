#pragma once

// Binding a listening socket and accepting on it, shared by the API and
// tunnel listeners. Private to src/server.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"

namespace tether::server {

std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint);

// Resolves `address` (port 0 picks a free port), binds and listens. Returns
// the acceptor and the address actually bound; unavailable names the step
// that failed.
Result<std::pair<boost::asio::ip::tcp::acceptor, HostPort>> bind_acceptor(boost::asio::io_context& io,
                                                                         const HostPort& address);

// Accepts connections until the acceptor closes or `stopping` is set,
// handing each to `take` (a reference: GCC 12 may destroy a temporary in a
// co_await expression twice). An accept error (out of descriptors, say) pauses
// 100 ms rather than spinning.
boost::asio::awaitable<void> accept_connections(boost::asio::ip::tcp::acceptor& acceptor, const bool& stopping,
                                                const std::function<void(boost::asio::ip::tcp::socket)>& take);

}  // namespace tether::server
