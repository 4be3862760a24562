#include "tether/tunnel/dialer.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "tether/http/proxy_connect.h"
#include "tether/core/json.h"
#include "tether/pki/tls.h"
#include "tether/tunnel/protocol.h"
#include "tether/tunnel/websocket_channel.h"

namespace tether::tunnel {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;

namespace {

Error refused(std::string message) { return {ErrorKind::unauthenticated, std::move(message)}; }

// The server's certificate failed this side's checks.
Error server_certificate_error(long verify_result, const HostPort& endpoint) {
    switch (verify_result) {
        case X509_V_ERR_CERT_NOT_YET_VALID:
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return refused("the server's certificate is not valid at this machine's time (" +
                           std::string(X509_verify_cert_error_string(verify_result)) +
                           "): check the clock here and on the server (clock skew)");
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return refused("the server's certificate is not for " + endpoint.host +
                           ": use the tunnel endpoint name the server was initialised with, or --tunnel-endpoint");
        default:
            return refused("the server's certificate is not signed by the CA in the credentials file (" +
                           std::string(X509_verify_cert_error_string(verify_result)) +
                           "): wrong CA, credentials from another server, or a TLS-intercepting proxy");
    }
}

// A TLS failure: this side's verification, an alert from the server about
// the runner's certificate, or the network.
Error tls_error(const beast::error_code& ec, SSL* ssl, const HostPort& endpoint) {
    if (ec.category() != asio::error::get_ssl_category()) {
        return {ErrorKind::unavailable, "connection to " + endpoint.to_string() + " lost: " + ec.message()};
    }
    int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    switch (reason) {
        case SSL_R_CERTIFICATE_VERIFY_FAILED: return server_certificate_error(SSL_get_verify_result(ssl), endpoint);
        case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
            return refused("the server refused this runner's certificate as no longer current: the credentials "
                           "were regenerated or revoked; deploy the new credentials file");
        case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
            return refused("the server does not know this runner's certificate: the runner was deleted, or the "
                           "credentials belong to another server");
        case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
            return refused("the server considers this runner's certificate expired or not yet valid: check the "
                           "clocks (clock skew) or deploy new credentials");
        case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
            return refused("the server does not trust this runner's certificate (wrong CA): the credentials file "
                           "was issued by another server");
        case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
            return refused("the server refused this runner (access denied)");
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        case SSL_R_UNSUPPORTED_PROTOCOL:
            return {ErrorKind::unavailable, endpoint.to_string() + " does not speak TLS 1.3"};
        default: break;
    }
    return {ErrorKind::unavailable, "TLS with " + endpoint.to_string() + " failed: " + ec.message()};
}

// The server declined the upgrade: its JSON body names the cause.
Error declined(const websocket::response_type& response, const HostPort& endpoint) {
    std::string message = "HTTP " + std::to_string(response.result_int());
    auto answer = parse_json(response.body());
    nlohmann::json body = answer ? std::move(answer).value() : nlohmann::json();
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
        const auto& error = body["error"];
        if (error.contains("message") && error["message"].is_string()) message = error["message"].get<std::string>();
    }
    unsigned status = response.result_int();
    if (status == 401 || status == 403) return refused("the server refused this runner's API key: " + message);
    if (status >= 500) return {ErrorKind::unavailable, "the server is not accepting tunnels now: " + message};
    return {ErrorKind::invalid_argument, endpoint.to_string() + " is not a tether tunnel listener: " + message};
}

}  // namespace

struct Dialer::State {
    asio::io_context& io;
    DialOptions options;
    asio::ssl::context tls{asio::ssl::context::tls_client};
};

Dialer::Dialer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Dialer::~Dialer() = default;

Result<std::unique_ptr<Dialer>> Dialer::create(asio::io_context& io, DialOptions options) {
    auto state = std::make_unique<State>(State{io, std::move(options)});
    auto configured = pki::configure_client_tls(state->tls.native_handle(), state->options.ca,
                                                &state->options.certificate, &state->options.key);
    if (!configured) return configured.error();
    return std::unique_ptr<Dialer>(new Dialer(std::move(state)));
}

asio::awaitable<Result<std::shared_ptr<Channel>>> Dialer::dial() {
    const DialOptions& options = state_->options;
    const HostPort& endpoint = options.endpoint;
    beast::ssl_stream<beast::tcp_stream> stream(state_->io, state_->tls);
    auto& tcp = beast::get_lowest_layer(stream);

    auto connected = co_await http::dial(tcp, endpoint, options.proxy, options.connect_timeout);
    if (!connected) co_return connected.error();
    prepare_tunnel_stream(stream);
    if (auto named = pki::expect_server_name(stream.native_handle(), endpoint.host); !named) co_return named.error();

    beast::error_code ec;
    tcp.expires_after(options.connect_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout) co_return Error{ErrorKind::deadline_exceeded, "TLS handshake with " + endpoint.to_string() + " timed out"};
    if (ec) co_return tls_error(ec, stream.native_handle(), endpoint);

    WebsocketStream ws(std::move(stream));
    std::string authorization = "Bearer " + std::string(options.api_key.reveal());
    ws.set_option(websocket::stream_base::decorator([&authorization](websocket::request_type& request) {
        request.set(beast::http::field::authorization, authorization);
        request.set(beast::http::field::sec_websocket_protocol, subprotocol);
        request.set(beast::http::field::user_agent, "tether-runner/" TETHER_VERSION);
    }));
    websocket::response_type response;
    // In TLS 1.3 the server judges the client certificate after the
    // handshake: a refusal arrives here, as an alert.
    co_await ws.async_handshake(response, endpoint.to_string(), std::string(upgrade_path),
                                asio::redirect_error(use_awaitable, ec));
    wipe(authorization);
    if (ec == websocket::error::upgrade_declined) co_return declined(response, endpoint);
    if (ec == beast::error::timeout) co_return Error{ErrorKind::deadline_exceeded, "upgrade at " + endpoint.to_string() + " timed out"};
    if (ec) co_return tls_error(ec, ws.next_layer().native_handle(), endpoint);
    if (response[beast::http::field::sec_websocket_protocol] != subprotocol) {
        co_return Error{ErrorKind::invalid_argument, endpoint.to_string() + " did not agree to protocol " + std::string(subprotocol)};
    }
    co_return make_websocket_channel(std::move(ws), options.limits, endpoint.to_string());
}

}  // namespace tether::tunnel
