// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tether/ops/catalog.h"

// The operations every runner has: what it is, a mirror for tests and
// benchmarks, and a wait that honours cancellation and deadlines.
namespace tether::ops {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr std::int64_t longest_sleep_ms = 3'600'000;
constexpr std::int64_t longest_generated = 1024 * 1024 * 1024;

asio::awaitable<Result<json>> info(const json& /*params*/, OperationContext& context) {
    const RunnerFacts& facts = context.facts;
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - facts.started);
    co_return json{{"version", facts.version},
                   {"hostname", facts.hostname},
                   {"org", facts.org},
                   {"runner", facts.runner},
                   {"uptime_seconds", uptime.count()},
                   {"providers", facts.providers},
                   {"policy", facts.policy}};
}

asio::awaitable<Result<json>> echo(const json& params, OperationContext& /*context*/) { co_return params; }

asio::awaitable<Result<json>> sleep(const json& params, OperationContext& context) {
    auto duration = params.find("duration_ms");
    if (duration == params.end() || !duration->is_number_integer() || duration->get<std::int64_t>() < 0 ||
        duration->get<std::int64_t>() > longest_sleep_ms) {
        co_return Error{ErrorKind::invalid_argument,
                        "system.sleep needs duration_ms, an integer from 0 to " + std::to_string(longest_sleep_ms)};
    }
    auto started = std::chrono::steady_clock::now();
    context.wake.expires_after(std::chrono::milliseconds(duration->get<std::int64_t>()));
    boost::system::error_code ec;
    co_await context.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto slept = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (ec) co_return Error{ErrorKind::deadline_exceeded, "interrupted after " + std::to_string(slept.count()) + " ms"};
    co_return json{{"slept_ms", slept.count()}};
}

// Bytes of a known pattern: exercises streamed results in tests and benchmarks.
asio::awaitable<Result<json>> generate(const json& params, OperationContext& /*context*/) {
    auto bytes = params.find("bytes");
    if (bytes == params.end() || !bytes->is_number_integer() || bytes->get<std::int64_t>() < 0 ||
        bytes->get<std::int64_t>() > longest_generated) {
        co_return Error{ErrorKind::invalid_argument,
                        "system.generate needs bytes, an integer from 0 to " + std::to_string(longest_generated)};
    }
    std::string data(static_cast<std::size_t>(bytes->get<std::int64_t>()), '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
    co_return json{{"data", std::move(data)}};
}

}  // namespace

void register_system_operations(Catalog& catalog) {
    for (auto& [name, handler] : {std::pair<const char*, Handler>{"system.info", info},
                                  std::pair<const char*, Handler>{"system.echo", echo},
                                  std::pair<const char*, Handler>{"system.sleep", sleep},
                                  std::pair<const char*, Handler>{"system.generate", generate}}) {
        auto added = catalog.add(name, handler);
        if (!added) throw std::logic_error(added.error().message);
    }
}

}  // namespace tether::ops
