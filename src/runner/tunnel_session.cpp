#include "tunnel_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "tether/core/log.h"
#include "runner_log.h"
#include "tether/core/json.h"

namespace tether::runner {

namespace asio = boost::asio;
namespace code = tunnel::error_code;
using nlohmann::json;

namespace {

// Codes with which the server ends a tunnel for good.
bool is_refusal(const std::string& close_code) {
    return close_code == code::revoked || close_code == code::unauthenticated || close_code == code::permission_denied;
}

template <typename Each>
bool for_each_message(std::string_view frame, Each each) {
    while (!frame.empty()) {
        std::size_t end = frame.find('\n');
        if (!each(frame.substr(0, end))) return false;
        if (end == std::string_view::npos) break;
        frame.remove_prefix(end + 1);
    }
    return true;
}

}  // namespace

struct TunnelSession::Flight {
    explicit Flight(asio::io_context& io) : wake(io), deadline(io) {}
    asio::steady_timer wake;
    asio::steady_timer deadline;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::chrono::system_clock::time_point received_at = std::chrono::system_clock::now();
    tunnel::Message request;  // id, operation, connection: what the audit records (params are dropped)
    // The connection the request names, read from its connection_config;
    // it (and its inline credentials) lives as long as the flight.
    std::optional<providers::ConnectionConfig> connection;
    std::optional<std::string> endpoint;  // where the operation sent its request, for the audit trail
    std::vector<std::string> references;  // what its references resolved to, for the audit trail
    std::vector<std::string> redacted;    // references whose values were taken out of its result
    bool answered = false;
};

TunnelSession::TunnelSession(asio::io_context& io, std::shared_ptr<tunnel::Channel> channel, SessionServices services,
                             SessionSettings settings)
    : io_(io), channel_(std::move(channel)), services_(std::move(services)), settings_(settings), drain_timer_(io) {}

asio::awaitable<SessionEnd> TunnelSession::run() {
    tunnel::Hello hello;
    hello.runner_version = services_.facts.version;
    hello.hostname = services_.facts.hostname;
    hello.operations = services_.catalog.names();
    hello.capabilities = {"cancel"};
    hello.max_in_flight = settings_.max_in_flight;
    hello.max_message_bytes = settings_.max_message_bytes;
    channel_->send(tunnel::hello_message(hello));

    asio::steady_timer welcome_timer(io_);
    welcome_timer.expires_after(settings_.welcome_timeout);
    welcome_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec && !self->welcomed_) self->channel_->close(tunnel::close_code::policy_violation, "no welcome");
    });

    SessionEnd end{SessionEnd::Kind::lost, ""};
    while (!ended_) {
        auto frame = co_await channel_->receive();
        if (!frame) {
            if (end.reason.empty()) end.reason = frame.error().message;
            break;
        }
        if (frame.value().binary) {
            end.reason = "the server sent a binary frame";
            runner_log.warn("protocol violation by the server; reconnecting", {{"reason", end.reason}});
            channel_->close(tunnel::close_code::protocol_error, "protocol error");
            break;
        }
        bool go_on = for_each_message(frame.value().data, [&](std::string_view text) { return handle(text, end); });
        wipe(frame.value().data);  // a request may have carried inline credentials
        if (!go_on) break;
    }
    welcome_timer.cancel();
    drain_timer_.cancel();
    ended_ = true;
    // Whatever is still running can no longer be answered.
    for (auto& [id, flight] : in_flight_) {
        flight->answered = true;
        flight->deadline.cancel();
        flight->wake.cancel();
        record(flight->request, "tunnel_lost", flight->started, flight->received_at, flight.get());
    }
    in_flight_.clear();

    if (server_close_ && is_refusal(server_close_->code)) {
        co_return SessionEnd{SessionEnd::Kind::refused, server_close_->message};
    }
    if (server_close_ && server_close_->code == "unsupported_version") {
        co_return SessionEnd{SessionEnd::Kind::incompatible, server_close_->message};
    }
    if (draining_ && closing_) co_return SessionEnd{SessionEnd::Kind::stopped, "drained"};
    if (server_close_) end.reason = server_close_->code + ": " + server_close_->message;
    co_return end;
}

// One message; false ends the session (the reason in `end`).
bool TunnelSession::handle(std::string_view text, SessionEnd& end) {
    auto message = tunnel::parse_message(text);
    if (!message) {
        end.reason = "the server sent a malformed message: " + message.error().message;
        runner_log.warn("protocol violation by the server; reconnecting", {{"reason", end.reason}});
        channel_->send(tunnel::close_message(code::protocol_error, message.error().message));
        channel_->close(tunnel::close_code::protocol_error, "protocol error");
        return false;
    }
    tunnel::Message& m = message.value();
    if (!welcomed_) {
        if (m.type == tunnel::MessageType::close) {
            server_close_ = m.error;
            return true;  // the WebSocket close follows
        }
        if (m.type != tunnel::MessageType::welcome) {
            end.reason = std::string("expected welcome, got ") + to_string(m.type);
            channel_->close(tunnel::close_code::protocol_error, "protocol error");
            return false;
        }
        welcomed_ = true;
        max_message_bytes_ = m.welcome.max_message_bytes;
        if (services_.on_welcome) services_.on_welcome(m.welcome);
        return true;
    }
    switch (m.type) {
        case tunnel::MessageType::request: on_request(m); return true;
        case tunnel::MessageType::cancel: {
            auto flight = in_flight_.find(m.id);
            if (flight != in_flight_.end()) {
                auto held = flight->second;
                answer(m.id, held, Error{ErrorKind::internal, "cancelled by the server"}, code::cancelled);
            }
            return true;  // already answered: nothing to do
        }
        case tunnel::MessageType::close:
            server_close_ = m.error;
            runner_log.info("the server is closing the tunnel", {{"code", m.error->code}, {"message", m.error->message}});
            return true;
        default:
            end.reason = std::string("the server sent an unexpected ") + to_string(m.type);
            runner_log.warn("protocol violation by the server; reconnecting", {{"reason", end.reason}});
            channel_->close(tunnel::close_code::protocol_error, "protocol error");
            return false;
    }
}

// The runner's own checks come first, whatever the server asked for.
void TunnelSession::on_request(tunnel::Message& request) {
    if (draining_) return refuse(request, code::shutting_down, "the runner is shutting down");
    if (in_flight_.count(request.id) != 0) {
        return refuse(request, code::invalid_argument, "request id " + request.id + " is already in flight");
    }
    if (in_flight_.size() >= settings_.max_in_flight) {
        return refuse(request, code::busy,
                      "the runner has " + std::to_string(in_flight_.size()) + " requests in flight, its bound");
    }
    const Policy& policy = services_.policy;
    if (!policy.allows_operation(request.operation)) {
        runner_log.warn("request refused by the runner policy",
                    {{"request_id", request.id}, {"operation", request.operation}});
        return refuse(request, code::permission_denied,
                      "this runner's policy does not allow operation " + request.operation);
    }
    if (request.connection && !policy.allows_connection(*request.connection)) {
        runner_log.warn("request refused by the runner policy",
                    {{"request_id", request.id}, {"connection", *request.connection}});
        return refuse(request, code::permission_denied,
                      "this runner's policy does not allow connection " + *request.connection);
    }
    std::optional<providers::ConnectionConfig> connection;
    if (request.connection) {
        auto parsed = providers::parse_connection(*request.connection, request.connection_config);
        request.connection_config = Secret();
        if (!parsed) return refuse(request, code::invalid_argument, parsed.error().message);
        connection = std::move(parsed).value();
        if (!policy.allows_provider(connection->provider)) {
            runner_log.warn("request refused by the runner policy",
                        {{"request_id", request.id}, {"connection", connection->name}, {"provider", connection->provider}});
            return refuse(request, code::permission_denied,
                          "this runner's policy does not allow provider " + connection->provider, &*connection);
        }
        if (!policy.allows_auth_mode(connection->auth_mode)) {
            runner_log.warn("request refused by the runner policy",
                        {{"request_id", request.id}, {"connection", connection->name}, {"auth_mode", connection->auth_mode}});
            return refuse(request, code::permission_denied,
                          "this runner's policy does not allow auth mode " + connection->auth_mode, &*connection);
        }
    }
    const ops::Handler* handler = services_.catalog.find(request.operation);
    if (handler == nullptr) {
        return refuse(request, code::unknown_operation, "this runner has no operation " + request.operation,
                      connection ? &*connection : nullptr);
    }
    start(request, std::move(connection), *handler);
}

void TunnelSession::start(tunnel::Message& request, std::optional<providers::ConnectionConfig> connection,
                          const ops::Handler& handler) {
    auto flight = std::make_shared<Flight>(io_);
    std::string id = request.id;
    json params = std::move(request.params);
    flight->request = std::move(request);
    flight->connection = std::move(connection);
    in_flight_[id] = flight;

    flight->deadline.expires_after(std::chrono::milliseconds(flight->request.timeout_ms.value_or(0)));
    flight->deadline.async_wait([self = shared_from_this(), id, flight](const boost::system::error_code& ec) {
        if (!ec) self->answer(id, flight, Error{ErrorKind::deadline_exceeded, "the deadline passed on the runner"});
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(flight->request.timeout_ms.value_or(0));
    asio::co_spawn(
        io_,
        [self = shared_from_this(), id, flight, &handler, deadline, params = std::move(params)]() mutable
        -> asio::awaitable<void> {
            auto& connection = flight->connection;
            ResolvedValues resolved;
            if (self->services_.values != nullptr) {
                auto values =
                    co_await self->services_.values->resolve(id, params, connection ? &*connection : nullptr, deadline);
                if (!values) {
                    self->answer(id, flight, values.error());
                    co_return;
                }
                resolved = std::move(values).value();
                flight->references = resolved.references();
            }
            ops::OperationContext context{flight->wake, self->services_.facts, connection ? &*connection : nullptr,
                                          self->services_.providers, self->services_.provider_context,
                                          &flight->endpoint};
            Result<json> outcome = co_await handler(params, context);
            if (!resolved.empty()) {
                // Whatever the server asked for, a secret this runner
                // resolved does not go back in a result or an error.
                if (outcome) {
                    flight->redacted = resolved.redact(outcome.value());
                } else {
                    Error error = outcome.error();
                    flight->redacted = resolved.redact(error.message);
                    outcome = std::move(error);
                }
                if (!flight->redacted.empty()) {
                    runner_log.warn("a result held the value of a resolved reference; redacted",
                                    {{"request_id", id}, {"operation", flight->request.operation},
                                     {"references", joined_references(flight->redacted)}});
                }
                // What the references put in clear goes with the operation.
                wipe_json(params);
                if (connection) wipe_json(connection->settings);
            }
            self->answer(id, flight, std::move(outcome));
        },
        asio::detached);
}

// Small results go in one response; large ones as chunk frames, so that no
// single message has to fit the whole result.
void TunnelSession::send_result(const std::string& id, std::string result) {
    // The envelope around a result is under 128 bytes (the id is at most 64).
    if (result.size() <= tunnel::stream_threshold && result.size() + 128 <= max_message_bytes_) {
        channel_->send(tunnel::result_message_raw(id, result));
        return;
    }
    std::string_view rest = result;
    std::size_t piece = std::min(tunnel::stream_threshold, max_message_bytes_ - 128);
    do {
        std::string_view payload = rest.substr(0, piece);
        rest.remove_prefix(payload.size());
        channel_->send_binary(tunnel::chunk_frame(id, rest.empty(), payload));
    } while (!rest.empty());
    channel_->send(tunnel::streamed_result_message(id));
}

void TunnelSession::refuse(const tunnel::Message& request, std::string_view error_code, const std::string& message,
                           const providers::ConnectionConfig* connection) {
    channel_->send(tunnel::error_message(request.id, error_code, message));
    record(request, error_code, std::chrono::steady_clock::now(), std::chrono::system_clock::now(), nullptr,
           connection);
}

// The first outcome of a request wins: its handler, its deadline, a cancel
// or the drain; later ones find it answered.
void TunnelSession::answer(const std::string& id, const std::shared_ptr<Flight>& flight, Result<json> outcome,
                           std::string_view error_code) {
    if (flight->answered) return;
    flight->answered = true;
    flight->deadline.cancel();
    flight->wake.cancel();
    in_flight_.erase(id);
    std::string_view result_code = "succeeded";
    if (outcome) {
        send_result(id, outcome.value().dump(-1, ' ', false, json::error_handler_t::replace));
    } else {
        result_code = error_code.empty() ? tunnel::error_code_for(outcome.error().kind) : error_code;
        channel_->send(tunnel::error_message(id, result_code, outcome.error().message));
    }
    record(flight->request, result_code, flight->started, flight->received_at, flight.get());
    if (draining_ && in_flight_.empty()) close_tunnel();
}

void TunnelSession::record(const tunnel::Message& request, std::string_view outcome,
                           std::chrono::steady_clock::time_point started,
                           std::chrono::system_clock::time_point received_at, const Flight* flight,
                           const providers::ConnectionConfig* connection) {
    if (flight != nullptr && flight->connection) connection = &*flight->connection;
    if (services_.audit == nullptr) return;
    AuditRecord entry;
    entry.time = received_at;
    entry.request_id = request.id;
    entry.operation = request.operation;
    entry.connection = request.connection.value_or("");
    if (connection != nullptr) entry.auth_mode = connection->auth_mode;
    if (flight != nullptr) {
        entry.endpoint = flight->endpoint;
        entry.references = flight->references;
        entry.redacted = flight->redacted;
    }
    entry.outcome = std::string(outcome);
    entry.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (auto appended = services_.audit->append(entry); !appended) {
        runner_log.error("cannot write the audit trail", {{"error", appended.error().message}});
    }
}

void TunnelSession::drain() {
    if (draining_ || ended_) return;
    draining_ = true;
    if (in_flight_.empty()) return close_tunnel();
    runner_log.info("draining", {{"in_flight", in_flight_.size()},
                             {"drain_timeout_ms", static_cast<long long>(settings_.drain_timeout.count())}});
    drain_timer_.expires_after(settings_.drain_timeout);
    drain_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->ended_) return;
        auto remaining = self->in_flight_;
        for (auto& [id, flight] : remaining) {
            self->answer(id, flight, Error{ErrorKind::unavailable, "the runner stopped before the operation finished"},
                         code::shutting_down);
        }
        self->close_tunnel();
    });
}

void TunnelSession::close_tunnel() {
    if (closing_) return;
    closing_ = true;
    drain_timer_.cancel();
    channel_->send(tunnel::close_message(code::shutting_down, "the runner is stopping"));
    channel_->close(tunnel::close_code::going_away, "runner stopping");
}

}  // namespace tether::runner
