#pragma once

#include <chrono>
#include <cstddef>
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
    std::size_t max_connections = 1024;
    std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
    std::chrono::milliseconds request_timeout{30'000};  // to read one request or write one response
};

// The HTTP listener of the API: accepts connections on an io_context, reads
// requests within the limits, hands them to the Router and writes the
// answers, each with an X-Request-Id. With a TLS context it speaks HTTPS
// only. Beast stays inside the .cpp.
class ApiListener {
public:
    ApiListener(boost::asio::io_context& io, Router router, ListenerLimits limits = {},
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
