#pragma once

// Binding a listening socket, shared by the API and tunnel listeners.
// Private to src/server.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <utility>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"

namespace tether::server {

std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint);

// Resolves `address` (port 0 picks a free port), binds and listens. Returns
// the acceptor and the address actually bound; unavailable names the step
// that failed.
Result<std::pair<boost::asio::ip::tcp::acceptor, HostPort>> bind_acceptor(boost::asio::io_context& io,
                                                                         const HostPort& address);

}  // namespace tether::server
