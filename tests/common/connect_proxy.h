#pragma once

// tests/fakes/connect_proxy.py, an HTTP CONNECT proxy that is not
// tether's code, run as a child process for the proxy and client tests.
#include "script_server.h"

namespace tether::testing {

class ConnectProxy : public ScriptServer {
public:
    explicit ConnectProxy(const std::vector<std::string>& args = {})
        : ScriptServer(TETHER_SOURCE_DIR "/tests/fakes/connect_proxy.py", args) {}
};

}  // namespace tether::testing
