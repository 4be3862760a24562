#include "agent.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tether/core/log.h"
#include "tether/runner/systemd_notify.h"
#include "runner_log.h"

namespace tether::runner {

namespace asio = boost::asio;

Agent::Agent(asio::io_context& io, const RunnerConfig& config, std::unique_ptr<tunnel::Dialer> dialer,
             ControlPlaneTarget control_plane, ops::RunnerFacts facts, std::optional<AuditTrail> audit)
    : io_(io),
      config_(config),
      dialer_(std::move(dialer)),
      facts_(std::move(facts)),
      audit_(std::move(audit)),
      backoff_(config.reconnect_initial, config.reconnect_max),
      retry_timer_(io),
      watchdog_timer_(io) {
    ops::register_system_operations(catalog_);
    ops::register_aws_operations(catalog_);
    ops::register_kubernetes_operations(catalog_);
    providers::register_builtin_providers(providers_, config.providers);
    facts_.providers = providers_.names();

    // Cloud calls: the system's CAs (or SSL_CERT_FILE); without any, the
    // runner still serves, and calls that need HTTPS fail saying why.
    config::Environment environment = config::process_environment();
    http::PoolOptions pool_options;
    pool_options.proxy = http::ProxyEnvironment::from(environment);
    http_ = http::ConnectionPool::create(io.get_executor(), std::move(pool_options), environment);
    if (const auto& untrusted = http_->system_trust_error()) {
        runner_log.warn("cloud calls over HTTPS will fail", {{"reason", untrusted->message}});
    }
    provider_context_.http = http_.get();
    provider_context_.environment = environment;
    provider_context_.endpoint_allowed = [this](std::string_view host, std::uint16_t port) {
        return config_.policy.allows_endpoint(host, port);
    };
    provider_context_.runner = facts_.runner;

    auto plane = ControlPlane::create(http_, std::move(control_plane.api), control_plane.ca,
                                      std::move(control_plane.api_key), config.value_timeout);
    if (!plane) fail(ExitCode::config, "the control plane: " + plane.error().message);
    control_plane_ = std::move(plane).value();
    values_ = std::make_unique<ValueResolver>(io, config_.policy, control_plane_.get(), environment,
                                              config.value_cache_ttl);
    if (auto interval = watchdog_interval()) keep_watchdog_fed(*interval);
}

asio::awaitable<void> Agent::run() {
    while (!stopping_) {
        auto channel = co_await dialer_->dial();
        if (!channel) {
            const Error& error = channel.error();
            if (error.kind == ErrorKind::unauthenticated || error.kind == ErrorKind::permission_denied) {
                outcome_ = {ExitCode::refused, error.message};
                co_return;
            }
            if (error.kind == ErrorKind::invalid_argument || error.kind == ErrorKind::failed_precondition) {
                outcome_ = {ExitCode::config, error.message};
                co_return;
            }
            co_await wait_to_retry(error.message);
            continue;
        }
        if (stopping_) break;

        SessionServices services{catalog_, facts_, config_.policy, audit_ ? &*audit_ : nullptr,
                                 [this](const tunnel::Welcome& welcome) { on_welcome(welcome); }, &providers_,
                                 &provider_context_, values_.get()};
        SessionSettings settings;
        settings.max_in_flight = config_.max_in_flight;
        settings.max_message_bytes = config_.max_message_bytes;
        settings.welcome_timeout = config_.connect_timeout;
        settings.drain_timeout = config_.drain_timeout;
        session_ = std::make_shared<TunnelSession>(io_, std::move(channel).value(), std::move(services), settings);
        if (stopping_) session_->drain();
        SessionEnd end = co_await session_->run();
        session_.reset();

        switch (end.kind) {
            case SessionEnd::Kind::refused:
                outcome_ = {ExitCode::refused, "the server refused this runner's credentials: " + end.reason};
                co_return;
            case SessionEnd::Kind::incompatible:
                outcome_ = {ExitCode::config, "the server and this runner share no protocol version: " + end.reason};
                co_return;
            case SessionEnd::Kind::stopped: co_return;
            case SessionEnd::Kind::lost:
                if (stopping_) co_return;
                runner_log.warn("tunnel lost; reconnecting", {{"reason", end.reason}});
                last_failure_.clear();
                co_await wait_to_retry("");
                break;
        }
    }
}

// Logged once per change of cause, so a long outage is one line, not one
// per attempt.
asio::awaitable<void> Agent::wait_to_retry(const std::string& failure) {
    auto delay = backoff_.next();
    if (!failure.empty() && failure != last_failure_) {
        runner_log.warn("cannot reach the server; retrying with backoff",
                    {{"error", failure}, {"retry_in_ms", static_cast<long long>(delay.count())}});
        last_failure_ = failure;
    } else if (!failure.empty()) {
        runner_log.debug("still cannot reach the server", {{"retry_in_ms", static_cast<long long>(delay.count())}});
    }
    boost::system::error_code ec;
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void Agent::on_welcome(const tunnel::Welcome& welcome) {
    backoff_.reset();
    last_failure_.clear();
    runner_log.info("tunnel up", {{"tunnel_id", welcome.tunnel_id},
                              {"org", welcome.org},
                              {"runner", welcome.runner},
                              {"server_version", welcome.server_version},
                              {"max_in_flight", welcome.max_in_flight}});
    welcomed_ = true;
    if (!control_plane_checking_ && !control_plane_checked_) {
        control_plane_checking_ = true;
        asio::co_spawn(io_, check_control_plane(), asio::detached);
    }
    announce_ready_once_checked();
}

// systemd hears READY once both phases have passed: a tunnel was welcomed
// and the API knows the key.
void Agent::announce_ready_once_checked() {
    if (announced_ready_ || !welcomed_ || !control_plane_checked_) return;
    announced_ready_ = true;
    notify_systemd("READY=1\nSTATUS=tunnel up");
}

asio::awaitable<void> Agent::check_control_plane() {
    Backoff backoff(config_.reconnect_initial, config_.reconnect_max);
    asio::steady_timer timer(io_);
    std::string last_failure;
    std::string expected_account = "runner:" + facts_.runner;
    while (!stopping_) {
        auto identity = co_await control_plane_->whoami();
        if (stopping_) break;
        if (identity) {
            const ControlPlaneIdentity& me = identity.value();
            if (me.kind != "runner" || me.org != facts_.org || me.service_account != expected_account) {
                refuse("the server's API knows this runner's API key as " + me.service_account + " of org " + me.org +
                       ", not as " + expected_account + " of org " + facts_.org);
                break;
            }
            control_plane_checked_ = true;
            runner_log.info("control plane session up",
                            {{"api_endpoint", control_plane_->api().to_string()}, {"service_account", me.service_account}});
            announce_ready_once_checked();
            break;
        }
        const Error& error = identity.error();
        if (error.kind == ErrorKind::unauthenticated || error.kind == ErrorKind::permission_denied) {
            refuse("the server's API refused this runner's API key: " + error.message);
            break;
        }
        auto delay = backoff.next();
        if (error.message != last_failure) {
            runner_log.warn("cannot reach the server's API; retrying with backoff",
                            {{"error", error.message}, {"retry_in_ms", static_cast<long long>(delay.count())}});
            last_failure = error.message;
        }
        timer.expires_after(delay);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    control_plane_checking_ = false;
}

void Agent::refuse(const std::string& message) {
    if (stopping_) return;
    outcome_ = {ExitCode::refused, message};
    stopping_ = true;
    retry_timer_.cancel();
    if (session_) session_->drain();
}

void Agent::stop() {
    if (stopping_) return;
    stopping_ = true;
    notify_systemd("STOPPING=1");
    retry_timer_.cancel();
    watchdog_timer_.cancel();
    if (session_) session_->drain();
}

void Agent::keep_watchdog_fed(std::chrono::microseconds interval) {
    // Half the interval, as sd_watchdog_enabled(3) advises.
    watchdog_timer_.expires_after(interval / 2);
    watchdog_timer_.async_wait([this, interval](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        notify_systemd("WATCHDOG=1");
        keep_watchdog_fed(interval);
    });
}

}  // namespace tether::runner
