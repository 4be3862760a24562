#include "tunnel_hub.h"

#include "connection_material.h"
#include "tether/store/connections.h"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "tether/core/json.h"
#include "tether/core/log.h"
#include "tether/crypto/random.h"
#include "tether/store/statement.h"
#include "tether/store/tunnels.h"
#include "tether/tunnel/protocol.h"
#include "tether/core/timestamp.h"
#include "loggers.h"

namespace tether::server {

namespace asio = boost::asio;
namespace code = tunnel::error_code;

namespace {

// Runner-initiated request ids remembered per tunnel to refuse reuse.
constexpr std::size_t remembered_request_ids = 4096;

struct Session {
    std::shared_ptr<tunnel::Channel> channel;
    Admission admission;
    std::string tunnel_id;
    std::string runner_label;  // org/name, for the log
    std::size_t max_in_flight = 0;
    std::size_t max_message_bytes = 0;  // the smaller of the two sides' limits
    std::map<std::string, std::int64_t> in_flight;  // operation public id -> row id
    std::map<std::string, std::string> streams;      // chunks received so far, by operation public id
    std::set<std::string> oversized;                 // streams past the bound: their chunks are dropped
    std::set<std::string> runner_request_ids;
    std::deque<std::string> runner_request_order;
    std::string end_code{code::runner_disconnected};
    std::string end_message = "the runner disconnected while the operation ran";
    bool registered = false;
    bool closing = false;
    mutable bool held_back = false;  // free_slots said 0 for the queue: dispatch again once it drains

    // Requests it accepts beyond those it runs: past this, a submission is busy.
    std::size_t capacity() const {
        if (!registered || closing || in_flight.size() >= max_in_flight) return 0;
        return max_in_flight - in_flight.size();
    }

    // Requests to send it now. None to a runner that has not read what it
    // was sent: past one message's worth queued, work waits (queued in the
    // store) until the queue drains (on_drained), so a runner that stops
    // reading costs the server that much memory, not max_in_flight messages.
    std::size_t free_slots() const {
        if (channel->queued_bytes() > max_message_bytes) {
            held_back = true;
            return 0;
        }
        return capacity();
    }
};

// The final status an error from the runner puts an operation in.
store::OperationStatus status_for(const std::string& error_code) {
    if (error_code == code::deadline_exceeded) return store::OperationStatus::timed_out;
    if (error_code == code::cancelled) return store::OperationStatus::cancelled;
    return store::OperationStatus::failed;
}

store::OperationOutcome failure(std::string_view error_code, std::string message) {
    store::OperationOutcome outcome;
    outcome.error_code = std::string(error_code);
    outcome.error_message = std::move(message);
    return outcome;
}

// An operation's end, for on_finished once it is committed.
using Ended = std::vector<std::pair<std::int64_t, store::OperationStatus>>;

// A runner's answer, stored at the next settle.
struct Answer {
    std::int64_t operation_id;
    store::OperationStatus status;
    store::OperationOutcome outcome;
};

// A request started in the store, sent once that start is committed.
struct Outgoing {
    std::shared_ptr<Session> session;
    std::string public_id;
    std::string request;
    bool sensitive = false;  // holds inline credentials: wiped if never sent

    Outgoing(std::shared_ptr<Session> session_, std::string public_id_, std::string request_, bool sensitive_)
        : session(std::move(session_)), public_id(std::move(public_id_)), request(std::move(request_)),
          sensitive(sensitive_) {}
    Outgoing(Outgoing&&) = default;
    Outgoing& operator=(Outgoing&&) = default;
    ~Outgoing() {
        if (sensitive) wipe(request);
    }
};

// Calls `each` for every newline-separated message of a text frame.
template <typename Each>
bool for_each_message(std::string_view frame, Each each) {
    while (!frame.empty()) {
        std::size_t end = frame.find('\n');
        std::string_view line = frame.substr(0, end);
        if (!each(line)) return false;
        if (end == std::string_view::npos) break;
        frame.remove_prefix(end + 1);
    }
    return true;
}

}  // namespace

struct TunnelHub::State : std::enable_shared_from_this<State> {
    State(asio::io_context& io_, const store::Database& database_, HubSettings settings_)
        : io(io_), database(database_), settings(std::move(settings_)), deadline_timer(io_), sweep_timer(io_) {}

    asio::io_context& io;
    const store::Database& database;
    HubSettings settings;
    std::map<std::int64_t, std::vector<std::shared_ptr<Session>>> sessions;  // by runner row id
    asio::steady_timer deadline_timer;
    std::int64_t deadline_armed_ms = std::numeric_limits<std::int64_t>::max();
    asio::steady_timer sweep_timer;
    bool revalidation_posted = false;
    bool stopped = false;
    // Group commit: the answers and dispatches of one turn of the io loop
    // (a batch of messages from a runner, a burst of submissions) share one
    // transaction, so 64 operations in flight cost one fsync, not 128.
    std::vector<Answer> answers;
    std::map<std::int64_t, std::size_t> to_dispatch;  // runner row id -> submissions not yet dispatched
    bool settle_posted = false;

    asio::awaitable<void> serve(std::shared_ptr<Session> session);
    bool greet(Session& session, const tunnel::Frame& frame);
    bool handle(Session& session, std::string_view text);
    bool complete(Session& session, tunnel::Message& message);
    bool receive_chunk(Session& session, std::string_view frame);
    void violation(Session& session, const std::string& reason);
    void end(Session& session);
    void dispatch_soon(std::int64_t runner_id, std::size_t submitted = 0);
    void settle_soon();
    void settle();
    void start_queued(std::int64_t runner_id, std::vector<Outgoing>& outgoing, Ended& ended);
    Result<Secret> resolve_connection(const store::Operation& operation);
    bool store_end(std::int64_t operation_id, store::OperationStatus status, const store::OperationOutcome& outcome,
                   std::int64_t now);
    void revalidate();
    void revoke(Session& session, const std::string& reason);
    void on_deadline();
    void arm_deadline(std::int64_t at_ms);
    void arm_sweep();
    void answered(std::int64_t operation_id, store::OperationStatus status, store::OperationOutcome outcome);
    void finish(std::int64_t operation_id, store::OperationStatus status, std::string_view error_code,
                std::string message);
    Session* holder_of(std::int64_t runner_id, const std::string& operation_id);
};

asio::awaitable<void> TunnelHub::State::serve(std::shared_ptr<Session> session) {
    // A peer that upgrades and then says nothing holds a slot: bound it.
    asio::steady_timer hello_timer(io);
    hello_timer.expires_after(settings.hello_timeout);
    hello_timer.async_wait([session](const boost::system::error_code& ec) {
        if (!ec && !session->registered) session->channel->close(tunnel::close_code::policy_violation, "no hello");
    });
    auto first = co_await session->channel->receive();
    hello_timer.cancel();
    if (!first) {
        tunnel_log.info("tunnel ended before hello", {{"runner", session->runner_label}, {"reason", first.error().message}});
        end(*session);
        co_return;
    }
    if (!greet(*session, first.value())) {
        end(*session);
        co_return;
    }

    while (!stopped) {
        auto frame = co_await session->channel->receive();
        if (!frame) {
            if (!session->closing) {
                tunnel_log.info("tunnel lost", {{"runner", session->runner_label},
                                            {"tunnel_id", session->tunnel_id},
                                            {"reason", frame.error().message}});
            }
            break;
        }
        if (frame.value().binary) {
            if (!session->closing && !receive_chunk(*session, frame.value().data)) break;
            continue;
        }
        if (!for_each_message(frame.value().data, [&](std::string_view text) { return handle(*session, text); })) break;
    }
    end(*session);
}

bool TunnelHub::State::greet(Session& session, const tunnel::Frame& frame) {
    if (frame.binary) {
        violation(session, "the first message must be hello");
        return false;
    }
    auto hello = tunnel::parse_message(frame.data);
    if (!hello) {
        violation(session, hello.error().message);
        return false;
    }
    if (hello.value().type != tunnel::MessageType::hello) {
        violation(session, "the first message must be hello, not " + std::string(to_string(hello.value().type)));
        return false;
    }
    const tunnel::Hello& greeting = hello.value().hello;
    bool speaks_ours = false;
    for (int version : greeting.versions) speaks_ours = speaks_ours || version == tunnel::protocol_version;
    if (!speaks_ours) {
        std::string reason = "this server speaks tunnel protocol version " + std::to_string(tunnel::protocol_version);
        session.channel->send(tunnel::close_message("unsupported_version", reason));
        session.channel->close(tunnel::close_code::policy_violation, reason);
        tunnel_log.warn("tunnel refused", {{"runner", session.runner_label}, {"reason", reason}});
        return false;
    }

    session.tunnel_id = "tn_" + crypto::random_base62(16);
    session.max_in_flight = settings.max_in_flight;
    // What this side sends must fit the runner's limit as well as ours.
    session.max_message_bytes = settings.limits.max_message_bytes;
    if (greeting.max_message_bytes > 0 && greeting.max_message_bytes < session.max_message_bytes) {
        session.max_message_bytes = greeting.max_message_bytes;
    }
    if (greeting.max_in_flight > 0 && greeting.max_in_flight < session.max_in_flight) {
        session.max_in_flight = greeting.max_in_flight;
    }
    const store::Runner& runner = session.admission.runner;
    auto recorded = store::insert_tunnel(database, {session.tunnel_id, runner.id, settings.server_instance,
                                                     session.channel->peer(), greeting.runner_version,
                                                     greeting.hostname, session.admission.fingerprint,
                                                     session.admission.key_id, unix_now_ms()});
    if (!recorded) {
        tunnel_log.error("cannot record tunnel", {{"runner", session.runner_label}, {"error", recorded.error().message}});
        session.channel->send(tunnel::close_message(code::unavailable, "the server cannot record the tunnel"));
        session.channel->close(tunnel::close_code::going_away, "store unavailable");
        return false;
    }
    (void)store::touch_runner_seen(database, runner.id, unix_now_seconds());

    tunnel::Welcome welcome;
    welcome.server_version = TETHER_VERSION;
    welcome.tunnel_id = session.tunnel_id;
    welcome.org = runner.org;
    welcome.runner = runner.name;
    welcome.max_message_bytes = settings.limits.max_message_bytes;
    welcome.max_in_flight = session.max_in_flight;
    welcome.liveness_timeout_ms = settings.limits.liveness_timeout.count();
    welcome.capabilities = {"cancel"};
    session.channel->send(tunnel::welcome_message(welcome));
    session.registered = true;
    tunnel_log.info("tunnel up", {{"runner", session.runner_label},
                              {"tunnel_id", session.tunnel_id},
                              {"peer", session.channel->peer()},
                              {"runner_version", greeting.runner_version},
                              {"pool", sessions[runner.id].size()}});
    dispatch_soon(runner.id);
    return true;
}

bool TunnelHub::State::handle(Session& session, std::string_view text) {
    if (session.closing) return true;  // whatever crosses our close is moot
    auto message = tunnel::parse_message(text);
    if (!message) {
        violation(session, message.error().message);
        return false;
    }
    switch (message.value().type) {
        case tunnel::MessageType::response: return complete(session, message.value());
        case tunnel::MessageType::request: {
            // Runner-initiated requests (secret.resolve and the like) come
            // with later issues; each is answered, never left hanging.
            const std::string& id = message.value().id;
            if (!session.runner_request_ids.insert(id).second) {
                session.channel->send(tunnel::error_message(id, code::invalid_argument,
                                                            "request id " + id + " was already used on this tunnel"));
                return true;
            }
            session.runner_request_order.push_back(id);
            if (session.runner_request_order.size() > remembered_request_ids) {
                session.runner_request_ids.erase(session.runner_request_order.front());
                session.runner_request_order.pop_front();
            }
            session.channel->send(tunnel::error_message(
                id, code::unknown_operation, "the server offers runners no operation '" + message.value().operation + "'"));
            return true;
        }
        case tunnel::MessageType::close:
            tunnel_log.info("runner is closing its tunnel", {{"runner", session.runner_label},
                                                        {"tunnel_id", session.tunnel_id},
                                                        {"code", message.value().error->code},
                                                        {"message", message.value().error->message}});
            session.closing = true;  // nothing new goes to it; the WebSocket close follows
            return true;
        default:
            violation(session, "a runner does not send " + std::string(to_string(message.value().type)));
            return false;
    }
}

bool TunnelHub::State::complete(Session& session, tunnel::Message& message) {
    auto it = session.in_flight.find(message.id);
    if (it == session.in_flight.end()) {
        violation(session, "response for request id " + message.id + ", which is not in flight on this tunnel");
        return false;
    }
    std::int64_t operation_id = it->second;
    session.in_flight.erase(it);
    auto stream = session.streams.find(message.id);
    std::string streamed;
    if (stream != session.streams.end()) {
        streamed = std::move(stream->second);
        session.streams.erase(stream);
    }
    if (session.oversized.erase(message.id) != 0) {
        // Already failed as too big; the rest of its answer is moot.
    } else if (message.streamed && !message.error) {
        // As deep as an inline result may be: one level inside its message.
        if (auto checked = check_json(streamed, max_json_depth - 1); !checked) {
            answered(operation_id, store::OperationStatus::failed,
                     failure(code::protocol_error,
                             "the runner's streamed result is not valid JSON: " + checked.error().message));
        } else {
            store::OperationOutcome outcome;
            outcome.result = std::move(streamed);
            answered(operation_id, store::OperationStatus::succeeded, std::move(outcome));
        }
    } else if (message.error) {
        answered(operation_id, status_for(message.error->code),
                 failure(message.error->code, std::move(message.error->message)));
    } else {
        store::OperationOutcome outcome;
        outcome.result = message.result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        answered(operation_id, store::OperationStatus::succeeded, std::move(outcome));
    }
    dispatch_soon(session.admission.runner.id);
    return true;
}

void TunnelHub::State::answered(std::int64_t operation_id, store::OperationStatus status,
                                store::OperationOutcome outcome) {
    answers.push_back({operation_id, status, std::move(outcome)});
    settle_soon();
}

void TunnelHub::State::dispatch_soon(std::int64_t runner_id, std::size_t submitted) {
    to_dispatch[runner_id] += submitted;
    settle_soon();
}

void TunnelHub::State::settle_soon() {
    if (settle_posted) return;
    settle_posted = true;
    asio::post(io, [self = shared_from_this()] {
        self->settle_posted = false;
        self->settle();
    });
}

// Stores the answers received and starts what the free slots allow, in one
// transaction; only once it is committed do requests go out and waiters
// hear of the ends. Whatever reads or changes operations in the store
// settles first, so that it never sees an answer the hub still holds.
void TunnelHub::State::settle() {
    if (answers.empty() && to_dispatch.empty()) return;
    auto received = std::exchange(answers, {});
    auto runners = std::exchange(to_dispatch, {});
    auto transaction = store::Transaction::begin(database);
    if (!transaction) {
        tunnel_log.error("cannot store the runners' answers", {{"error", transaction.error().message},
                                                           {"answers", received.size()}});
        return;
    }
    std::int64_t now = unix_now_ms();
    Ended ended;
    for (const Answer& answer : received) {
        if (store_end(answer.operation_id, answer.status, answer.outcome, now)) {
            ended.emplace_back(answer.operation_id, answer.status);
        }
    }
    std::vector<Outgoing> outgoing;
    for (const auto& [runner_id, submitted] : runners) start_queued(runner_id, outgoing, ended);
    if (auto committed = transaction.value().commit(); !committed) {
        tunnel_log.error("cannot store the runners' answers", {{"error", committed.error().message},
                                                           {"answers", received.size()}});
        for (const Outgoing& request : outgoing) request.session->in_flight.erase(request.public_id);
        return;
    }
    for (Outgoing& request : outgoing) {
        if (request.sensitive) {
            request.session->channel->send_sensitive(std::move(request.request));
        } else {
            request.session->channel->send(std::move(request.request));
        }
    }
    if (settings.on_finished) {
        for (const auto& [operation_id, status] : ended) settings.on_finished(operation_id, status);
    }
}

// Whether the operation ended now (false: it had ended already, or the
// store failed, which is logged).
bool TunnelHub::State::store_end(std::int64_t operation_id, store::OperationStatus status,
                                 const store::OperationOutcome& outcome, std::int64_t now) {
    auto finished = store::finish_operation(database, operation_id, status, outcome, now);
    if (!finished) tunnel_log.error("cannot store an outcome", {{"error", finished.error().message}});
    return finished && finished.value();
}

// A piece of a streamed result: only for a request in flight, and within
// the bound on a result's size (past it the operation fails and the rest of
// its chunks are dropped).
bool TunnelHub::State::receive_chunk(Session& session, std::string_view frame) {
    auto chunk = tunnel::parse_chunk_frame(frame);
    if (!chunk) {
        violation(session, chunk.error().message);
        return false;
    }
    auto in_flight = session.in_flight.find(chunk.value().id);
    if (in_flight == session.in_flight.end()) {
        violation(session, "chunk for request id " + chunk.value().id + ", which is not in flight on this tunnel");
        return false;
    }
    if (session.oversized.count(chunk.value().id) != 0) return true;
    std::string& received = session.streams[chunk.value().id];
    if (received.size() + chunk.value().payload.size() > settings.max_result_bytes) {
        finish(in_flight->second, store::OperationStatus::failed, code::message_too_big,
               "the streamed result exceeds the server's " + std::to_string(settings.max_result_bytes) +
                   "-byte limit (tunnel.max_result_size)");
        session.oversized.insert(chunk.value().id);
        session.streams.erase(chunk.value().id);
        return true;
    }
    received.append(chunk.value().payload);
    return true;
}

void TunnelHub::State::finish(std::int64_t operation_id, store::OperationStatus status, std::string_view error_code,
                              std::string message) {
    if (store_end(operation_id, status, failure(error_code, std::move(message)), unix_now_ms()) && settings.on_finished) {
        settings.on_finished(operation_id, status);
    }
}

// Malformed input closes only this tunnel, with the reason logged and sent.
void TunnelHub::State::violation(Session& session, const std::string& reason) {
    tunnel_log.warn("protocol violation; closing the tunnel",
                {{"runner", session.runner_label}, {"peer", session.channel->peer()}, {"reason", reason}});
    session.channel->send(tunnel::close_message(code::protocol_error, reason));
    session.channel->close(tunnel::close_code::protocol_error, "protocol error");
    session.closing = true;
    // What it was running fails with the reason, not as a plain disconnect.
    session.end_code = code::protocol_error;
    session.end_message = "the runner broke the tunnel protocol: " + reason.substr(0, 300);
}

void TunnelHub::State::end(Session& session) {
    session.closing = true;
    settle();
    std::int64_t runner_id = session.admission.runner.id;
    if (auto pool = sessions.find(runner_id); pool != sessions.end()) {
        std::erase_if(pool->second, [&](const auto& held) { return held.get() == &session; });
        if (pool->second.empty()) sessions.erase(pool);
    }
    if (!session.registered) return;
    auto failed = store::fail_running_operations(database, session.tunnel_id, session.end_code, session.end_message,
                                                 unix_now_ms());
    if (!failed) tunnel_log.error("cannot fail the tunnel's operations", {{"error", failed.error().message}});
    (void)store::delete_tunnel(database, session.tunnel_id);
    (void)store::touch_runner_seen(database, runner_id, unix_now_seconds());
    tunnel_log.info("tunnel closed", {{"runner", session.runner_label},
                                  {"tunnel_id", session.tunnel_id},
                                  {"failed_operations", failed ? failed.value().size() : 0}});
    session.registered = false;
}

// Within settle's transaction: marks queued operations running on the
// tunnels with free slots (least loaded first) and prepares their requests.
void TunnelHub::State::start_queued(std::int64_t runner_id, std::vector<Outgoing>& outgoing, Ended& ended) {
    auto pool = sessions.find(runner_id);
    if (pool == sessions.end()) return;
    std::size_t free = 0;
    for (const auto& session : pool->second) free += session->free_slots();
    if (free == 0) return;
    std::int64_t now = unix_now_ms();
    auto queued = store::queued_operations(database, runner_id, now, static_cast<int>(free));
    if (!queued) {
        tunnel_log.error("cannot read queued operations", {{"error", queued.error().message}});
        return;
    }
    for (const store::Operation& operation : queued.value()) {
        std::shared_ptr<Session> target;
        for (const auto& session : pool->second) {
            if (session->free_slots() > 0 && (!target || session->free_slots() > target->free_slots())) target = session;
        }
        if (!target) break;
        auto started = store::start_operation(database, operation.id, target->tunnel_id, now);
        if (!started) {
            tunnel_log.error("cannot start an operation", {{"error", started.error().message}});
            return;
        }
        if (!started.value()) continue;
        Secret connection_config;
        if (operation.connection) {
            auto resolved = resolve_connection(operation);
            if (!resolved) {
                auto outcome = failure(tunnel::error_code_for(resolved.error().kind), resolved.error().message);
                if (store_end(operation.id, store::OperationStatus::failed, outcome, now)) {
                    ended.emplace_back(operation.id, store::OperationStatus::failed);
                }
                continue;
            }
            connection_config = std::move(resolved).value();
        }
        std::string request = tunnel::request_message_raw(operation.public_id, operation.type, operation.params,
                                                          operation.connection,
                                                          std::max<std::int64_t>(operation.deadline_at_ms - now, 1),
                                                          connection_config.reveal());
        Outgoing next(target, operation.public_id, std::move(request), !connection_config.empty());
        if (next.request.size() > target->max_message_bytes) {
            auto outcome = failure(code::message_too_big, "the request is " + std::to_string(next.request.size()) +
                                                              " bytes; the tunnel carries at most " +
                                                              std::to_string(target->max_message_bytes));
            if (store_end(operation.id, store::OperationStatus::failed, outcome, now)) {
                ended.emplace_back(operation.id, store::OperationStatus::failed);
            }
            continue;
        }
        target->in_flight.emplace(operation.public_id, operation.id);
        outgoing.push_back(std::move(next));
    }
}

// What the runner gets for the connection an operation names: read when
// the request goes out, so that a change or a deletion since the
// submission applies to what runs.
Result<Secret> TunnelHub::State::resolve_connection(const store::Operation& operation) {
    auto connection = store::find_connection(database, operation.org_id, *operation.connection);
    if (!connection) {
        if (connection.error().kind != ErrorKind::not_found) return connection.error();
        return Error{ErrorKind::failed_precondition,
                     "connection " + *operation.connection + " was deleted after the operation was submitted"};
    }
    return connection_config_json(connection.value(), settings.master_key);
}

Session* TunnelHub::State::holder_of(std::int64_t runner_id, const std::string& operation_id) {
    auto pool = sessions.find(runner_id);
    if (pool == sessions.end()) return nullptr;
    for (const auto& session : pool->second) {
        if (session->in_flight.count(operation_id) != 0) return session.get();
    }
    return nullptr;
}

void TunnelHub::State::revalidate() {
    std::int64_t now = unix_now_seconds();
    std::vector<std::pair<std::shared_ptr<Session>, std::string>> refused;
    // The replicas of one runner share their credentials: one check serves
    // every tunnel that presented the same certificate and key.
    std::map<std::tuple<std::int64_t, std::string, std::string>, Result<Done>> checked;
    for (const auto& [runner_id, pool] : sessions) {
        for (const auto& session : pool) {
            if (session->closing) continue;
            const Admission& admission = session->admission;
            auto key = std::make_tuple(runner_id, admission.fingerprint, admission.key_id);
            auto check = checked.find(key);
            if (check == checked.end()) check = checked.emplace(key, still_admitted(database, admission, now)).first;
            const Result<Done>& admitted = check->second;
            if (admitted) continue;
            if (admitted.error().kind != ErrorKind::unauthenticated) {
                tunnel_log.error("cannot re-check a tunnel", {{"error", admitted.error().message}});
                continue;
            }
            refused.emplace_back(session, admitted.error().message);
        }
    }
    for (auto& [session, reason] : refused) revoke(*session, reason);
}

void TunnelHub::State::revoke(Session& session, const std::string& reason) {
    session.closing = true;  // no new work for it in the settle below
    settle();
    tunnel_log.warn("closing a tunnel whose credentials are no longer valid",
                {{"runner", session.runner_label}, {"tunnel_id", session.tunnel_id}, {"reason", reason}});
    session.end_code = code::revoked;
    session.end_message = "the runner's credentials were revoked while the operation ran: " + reason;
    auto failed = store::fail_running_operations(database, session.tunnel_id, session.end_code, session.end_message,
                                                 unix_now_ms());
    if (!failed) tunnel_log.error("cannot fail the tunnel's operations", {{"error", failed.error().message}});
    session.in_flight.clear();
    session.channel->send(tunnel::close_message(code::revoked, reason));
    session.channel->close(tunnel::close_code::policy_violation, "credentials revoked");
    session.closing = true;
}

void TunnelHub::State::on_deadline() {
    deadline_armed_ms = std::numeric_limits<std::int64_t>::max();
    settle();
    auto expired = store::expire_operations(database, unix_now_ms());
    if (!expired) {
        tunnel_log.error("cannot expire operations", {{"error", expired.error().message}});
    } else {
        for (const store::Operation& operation : expired.value()) {
            // The runner stops too; its late answer finds the operation final.
            if (Session* holder = holder_of(operation.runner_id, operation.public_id)) {
                holder->channel->send(tunnel::cancel_message(operation.public_id));
            }
        }
    }
    auto next = store::next_deadline_ms(database);
    if (next && next.value()) arm_deadline(*next.value());
}

void TunnelHub::State::arm_deadline(std::int64_t at_ms) {
    if (stopped || at_ms >= deadline_armed_ms) return;
    deadline_armed_ms = at_ms;
    deadline_timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(at_ms - unix_now_ms(), 0)));
    deadline_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec && !self->stopped) self->on_deadline();
    });
}

void TunnelHub::State::arm_sweep() {
    sweep_timer.expires_after(settings.sweep_interval);
    sweep_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->stopped) return;
        // A safety net: changes made elsewhere (another server replica, a
        // key expiring) reach live tunnels within one interval.
        self->revalidate();
        self->deadline_armed_ms = std::numeric_limits<std::int64_t>::max();
        self->on_deadline();
        self->arm_sweep();
    });
}

TunnelHub::TunnelHub(asio::io_context& io, const store::Database& database, HubSettings settings)
    : state_(std::make_shared<State>(io, database, std::move(settings))) {}

TunnelHub::~TunnelHub() { stop(); }

void TunnelHub::start() {
    State& state = *state_;
    if (auto cleared = store::delete_tunnels_of_instance(state.database, state.settings.server_instance); !cleared) {
        tunnel_log.error("cannot clear old tunnel records", {{"error", cleared.error().message}});
    }
    auto interrupted = store::fail_running_operations(state.database, std::nullopt, "interrupted",
                                                      "the server restarted while the operation ran", unix_now_ms());
    if (interrupted && !interrupted.value().empty()) {
        tunnel_log.warn("operations interrupted by a restart", {{"count", interrupted.value().size()}});
    }
    state.on_deadline();
    state.arm_sweep();
}

void TunnelHub::stop() {
    State& state = *state_;
    if (state.stopped) return;
    state.settle();
    state.stopped = true;
    state.deadline_timer.cancel();
    state.sweep_timer.cancel();
    for (auto& [runner_id, pool] : state.sessions) {
        for (auto& session : pool) {
            session->end_code = "interrupted";
            session->end_message = "the server stopped while the operation ran";
            session->channel->send(tunnel::close_message(code::unavailable, "the server is stopping"));
            session->channel->close(tunnel::close_code::going_away, "server stopping");
            session->closing = true;
        }
    }
}

Result<AdmittedCertificate> TunnelHub::admit_certificate(const pki::Certificate& certificate) {
    return server::admit_certificate(state_->database, certificate, state_->settings.trust_domain);
}

Result<Admission> TunnelHub::admit_api_key(const AdmittedCertificate& certificate, std::string_view bearer) {
    return server::admit_api_key(state_->database, certificate, bearer, unix_now_seconds());
}

void TunnelHub::attach(std::shared_ptr<tunnel::Channel> channel, Admission admission) {
    auto session = std::make_shared<Session>();
    session->channel = std::move(channel);
    session->runner_label = admission.runner.org + "/" + admission.runner.name;
    session->admission = std::move(admission);
    state_->sessions[session->admission.runner.id].push_back(session);
    // Weak: the channel is the session's, and the session the state's.
    session->channel->on_drained([weak_state = std::weak_ptr<State>(state_), weak_session = std::weak_ptr<Session>(session)] {
        auto state = weak_state.lock();
        auto held = weak_session.lock();
        if (!state || !held || state->stopped || !held->held_back) return;
        held->held_back = false;
        state->dispatch_soon(held->admission.runner.id);
    });
    asio::co_spawn(state_->io,
                   [self = state_, session]() -> asio::awaitable<void> { co_await self->serve(session); },
                   asio::detached);
}

const tunnel::ChannelLimits& TunnelHub::limits() const { return state_->settings.limits; }

void TunnelHub::access_changed() {
    if (state_->revalidation_posted) return;
    state_->revalidation_posted = true;
    // Posted: runs after the handler returns, so after its commit.
    asio::post(state_->io, [self = state_] {
        self->revalidation_posted = false;
        self->revalidate();
    });
}

void TunnelHub::operation_submitted(const store::Operation& operation, bool wait_for_runner) {
    State& state = *state_;
    state.arm_deadline(operation.deadline_at_ms);
    auto pool = state.sessions.find(operation.runner_id);
    std::size_t free = 0;
    bool connected = false;
    if (pool != state.sessions.end()) {
        for (const auto& session : pool->second) {
            connected = connected || (session->registered && !session->closing);
            free += session->capacity();
        }
    }
    if (!connected) {
        if (!wait_for_runner) {
            state.finish(operation.id, store::OperationStatus::failed, code::unavailable,
                         "runner " + operation.runner + " is not connected");
        }
        return;
    }
    // Submissions of this turn of the io loop take slots too, before they are dispatched.
    if (auto waiting = state.to_dispatch.find(operation.runner_id); waiting != state.to_dispatch.end()) {
        free -= std::min(free, waiting->second);
    }
    if (free == 0) {
        state.finish(operation.id, store::OperationStatus::failed, code::busy,
                     "runner " + operation.runner + " has as many operations in flight as it accepts; try again");
        return;
    }
    state.dispatch_soon(operation.runner_id, 1);
}

void TunnelHub::operation_cancelled(const store::Operation& operation) {
    if (Session* holder = state_->holder_of(operation.runner_id, operation.public_id)) {
        holder->channel->send(tunnel::cancel_message(operation.public_id));
    }
}

}  // namespace tether::server
