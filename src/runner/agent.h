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
#include "tunnel_session.h"

namespace tether::runner {

struct AgentOutcome {
    ExitCode code = ExitCode::ok;
    std::string message;  // for stderr when the code is not ok
};

class Agent {
public:
    Agent(boost::asio::io_context& io, const RunnerConfig& config, std::unique_ptr<tunnel::Dialer> dialer,
          ops::RunnerFacts facts, std::optional<AuditTrail> audit);

    boost::asio::awaitable<void> run();
    // SIGTERM/SIGINT: drain the tunnel (or stop waiting to reconnect).
    void stop();
    const AgentOutcome& outcome() const { return outcome_; }

private:
    void on_welcome(const tunnel::Welcome& welcome);
    boost::asio::awaitable<void> wait_to_retry(const std::string& failure);
    void keep_watchdog_fed(std::chrono::microseconds interval);

    boost::asio::io_context& io_;
    const RunnerConfig& config_;
    std::unique_ptr<tunnel::Dialer> dialer_;
    ops::Catalog catalog_;
    providers::Registry providers_;
    std::shared_ptr<http::ConnectionPool> http_;  // null when the runner has no CAs to verify servers with
    providers::ProviderContext provider_context_;
    ops::RunnerFacts facts_;
    std::optional<AuditTrail> audit_;
    Backoff backoff_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer watchdog_timer_;
    std::shared_ptr<TunnelSession> session_;
    std::string last_failure_;
    bool announced_ready_ = false;
    bool stopping_ = false;
    AgentOutcome outcome_;
};

}  // namespace tether::runner
