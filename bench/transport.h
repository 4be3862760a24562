#pragma once

// The tunnel's transport alone, to split the 64 MiB figure: the project's
// WebSocket channel (tunnel::make_websocket_channel, Beast over Asio's TLS
// stream) at both ends of one loopback mTLS connection, each end on its own
// thread, `bytes` sent as chunk frames of tunnel::stream_threshold bytes.
// No runner, no JSON, no store.
#include <cstddef>

#include "identities.h"

namespace tether::bench {

// Emits "channel_stream" (MB/s, 10^6 bytes).
void channel_stream(const Identities& identities, std::size_t bytes, int repeat);

}  // namespace tether::bench
