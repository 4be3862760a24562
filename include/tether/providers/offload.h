#pragma once

// Blocking work (a credential program, an exec plugin) off the runner's io
// thread: the tunnel keeps answering pings and other requests meanwhile.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

namespace tether::providers {

// Runs `work` on a thread of its own and resumes the caller on its own
// executor with the result. The io_context's run() waits for a thread
// still running (a work guard), so work must be bounded (a timeout).
template <typename Work>
boost::asio::awaitable<std::invoke_result_t<Work>> offload(Work work) {
    using Outcome = std::invoke_result_t<Work>;
    namespace asio = boost::asio;
    auto executor = co_await asio::this_coro::executor;
    struct Shared {
        explicit Shared(const asio::any_io_executor& executor) : done(executor) {}
        asio::steady_timer done;
        std::optional<Outcome> outcome;
    };
    auto shared = std::make_shared<Shared>(executor);
    shared->done.expires_at(asio::steady_timer::time_point::max());
    std::thread([shared, work = std::move(work), guard = asio::make_work_guard(executor)]() mutable {
        Outcome outcome = work();
        asio::post(guard.get_executor(), [shared, outcome = std::move(outcome)]() mutable {
            shared->outcome.emplace(std::move(outcome));
            shared->done.cancel();
        });
    }).detach();
    boost::system::error_code ignored;
    while (!shared->outcome) co_await shared->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    co_return std::move(*shared->outcome);
}

}  // namespace tether::providers
