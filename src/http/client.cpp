#include "tether/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace tether::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string to_string(beast::string_view text) { return std::string(text.data(), text.size()); }

// The steps of one exchange as a chain of handlers on one io_context; the
// stream's deadline covers connect, write and read (the resolver has the
// system resolver's own timeouts).
class Exchange {
public:
    Exchange(asio::io_context& io, const Request& request) : request_(request), resolver_(io), stream_(io) {}

    void start() {
        stream_.expires_after(request_.timeout);
        resolver_.async_resolve(request_.url.authority.host, std::to_string(request_.url.authority.port),
                                [this](beast::error_code ec, tcp::resolver::results_type results) {
                                    if (ec) return finish(ec, "cannot resolve " + request_.url.authority.host);
                                    connect(results);
                                });
    }

    Result<Response> result() {
        if (error_) return *error_;
        return std::move(response_);
    }

private:
    void connect(const tcp::resolver::results_type& results) {
        stream_.async_connect(results, [this](beast::error_code ec, const tcp::endpoint&) {
            if (ec) return finish(ec, "cannot connect to " + request_.url.authority.to_string());
            write();
        });
    }

    void write() {
        message_ = {bhttp::string_to_verb(request_.method), request_.url.target, 11};
        message_.set(bhttp::field::host, request_.url.authority.to_string());
        message_.set(bhttp::field::user_agent, "tether");
        for (const auto& [name, value] : request_.headers) message_.set(name, value);
        message_.body() = request_.body;
        message_.prepare_payload();
        bhttp::async_write(stream_, message_, [this](beast::error_code ec, std::size_t) {
            if (ec) return finish(ec, "cannot send the request to " + request_.url.authority.to_string());
            read();
        });
    }

    void read() {
        parser_.body_limit(request_.max_response_bytes);
        bhttp::async_read(stream_, buffer_, parser_, [this](beast::error_code ec, std::size_t) {
            if (ec) return finish(ec, "no valid answer from " + request_.url.authority.to_string());
            const auto& message = parser_.get();
            response_.status = message.result_int();
            for (const auto& field : message) {
                std::string name = to_string(field.name_string());
                for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                response_.headers[name] = to_string(field.value());
            }
            response_.body = message.body();
            finish({}, "");
        });
    }

    void finish(beast::error_code ec, const std::string& what) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        if (!ec) return;
        if (ec == beast::error::timeout) {
            error_ = Error{ErrorKind::deadline_exceeded, what + ": no answer within the timeout"};
        } else {
            error_ = Error{ErrorKind::unavailable, what + ": " + ec.message()};
        }
    }

    const Request& request_;
    tcp::resolver resolver_;
    beast::tcp_stream stream_;
    bhttp::request<bhttp::string_body> message_;
    beast::flat_buffer buffer_;
    bhttp::response_parser<bhttp::string_body> parser_;
    Response response_;
    std::optional<Error> error_;
};

}  // namespace

Result<Response> fetch(const Request& request) {
    if (request.url.scheme != "http") {
        return Error{ErrorKind::invalid_argument, "https URLs need the TLS client, which this build does not have yet"};
    }
    if (bhttp::string_to_verb(request.method) == bhttp::verb::unknown) {
        return Error{ErrorKind::invalid_argument, "unknown HTTP method '" + request.method + "'"};
    }
    asio::io_context io;
    Exchange exchange(io, request);
    exchange.start();
    io.run();
    return exchange.result();
}

}  // namespace tether::http
