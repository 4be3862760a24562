#pragma once

// The Beast side of a Channel. Included only by the translation units that
// establish tunnels (the server's tunnel listener, the dialer), so that
// Beast's templates are compiled in few places.
#include <utility>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>

#include "tether/tunnel/channel.h"

namespace tether::tunnel {

using WebsocketStream = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

// A Channel over an established (handshaken and upgraded) WebSocket stream.
std::shared_ptr<Channel> make_websocket_channel(WebsocketStream stream, const ChannelLimits& limits, std::string peer);

// Socket and TLS settings every tunnel endpoint applies before the
// handshake: TCP_NODELAY, and OpenSSL releasing its buffers while idle.
void prepare_tunnel_stream(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream);

}  // namespace tether::tunnel
