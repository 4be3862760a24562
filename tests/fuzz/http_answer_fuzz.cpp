// Any bytes as an HTTP/1.1 answer from a cloud API, read the way the
// client reads one (src/http/exchange.h): Beast's parser with the header
// and body limits the client sets, fed in the pieces a socket may deliver.
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t body_limit = 1 << 20;
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.header_limit(16 * 1024);
    boost::beast::error_code ec;
    std::size_t offset = 0;
    // Pieces of up to 7 bytes where the first byte says so, else all at once.
    std::size_t step = size > 0 && data[0] % 2 == 0 ? 7 : size;
    bool header_checked = false;
    while (offset < size && !ec && !parser.is_done()) {
        // As the client does: the header alone first, its Content-Length
        // held against the limit before any body is read (and reserved).
        if (parser.is_header_done() && !header_checked) {
            header_checked = true;
            if (parser.content_length() && *parser.content_length() > body_limit) return 0;
            parser.eager(true);
        }
        std::size_t available = std::min(step, size - offset);
        // As Beast's read loop does: what put() used is gone (need_more
        // included); what it left is offered again with more behind it.
        std::size_t used = parser.put(boost::asio::buffer(data + offset, available), ec);
        offset += used;
        if (ec == http::error::need_more) {
            if (available == size - offset + used) break;  // all of it offered: the answer ends early
            ec = {};
            if (used == 0) step += 7;  // more at once, as a buffer that grows
        } else if (used == 0 && !ec) {
            step += 7;
        }
    }
    if (!ec && parser.is_header_done() && parser.get().body().size() > body_limit) __builtin_trap();
    return 0;
}
