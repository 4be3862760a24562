#pragma once

// One tunnel, from the runner's side: hello and welcome, then requests
// checked against the runner's own policy and bounds, run, answered and
// recorded; cancels, deadlines and a drain on shutdown. Private to
// src/runner.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tether/ops/catalog.h"
#include "tether/runner/audit_trail.h"
#include "tether/runner/policy.h"
#include "tether/tunnel/channel.h"
#include "tether/tunnel/protocol.h"
#include "tether/runner/value_resolver.h"

namespace tether::runner {

struct SessionSettings {
    std::size_t max_in_flight = 64;
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    std::chrono::milliseconds welcome_timeout{15'000};
    std::chrono::milliseconds drain_timeout{30'000};
};

// How a tunnel ended, which decides what the runner does next.
struct SessionEnd {
    enum class Kind {
        lost,          // network, server restart, protocol error: reconnect
        refused,       // the server revoked or refused this runner's credentials: exit 77
        incompatible,  // no common protocol version: exit 78
        stopped,       // drained on request: exit 0
    };
    Kind kind = Kind::lost;
    std::string reason;
};

// What a session needs from the runner around it; all outlive the session.
struct SessionServices {
    const ops::Catalog& catalog;
    const ops::RunnerFacts& facts;
    const Policy& policy;
    AuditTrail* audit = nullptr;
    std::function<void(const tunnel::Welcome&)> on_welcome;
    const providers::Registry* providers = nullptr;
    providers::ProviderContext* provider_context = nullptr;
    ValueResolver* values = nullptr;  // resolves references before an operation runs
};

class TunnelSession : public std::enable_shared_from_this<TunnelSession> {
public:
    TunnelSession(boost::asio::io_context& io, std::shared_ptr<tunnel::Channel> channel, SessionServices services,
                  SessionSettings settings);

    // Greets the server, then serves until the tunnel ends.
    boost::asio::awaitable<SessionEnd> run();

    // Stop taking requests; finish those in flight within the drain
    // timeout, answer the rest shutting_down, then close the tunnel.
    void drain();

private:
    struct Flight;

    bool handle(std::string_view text, SessionEnd& end);
    void on_request(tunnel::Message& request);
    void start(tunnel::Message& request, std::optional<providers::ConnectionConfig> connection,
               const ops::Handler& handler);
    // `connection`: the one the request names, once read, for the audit trail.
    void refuse(const tunnel::Message& request, std::string_view code, const std::string& message,
                const providers::ConnectionConfig* connection = nullptr);
    void answer(const std::string& id, const std::shared_ptr<Flight>& flight, Result<nlohmann::json> outcome,
                std::string_view error_code = {});
    void send_result(const std::string& id, std::string result);
    // `flight` adds what the operation did (its endpoint, references and
    // redactions) and its connection; a request refused before it ran has
    // none, and names its `connection` once read.
    void record(const tunnel::Message& request, std::string_view outcome,
                std::chrono::steady_clock::time_point started, std::chrono::system_clock::time_point received_at,
                const Flight* flight = nullptr, const providers::ConnectionConfig* connection = nullptr);
    void close_tunnel();

    boost::asio::io_context& io_;
    std::shared_ptr<tunnel::Channel> channel_;
    SessionServices services_;
    SessionSettings settings_;
    std::map<std::string, std::shared_ptr<Flight>> in_flight_;
    boost::asio::steady_timer drain_timer_;
    std::size_t max_message_bytes_ = tunnel::default_max_message_bytes;  // the server's, from its welcome
    bool welcomed_ = false;
    bool draining_ = false;
    bool closing_ = false;
    bool ended_ = false;
    std::optional<tunnel::ErrorBody> server_close_;
};

}  // namespace tether::runner
