#pragma once

// The runner's life: dial, serve a tunnel, and on losing it dial again with
// capped exponential backoff and full jitter, until the credentials are
// refused (exit 77) or a signal drains it (exit 0). Private to src/runner.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "tether/core/exit_code.h"
#include "tether/http/connection_pool.h"
#include "tether/ops/catalog.h"
#include "tether/providers/provider.h"
#include "tether/runner/audit_trail.h"
#include "tether/runner/backoff.h"
#include "tether/runner/config.h"
#include "tether/tunnel/dialer.h"
#include "tether/runner/control_plane.h"
#include "tunnel_session.h"
#include "tether/runner/value_resolver.h"

namespace tether::runner {

struct AgentOutcome {
    ExitCode code = ExitCode::ok;
    std::string message;  // for stderr when the code is not ok
};

// Where the runner's control-plane session goes, and as whom.
struct ControlPlaneTarget {
    Url api;
    pki::Certificate ca;  // of the credentials file: the only one trusted
    Secret api_key;
};

class Agent {
public:
    // invalid_argument from making the control plane's TLS context ends in
    // Fatal (config).
    Agent(boost::asio::io_context& io, const RunnerConfig& config, std::unique_ptr<tunnel::Dialer> dialer,
          ControlPlaneTarget control_plane, ops::RunnerFacts facts, std::optional<AuditTrail> audit);

    boost::asio::awaitable<void> run();
    // SIGTERM/SIGINT: drain the tunnel (or stop waiting to reconnect).
    void stop();
    const AgentOutcome& outcome() const { return outcome_; }

private:
    void on_welcome(const tunnel::Welcome& welcome);
    // Phase 2 over the API: the server knows this runner's key as this
    // runner's. Retried while the API cannot be reached; a refusal ends
    // the runner (exit 77).
    boost::asio::awaitable<void> check_control_plane();
    void refuse(const std::string& message);
    void announce_ready_once_checked();
    boost::asio::awaitable<void> wait_to_retry(const std::string& failure);
    void keep_watchdog_fed(std::chrono::microseconds interval);

    boost::asio::io_context& io_;
    const RunnerConfig& config_;
    std::unique_ptr<tunnel::Dialer> dialer_;
    ops::Catalog catalog_;
    providers::Registry providers_;
    std::shared_ptr<http::ConnectionPool> http_;
    providers::ProviderContext provider_context_;
    std::unique_ptr<ControlPlane> control_plane_;
    std::unique_ptr<ValueResolver> values_;
    ops::RunnerFacts facts_;
    std::optional<AuditTrail> audit_;
    Backoff backoff_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer watchdog_timer_;
    std::shared_ptr<TunnelSession> session_;
    std::string last_failure_;
    bool announced_ready_ = false;
    bool welcomed_ = false;               // a tunnel has been up at least once
    bool control_plane_checking_ = false;
    bool control_plane_checked_ = false;
    bool stopping_ = false;
    AgentOutcome outcome_;
};

}  // namespace tether::runner
