#pragma once

// A load generator that opens real tunnels to a real `tether server`
// process, as runners do: tunnel::Dialer (TCP, mutual TLS with the runner's
// certificate, the WebSocket upgrade carrying its API key), then hello and
// the server's welcome. One credentials file serves every tunnel: the
// server keeps several tunnels of one runner as a pool.
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>

namespace tether::bench {

struct LoadOptions {
    std::string endpoint;  // 127.0.0.1:PORT of the server's tunnel listener
    std::filesystem::path credentials;
    pid_t server_pid = 0;  // for its CPU time and VmRSS
    std::size_t count = 1000;
    std::size_t parallel = 1;  // dials in progress at once
    int repeat = 3;
    int idle_seconds = 30;
    std::string storage;  // what the server's data dir is on, for the output
};

// New tunnels per second: `count` tunnels established, `parallel` at a
// time, held until all are up, then closed (the close is not timed).
// Emits "tunnel_handshakes" with the server's CPU per tunnel.
void tunnel_handshakes(const LoadOptions& options);

// Idle tunnels: the server's VmRSS and CPU with no tunnels, then `count`
// tunnels held idle for `idle_seconds` with the default pings. Emits
// "tunnel_idle".
void tunnel_idle(const LoadOptions& options);

}  // namespace tether::bench
