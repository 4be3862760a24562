#include "tunnel_load.h"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <vector>

#include "measure.h"
#include "tether/auth/runner_credentials.h"
#include "tether/crypto/secret_file.h"
#include "tether/tunnel/dialer.h"
#include "tether/tunnel/protocol.h"

namespace tether::bench {
namespace {

namespace asio = boost::asio;
using Tunnel = std::shared_ptr<tunnel::Channel>;

std::unique_ptr<tunnel::Dialer> make_dialer(asio::io_context& io, const LoadOptions& options) {
    auto text = crypto::read_private_file(options.credentials);
    if (!text) die(text.error().message);
    auto credentials = auth::load_runner_credentials(text.value().reveal(), std::chrono::system_clock::now());
    if (!credentials) die(credentials.error().message);
    auto endpoint = parse_host_port(options.endpoint);
    if (!endpoint) die(endpoint.error().message);
    tunnel::DialOptions dial{endpoint.value(),
                             credentials.value().ca,
                             credentials.value().certificate,
                             std::move(credentials.value().key),
                             credentials.value().file.api_key.copy(),
                             {},
                             std::chrono::seconds(60),
                             {}};
    auto dialer = tunnel::Dialer::create(io, std::move(dial));
    if (!dialer) die(dialer.error().message);
    return std::move(dialer).value();
}

// What a runner does to be welcomed: dial, hello, wait for the welcome.
asio::awaitable<Tunnel> open_tunnel(tunnel::Dialer& dialer) {
    auto channel = co_await dialer.dial();
    if (!channel) die("dial: " + channel.error().message);
    tunnel::Hello hello;
    hello.runner_version = "bench";
    hello.hostname = "bench";
    hello.operations = {"system.echo", "system.info", "system.sleep"};
    hello.capabilities = {"cancel"};
    hello.max_in_flight = 64;
    channel.value()->send(tunnel::hello_message(hello));
    auto frame = co_await channel.value()->receive();
    if (!frame) die("no welcome: " + frame.error().message);
    auto welcome = tunnel::parse_message(frame.value().data);
    if (!welcome || welcome.value().type != tunnel::MessageType::welcome) die("no welcome: " + frame.value().data);
    co_return channel.value();
}

// Opens `count` tunnels, `parallel` dials at a time, into `tunnels`.
asio::awaitable<void> open_tunnels(asio::io_context& io, tunnel::Dialer& dialer, std::size_t count,
                                   std::size_t parallel, std::vector<Tunnel>& tunnels) {
    std::size_t next = 0, running = 0;
    asio::steady_timer done(io, Clock::time_point::max());
    for (std::size_t worker = 0; worker < std::min(parallel, count); ++worker) {
        ++running;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                while (next < count) {
                    ++next;
                    tunnels.push_back(co_await open_tunnel(dialer));
                }
                if (--running == 0) done.cancel();
            },
            asio::detached);
    }
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Keeps reading, so that pings are answered, until the tunnel ends.
void keep_reading(asio::io_context& io, Tunnel tunnel, std::size_t& lost, std::size_t& ended) {
    asio::co_spawn(
        io,
        [tunnel, &lost, &ended]() -> asio::awaitable<void> {
            for (;;) {
                auto frame = co_await tunnel->receive();
                if (!frame) {
                    if (frame.error().message.find("code 1000") == std::string::npos) ++lost;
                    ++ended;
                    co_return;
                }
            }
        },
        asio::detached);
}

// Closes every tunnel and waits (10 s at most) until each has ended.
asio::awaitable<void> close_all(asio::io_context& io, std::vector<Tunnel>& tunnels, const std::size_t& ended) {
    for (const auto& tunnel : tunnels) tunnel->close(tunnel::close_code::normal, "bench done");
    asio::steady_timer tick(io);
    boost::system::error_code ec;
    for (int waited = 0; waited < 1000 && ended < tunnels.size(); ++waited) {
        tick.expires_after(std::chrono::milliseconds(10));
        co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    tunnels.clear();
}

asio::awaitable<void> sleep_for(asio::io_context& io, std::chrono::milliseconds duration) {
    asio::steady_timer timer(io, duration);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Until the server has finished with the tunnels just closed (each close
// is store writes on its side): its CPU time stands still for 300 ms.
asio::awaitable<void> wait_until_quiet(asio::io_context& io, pid_t server) {
    for (int tries = 0; tries < 200; ++tries) {
        double before = cpu_seconds(server);
        co_await sleep_for(io, std::chrono::milliseconds(300));
        if (cpu_seconds(server) - before < 0.005) co_return;
    }
}

void run(asio::io_context& io, asio::awaitable<void> main) {
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(main), [&](std::exception_ptr error) {
        failure = error;
        io.stop();
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace

void tunnel_handshakes(const LoadOptions& options) {
    asio::io_context io;
    auto dialer = make_dialer(io, options);
    run(io, [&]() -> asio::awaitable<void> {
        std::vector<double> rates, server_cpu_ms, client_cpu_ms, teardown;
        co_await wait_until_quiet(io, options.server_pid);
        for (int repetition = 0; repetition < options.repeat; ++repetition) {
            std::vector<Tunnel> tunnels;
            std::size_t lost = 0, ended = 0;
            double cpu_start = cpu_seconds(options.server_pid);
            double client_start = process_cpu_seconds();
            auto start = Clock::now();
            co_await open_tunnels(io, *dialer, options.count, options.parallel, tunnels);
            double elapsed = seconds_since(start);
            double cpu = cpu_seconds(options.server_pid) - cpu_start;
            client_cpu_ms.push_back((process_cpu_seconds() - client_start) * 1000 / static_cast<double>(options.count));
            rates.push_back(static_cast<double>(options.count) / elapsed);
            server_cpu_ms.push_back(cpu * 1000 / static_cast<double>(options.count));
            for (const auto& tunnel : tunnels) keep_reading(io, tunnel, lost, ended);
            auto closing = Clock::now();
            co_await close_all(io, tunnels, ended);
            teardown.push_back(static_cast<double>(options.count) / seconds_since(closing));
            co_await wait_until_quiet(io, options.server_pid);
        }
        emit("tunnel_handshakes", {{"storage", options.storage}, {"count", options.count}, {"parallel", options.parallel},
                                   {"per_second", median(rates)}, {"server_cpu_ms", median(server_cpu_ms)},
                                   {"client_cpu_ms", median(client_cpu_ms)}, {"closes_per_second", median(teardown)}, {"runs", rates}});
    }());
}

void tunnel_idle(const LoadOptions& options) {
    asio::io_context io;
    auto dialer = make_dialer(io, options);
    pid_t server = options.server_pid;
    auto idle = std::chrono::seconds(options.idle_seconds);
    run(io, [&]() -> asio::awaitable<void> {
        long rss_empty = rss_kib(server);
        double cpu_start = cpu_seconds(server);
        co_await sleep_for(io, idle);
        double cpu_empty = cpu_seconds(server) - cpu_start;

        std::vector<Tunnel> tunnels;
        std::size_t lost = 0, ended = 0;
        auto start = Clock::now();
        co_await open_tunnels(io, *dialer, options.count, options.parallel, tunnels);
        double opening = seconds_since(start);
        for (const auto& tunnel : tunnels) keep_reading(io, tunnel, lost, ended);
        co_await sleep_for(io, std::chrono::seconds(2));
        long rss_held = rss_kib(server);
        cpu_start = cpu_seconds(server);
        co_await sleep_for(io, idle);
        double cpu_held = cpu_seconds(server) - cpu_start;
        long rss_idle = rss_kib(server);
        std::size_t lost_while_idle = lost;
        long client_rss = rss_kib();
        co_await close_all(io, tunnels, ended);
        double tunnels_held = static_cast<double>(options.count);
        emit("tunnel_idle", {{"storage", options.storage},
                             {"count", options.count},
                             {"open_seconds", opening},
                             {"rss_empty_kib", rss_empty},
                             {"rss_held_kib", rss_held},
                             {"rss_after_idle_kib", rss_idle},
                             {"kib_per_tunnel", static_cast<double>(rss_held - rss_empty) / tunnels_held},
                             {"kib_per_tunnel_after_idle", static_cast<double>(rss_idle - rss_empty) / tunnels_held},
                             {"idle_seconds", options.idle_seconds},
                             {"cpu_percent_empty", 100 * cpu_empty / static_cast<double>(options.idle_seconds)},
                             {"cpu_percent_held", 100 * cpu_held / static_cast<double>(options.idle_seconds)},
                             {"lost_while_idle", lost_while_idle},
                             {"client_rss_kib", client_rss}});
    }());
}

}  // namespace tether::bench
