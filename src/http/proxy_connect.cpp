#include "tether/http/proxy_connect.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <string>

#include "tether/core/log.h"

namespace tether::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

const log::Logger logger("http");

// Bound on the proxy's answer head; like Beast's default header limit.
constexpr std::size_t max_answer_head = 16 * 1024;

Error failure(const beast::error_code& ec, const std::string& what) {
    if (ec == beast::error::timeout) return {ErrorKind::deadline_exceeded, what + ": no answer within the timeout"};
    return {ErrorKind::unavailable, what + ": " + ec.message()};
}

// A non-2xx answer to CONNECT, classified so that a wrong password is not
// retried like a network failure.
Error refusal(unsigned status, std::string_view reason, const std::string& what, const ProxyEnvironment& env,
              bool sent_credentials) {
    std::string message = what + ": " + std::to_string(status) + " " + std::string(reason.substr(0, 100));
    if (status == 407) {
        message += sent_credentials ? "; it did not accept the user and password in " + env.https_proxy_name
                                    : "; it wants a user and password: give them in " + env.https_proxy_name +
                                          " as http://user:password@host:port";
        return {ErrorKind::unauthenticated, message};
    }
    return {status == 403 ? ErrorKind::permission_denied : ErrorKind::unavailable, message};
}

// Sends CONNECT and reads the answer's head. Bytes read past the head would
// belong to the tunnel, but a proxy may not send any before the client's
// ClientHello: finding some is an error, so no tunnel byte is ever lost.
asio::awaitable<Result<Done>> open_tunnel(beast::tcp_stream& stream, const HostPort& target, const Proxy& proxy,
                                          const ProxyEnvironment& env) {
    std::string where = "proxy " + proxy.address.to_string();
    std::string what = where + " refused CONNECT to " + target.to_string();
    beast::error_code ec;
    {
        Secret request = connect_request(target, proxy.credentials);
        co_await asio::async_write(stream, asio::buffer(request.reveal().data(), request.size()),
                                   asio::redirect_error(use_awaitable, ec));
    }
    if (ec) co_return failure(ec, "cannot send CONNECT to " + where);

    std::string head;
    std::size_t head_size = co_await asio::async_read_until(stream, asio::dynamic_buffer(head, max_answer_head),
                                                            "\r\n\r\n", asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::not_found) {
        co_return Error{ErrorKind::unavailable, where + " answered CONNECT with a head over 16 KiB"};
    }
    if (ec == asio::error::eof) {
        co_return Error{ErrorKind::unavailable, where + " closed the connection instead of answering CONNECT"};
    }
    if (ec) co_return failure(ec, where + " did not answer CONNECT to " + target.to_string());

    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a 2xx answer to CONNECT has no body, whatever its headers say
    parser.header_limit(max_answer_head);
    parser.put(asio::buffer(head.data(), head_size), ec);
    if (ec || !parser.is_header_done()) {
        co_return Error{ErrorKind::unavailable, where + " sent an answer to CONNECT that is not HTTP"};
    }
    unsigned status = parser.get().result_int();
    if (status < 200 || status > 299) {
        co_return refusal(status, parser.get().reason(), what, env, proxy.credentials.has_value());
    }
    if (head.size() != head_size) {
        co_return Error{ErrorKind::unavailable, where + " sent data after accepting CONNECT to " +
                                                    target.to_string() + ", before the client spoke"};
    }
    co_return Done{};
}

}  // namespace

asio::awaitable<Result<Done>> dial(beast::tcp_stream& stream, const HostPort& target, const ProxyEnvironment& env,
                                   std::chrono::milliseconds timeout) {
    auto proxy = proxy_for(env, target.host, target.port);
    if (!proxy) co_return proxy.error();
    const HostPort& hop = proxy.value() ? proxy.value()->address : target;
    std::string name = proxy.value() ? "proxy " + hop.host : hop.host;
    if (proxy.value()) {
        logger.info("connecting through a proxy", {{"target", target.to_string()}, {"proxy", hop.to_string()}});
    }

    beast::error_code ec;
    tcp::resolver resolver(stream.get_executor());
    auto endpoints = co_await resolver.async_resolve(hop.host, std::to_string(hop.port),
                                                     asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failure(ec, "cannot resolve " + name);

    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    std::string where = proxy.value() ? "proxy " + hop.to_string() : hop.to_string();
    if (ec) co_return failure(ec, "cannot connect to " + where);
    if (!proxy.value()) co_return Done{};
    co_return co_await open_tunnel(stream, target, *proxy.value(), env);
}

}  // namespace tether::http
