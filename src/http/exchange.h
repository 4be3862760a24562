#pragma once

// One HTTP/1.1 request and its answer on a connected stream, plain or TLS:
// shared by the one-shot fetch and the connection pool. Private to src/http.
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tether/core/text.h"
#include "tether/http/client.h"

namespace tether::http::detail {

inline Error failure(const boost::beast::error_code& ec, const std::string& what) {
    if (ec == boost::beast::error::timeout) return {ErrorKind::deadline_exceeded, what + ": no answer within the timeout"};
    return {ErrorKind::unavailable, what + ": " + ec.message()};
}

struct Exchanged {
    Result<Response> response = Error{ErrorKind::internal, "no exchange"};
    bool keep_alive = false;  // the connection may carry another request
    // The peer closed before answering a byte: on a reused connection this
    // is a keep-alive it had already dropped, and the request never ran.
    bool closed_before_answer = false;
};

// Why `request` cannot go on the wire, if it cannot: a CR or LF in the
// target or a header would end the line early and let what follows read
// as a second request (with this one's credentials). Names the header,
// never its value.
inline std::optional<std::string> unsendable(const Request& request) {
    if (request.url.target.empty() || request.url.target.front() != '/' ||
        request.url.target.find(' ') != std::string::npos || text::has_control_character(request.url.target)) {
        return "the request target must start with '/' and hold no spaces or control characters";
    }
    for (const auto& [name, value] : request.headers) {
        if (name.empty() || name.find_first_of(" :") != std::string::npos || text::has_control_character(name) ||
            text::has_control_character(value, /*allow_tab=*/true)) {
            return "header '" + (text::has_control_character(name) ? std::string("?") : name) +
                   "' holds a control character or an invalid name";
        }
    }
    return std::nullopt;
}

template <typename Stream>
boost::asio::awaitable<Exchanged> exchange(Stream& stream, const Request& request) {
    namespace beast = boost::beast;
    namespace bhttp = beast::http;
    using boost::asio::redirect_error;
    using boost::asio::use_awaitable;
    auto as_string = [](beast::string_view text) { return std::string(text.data(), text.size()); };

    Exchanged out;
    if (auto problem = unsendable(request)) {
        out.response = Error{ErrorKind::invalid_argument, "refusing to send the request: " + *problem};
        co_return out;
    }
    std::string where = request.url.authority.to_string();
    bhttp::request<bhttp::string_body> message{bhttp::string_to_verb(request.method), request.url.target, 11};
    message.set(bhttp::field::host, where);
    message.set(bhttp::field::user_agent, "tether/" TETHER_VERSION);
    for (const auto& [name, value] : request.headers) message.set(name, value);
    message.body() = request.body;
    message.prepare_payload();

    beast::error_code ec;
    co_await bhttp::async_write(stream, message, redirect_error(use_awaitable, ec));
    if (ec) {
        out.closed_before_answer = ec != beast::error::timeout;
        out.response = failure(ec, "cannot send the request to " + where);
        co_return out;
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(request.max_response_bytes);
    // The header first: Beast 1.74 does not always hold a Content-Length
    // against body_limit when the header and the whole body arrive in one
    // read (seen in tests), so the length is checked here before any body
    // is read; chunked and close-delimited bodies are held to the limit by
    // the parser as they come.
    co_await bhttp::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (!ec && parser.content_length() && *parser.content_length() > request.max_response_bytes) {
        ec = bhttp::error::body_limit;
    }
    if (!ec && !parser.is_done()) co_await bhttp::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (!ec && parser.get().body().size() > request.max_response_bytes) ec = bhttp::error::body_limit;
    if (ec == bhttp::error::body_limit) {
        out.response = Error{ErrorKind::invalid_argument, "the answer from " + where + " is larger than the " +
                                                              std::to_string(request.max_response_bytes) +
                                                              "-byte limit"};
        co_return out;
    }
    if (ec) {
        out.closed_before_answer = !parser.got_some() && ec != beast::error::timeout;
        out.response = failure(ec, "no valid answer from " + where);
        co_return out;
    }
    const auto& answer = parser.get();
    Response response;
    response.status = answer.result_int();
    for (const auto& field : answer) {
        std::string name = text::ascii_lower(as_string(field.name_string()));
        std::string value = as_string(field.value());
        auto [it, fresh] = response.headers.emplace(name, value);
        if (!fresh) it->second += ", " + value;  // repeated fields join, as RFC 9110 §5.3 allows
    }
    response.body = std::move(parser.release().body());
    out.keep_alive = parser.keep_alive();
    out.response = std::move(response);
    co_return out;
}

}  // namespace tether::http::detail
