#include "bind_acceptor.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tether/core/log.h"

namespace tether::server {
using tcp = boost::asio::ip::tcp;

std::string to_string(const tcp::endpoint& endpoint) {
    return HostPort{endpoint.address().to_string(), endpoint.port()}.to_string();
}

Result<std::pair<tcp::acceptor, HostPort>> bind_acceptor(boost::asio::io_context& io, const HostPort& address) {
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(address.host, std::to_string(address.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
        return Error{ErrorKind::unavailable, "cannot resolve listen address " + address.to_string() + ": " + ec.message()};
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    tcp::acceptor acceptor(io);
    auto failed = [&](const char* step) {
        return Error{ErrorKind::unavailable, std::string("cannot ") + step + " " + address.to_string() + " (" +
                                                 to_string(endpoint) + "): " + ec.message()};
    };
    if (acceptor.open(endpoint.protocol(), ec); ec) return failed("open a socket for");
    if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) return failed("set options on");
    if (acceptor.bind(endpoint, ec); ec) return failed("listen on");
    if (acceptor.listen(boost::asio::socket_base::max_listen_connections, ec); ec) return failed("listen on");
    tcp::endpoint bound = acceptor.local_endpoint(ec);
    if (ec) return failed("read the bound address of");
    return std::pair{std::move(acceptor), HostPort{bound.address().to_string(), bound.port()}};
}

boost::asio::awaitable<void> accept_connections(tcp::acceptor& acceptor, const bool& stopping,
                                                const std::function<void(tcp::socket)>& take) {
    static const log::Logger logger("listener");
    boost::asio::steady_timer backoff(acceptor.get_executor());
    while (acceptor.is_open()) {
        boost::system::error_code ec;
        tcp::socket socket = co_await acceptor.async_accept(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (stopping || ec == boost::asio::error::operation_aborted) co_return;
        if (ec) {
            logger.warn("accept failed", {{"error", ec.message()}});
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            continue;
        }
        take(std::move(socket));
    }
}

}  // namespace tether::server
