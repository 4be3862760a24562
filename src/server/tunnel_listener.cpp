#include "tunnel_listener.h"

#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "bind_acceptor.h"
#include "tether/server/connection_gate.h"
#include "tether/core/log.h"
#include "tether/tunnel/protocol.h"
#include "tether/tunnel/websocket_channel.h"
#include "tunnel_hub.h"
#include "loggers.h"

namespace tether::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

constexpr std::uint32_t upgrade_header_limit = 8 * 1024;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What phase 1 concluded, filled in by the verify callback.
struct Verdict {
    std::optional<AdmittedCertificate> admitted;
    std::string refusal;
    // The store could not answer: the handshake completes and the upgrade
    // gets a 503, which the runner retries, instead of a refusal it obeys.
    bool store_failed = false;
};

// Phase 1 inside OpenSSL's chain verification: at the leaf, after OpenSSL
// has checked the chain, dates and CA, ask the store whether the
// certificate is current. Its answer picks the TLS alert the runner sees.
void verify_with_store(TlsStream& stream, TunnelHub& hub, Verdict& verdict) {
    stream.set_verify_callback([&hub, &verdict](bool preverified, asio::ssl::verify_context& context) {
        X509_STORE_CTX* store = context.native_handle();
        if (!preverified) {
            verdict.refusal = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
            return false;
        }
        if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
        X509* leaf = X509_STORE_CTX_get_current_cert(store);
        X509_up_ref(leaf);
        auto admitted = hub.admit_certificate(pki::Certificate(leaf));
        if (admitted) {
            verdict.admitted = std::move(admitted).value();
            return true;
        }
        verdict.refusal = admitted.error().message;
        if (admitted.error().kind != ErrorKind::permission_denied && admitted.error().kind != ErrorKind::not_found) {
            verdict.store_failed = true;
            return true;
        }
        // certificate_revoked for a superseded or revoked certificate;
        // bad_certificate for a runner the server does not know.
        X509_STORE_CTX_set_error(store, admitted.error().kind == ErrorKind::permission_denied
                                            ? X509_V_ERR_CERT_REVOKED
                                            : X509_V_ERR_CERT_REJECTED);
        return false;
    });
}

http::response<http::string_body> refusal(http::status status, std::string_view code, const std::string& message) {
    http::response<http::string_body> response{status, 11};
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.body() = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
    response.keep_alive(false);
    response.prepare_payload();
    return response;
}

bool offers_subprotocol(const http::request<http::empty_body>& request) {
    std::string_view offered = request[http::field::sec_websocket_protocol];
    for (auto it = offered.begin(); it != offered.end();) {
        while (it != offered.end() && (*it == ' ' || *it == ',')) ++it;
        auto start = it;
        while (it != offered.end() && *it != ',' && *it != ' ') ++it;
        if (std::string_view(&*start, static_cast<std::size_t>(it - start)) == tunnel::subprotocol) return true;
    }
    return false;
}

}  // namespace

struct TunnelListener::State {
    State(asio::io_context& io_, std::shared_ptr<asio::ssl::context> tls_, TunnelHub& hub_, TunnelListenerLimits limits_)
        : io(io_),
          tls(std::move(tls_)),
          hub(hub_),
          limits(limits_),
          gate(tunnel_log, {limits.max_connections, limits.max_connections_per_address}) {}

    asio::io_context& io;
    std::shared_ptr<asio::ssl::context> tls;
    TunnelHub& hub;
    TunnelListenerLimits limits;
    ConnectionGate gate;  // connections not yet handed to the hub
    std::optional<tcp::acceptor> acceptor;
    bool stopping = false;

    asio::awaitable<void> accept_loop(std::shared_ptr<State> self);
    asio::awaitable<void> admit(std::shared_ptr<State> self, tcp::socket socket, ConnectionGate::Ticket ticket);
    asio::awaitable<std::optional<Admission>> upgrade(TlsStream& stream, websocket::request_type& request,
                                                      const Verdict& verdict, const std::string& peer);
};

asio::awaitable<void> TunnelListener::State::accept_loop(std::shared_ptr<State> self) {
    const std::function<void(tcp::socket)> take = [this, self](tcp::socket socket) {
        beast::error_code ec;
        auto ticket = gate.admit(socket.remote_endpoint(ec).address().to_string());
        if (!ticket) {
            socket.close(ec);
            return;
        }
        asio::co_spawn(io, admit(self, std::move(socket), std::move(*ticket)), asio::detached);
    };
    co_await accept_connections(*acceptor, stopping, take);
}

// The ticket is held until the tunnel is handed to the hub (or refused).
asio::awaitable<void> TunnelListener::State::admit(std::shared_ptr<State> /*keep_alive*/, tcp::socket socket,
                                                   ConnectionGate::Ticket /*ticket*/) {
    beast::error_code ec;
    std::string peer = to_string(socket.remote_endpoint(ec));

    TlsStream stream(beast::tcp_stream(std::move(socket)), *tls);
    tunnel::prepare_tunnel_stream(stream);
    Verdict verdict;
    verify_with_store(stream, hub, verdict);
    beast::get_lowest_layer(stream).expires_after(limits.handshake_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec || (!verdict.admitted && !verdict.store_failed)) {
        tunnel_log.info("tunnel refused at the TLS handshake",
                    {{"peer", peer}, {"reason", verdict.refusal.empty() ? ec.message() : verdict.refusal}});
        beast::get_lowest_layer(stream).close();
        co_return;
    }

    websocket::request_type request;
    auto admission = co_await upgrade(stream, request, verdict, peer);
    if (!admission || stopping) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
        beast::get_lowest_layer(stream).close();
        co_return;
    }
    tunnel::WebsocketStream ws(std::move(stream));
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
        response.set(http::field::sec_websocket_protocol, tunnel::subprotocol);
        response.set(http::field::server, "tether/" TETHER_VERSION);
    }));
    ws.read_message_max(hub.limits().max_message_bytes);
    co_await ws.async_accept(request, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        tunnel_log.info("tunnel upgrade failed", {{"peer", peer}, {"error", ec.message()}});
        co_return;
    }
    hub.attach(tunnel::make_websocket_channel(std::move(ws), hub.limits(), peer), std::move(admission).value());
}

// Reads the upgrade request and runs phase 2; answers a refusal itself.
asio::awaitable<std::optional<Admission>> TunnelListener::State::upgrade(TlsStream& stream,
                                                                         websocket::request_type& request,
                                                                         const Verdict& verdict,
                                                                         const std::string& peer) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(upgrade_header_limit);
    parser.body_limit(0);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        tunnel_log.info("tunnel closed before its upgrade request", {{"peer", peer}, {"error", ec.message()}});
        co_return std::nullopt;
    }
    request = parser.release();
    const std::string runner =
        verdict.admitted ? verdict.admitted->runner.org + "/" + verdict.admitted->runner.name : "?";

    std::optional<http::response<http::string_body>> answer;
    std::optional<Admission> admission;
    std::string_view authorization = request[http::field::authorization];
    constexpr std::string_view scheme = "Bearer ";
    if (request.target() != tunnel::upgrade_path || !websocket::is_upgrade(request)) {
        answer = refusal(http::status::not_found, "not_found", "this port accepts only the tunnel upgrade at " +
                                                                   std::string(tunnel::upgrade_path));
    } else if (!offers_subprotocol(request)) {
        answer = refusal(http::status::bad_request, "invalid_argument",
                         "the upgrade must offer Sec-WebSocket-Protocol " + std::string(tunnel::subprotocol));
    } else if (stopping) {
        answer = refusal(http::status::service_unavailable, "unavailable", "the server is stopping");
    } else if (verdict.store_failed) {
        tunnel_log.error("cannot check a runner's certificate", {{"peer", peer}, {"error", verdict.refusal}});
        answer = refusal(http::status::service_unavailable, "unavailable", "the server cannot check certificates now");
    } else if (authorization.substr(0, scheme.size()) != scheme) {
        answer = refusal(http::status::unauthorized, "unauthenticated", "the upgrade lacks the runner's API key");
    } else {
        auto admitted = hub.admit_api_key(*verdict.admitted, authorization.substr(scheme.size()));
        if (admitted) {
            admission = std::move(admitted).value();
        } else if (admitted.error().kind == ErrorKind::unauthenticated) {
            answer = refusal(http::status::unauthorized, "unauthenticated", admitted.error().message);
        } else {
            tunnel_log.error("cannot check a runner's API key", {{"error", admitted.error().message}});
            answer = refusal(http::status::service_unavailable, "unavailable", "the server cannot check keys now");
        }
    }
    // The key travelled in this request; do not keep it longer than needed.
    request.erase(http::field::authorization);
    if (answer) {
        tunnel_log.warn("tunnel refused at the upgrade", {{"peer", peer}, {"runner", runner}, {"status", answer->result_int()},
                                                      {"reason", answer->body()}});
        co_await http::async_write(stream, *answer, asio::redirect_error(use_awaitable, ec));
        co_return std::nullopt;
    }
    co_return admission;
}

TunnelListener::TunnelListener(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, TunnelHub& hub,
                               TunnelListenerLimits limits)
    : state_(std::make_shared<State>(io, std::move(tls), hub, limits)) {}

TunnelListener::~TunnelListener() { stop(); }

Result<HostPort> TunnelListener::listen(const HostPort& address) {
    auto bound = bind_acceptor(state_->io, address);
    if (!bound) return bound.error();
    state_->acceptor.emplace(std::move(bound.value().first));
    asio::co_spawn(state_->io, state_->accept_loop(state_), asio::detached);
    return bound.value().second;
}

void TunnelListener::stop() {
    state_->stopping = true;
    beast::error_code ec;
    if (state_->acceptor) state_->acceptor->close(ec);
}

}  // namespace tether::server
