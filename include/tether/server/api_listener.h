#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/server/router.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace tether::server {

struct ListenerLimits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;
    // A request whose headers carry no valid API key: its body is read only
    // this far; past it the answer is a 401 without reading on.
    std::size_t max_unauthenticated_body_bytes = 4 * 1024;
    std::size_t max_connections = 1024;
    // Connections from one IP address that have not yet sent a valid key.
    std::size_t max_connections_per_address = 64;
    std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
    std::chrono::milliseconds request_timeout{30'000};  // to read one request or write one response
    // Until a connection has sent a valid key: its TLS handshake, and each
    // request's headers, arrive within this or it is closed.
    std::chrono::milliseconds unauthenticated_timeout{10'000};
};

// Whether a request's headers carry a valid API key; asked before the body
// is read. Neither logs nor records: the handler authenticates again.
using KeyCheck = std::function<bool(const HttpRequest&)>;

// The HTTP listener of the API: accepts connections on an io_context, reads
// requests within the limits, hands them to the Router and writes the
// answers, each with an X-Request-Id. With a TLS context it speaks HTTPS
// only. Beast stays inside the .cpp.
class ApiListener {
public:
    ApiListener(boost::asio::io_context& io, Router router, KeyCheck carries_valid_key, ListenerLimits limits = {},
                std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    ~ApiListener();
    ApiListener(const ApiListener&) = delete;
    ApiListener& operator=(const ApiListener&) = delete;

    // Resolves and binds `address` (port 0 picks a free port) and starts
    // accepting. Returns the address actually bound.
    Result<HostPort> listen(const HostPort& address);

    // Stops accepting and closes idle connections; requests being answered
    // finish first. The io_context runs out of work once they have.
    void stop();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace tether::server
