#pragma once

// Who may hold a connection before proving who they are. Shared by the
// API and tunnel listeners; no Beast here.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "tether/core/log.h"

namespace tether::server {

struct GateLimits {
    std::size_t total = 1024;        // connections at once, proven or not
    std::size_t per_address = 64;    // not yet proven, from one IP address
};

// Counts connections as they are accepted, before a byte is read: at most
// `total` at once, and at most `per_address` from one IP address until a
// connection proves itself (an API key on the API, admission on the
// tunnel) and stops counting toward its address. One address can then no
// longer take every slot by opening idle connections; the short timeouts
// for unproven connections (in the listeners) make the slots it does take
// come back quickly. Refusals are logged at most once per interval, with
// how many were refused since, so an attack cannot fill the log.
//
// Single-threaded: the listeners run on the server's one io thread.
class ConnectionGate {
public:
    ConnectionGate(const log::Logger& logger, GateLimits limits,
                   std::chrono::milliseconds log_interval = std::chrono::seconds(10));
    ConnectionGate(const ConnectionGate&) = delete;
    ConnectionGate& operator=(const ConnectionGate&) = delete;

    // A held slot; destroying it frees the slot.
    class Ticket {
    public:
        Ticket(Ticket&& other) noexcept;
        Ticket& operator=(Ticket&&) = delete;
        ~Ticket();
        // The connection proved itself: it no longer counts toward its address.
        void proven();
        bool is_proven() const { return !counted_; }

    private:
        friend class ConnectionGate;
        Ticket(ConnectionGate* gate, std::string address) : gate_(gate), address_(std::move(address)) {}
        ConnectionGate* gate_;
        std::string address_;
        bool counted_ = true;  // toward its address
    };

    // A ticket for a connection from `address` (an IP address, no port),
    // or nothing, having logged the refusal (rate-limited).
    std::optional<Ticket> admit(const std::string& address);

    std::size_t open() const { return open_; }
    const GateLimits& limits() const { return limits_; }

private:
    void release_address(const std::string& address);
    void log_refusal(const char* reason, const std::string& address, std::size_t limit);

    const log::Logger& logger_;
    GateLimits limits_;
    std::chrono::milliseconds log_interval_;
    std::size_t open_ = 0;
    std::unordered_map<std::string, std::size_t> unproven_;  // by address
    std::optional<std::chrono::steady_clock::time_point> last_logged_;
    std::size_t refused_since_log_ = 0;
};

}  // namespace tether::server
