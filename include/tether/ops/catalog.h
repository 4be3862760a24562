#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/providers/connection.h"
#include "tether/providers/provider.h"

// The operations a runner executes: a fixed catalog of named handlers,
// registered explicitly (a static binary may never run an archive's static
// initialisers). The server checks submitted types against the same names.
namespace tether::ops {

// What system.info reports about the runner it runs in.
struct RunnerFacts {
    std::string version;
    std::string hostname;
    std::string org;
    std::string runner;
    std::chrono::steady_clock::time_point started;
    std::vector<std::string> providers;
    nlohmann::json policy;  // the runner policy's summary
};

struct OperationContext {
    // Cancelled when the operation is cancelled or its deadline passes: a
    // handler that waits does so on this timer and stops when it fires early.
    boost::asio::steady_timer& wake;
    const RunnerFacts& facts;
    // The connection the request names, as the server resolved it; nullptr
    // when it names none.
    const providers::ConnectionConfig* connection = nullptr;
    // The credential providers and what they work with; nullptr where the
    // runner has none (tests of the system operations).
    const providers::Registry* providers = nullptr;
    providers::ProviderContext* provider_context = nullptr;
    // Set by a handler to the host:port it sends its request to: the
    // runner's audit trail records it.
    std::optional<std::string>* endpoint = nullptr;
};

using Handler = std::function<boost::asio::awaitable<Result<nlohmann::json>>(const nlohmann::json& params,
                                                                             OperationContext& context)>;

class Catalog {
public:
    // already_exists for a name registered twice: that is a wiring bug.
    Result<Done> add(std::string name, Handler handler);
    // nullptr when the runner does not know the type.
    const Handler* find(std::string_view name) const;
    std::vector<std::string> names() const;

private:
    std::map<std::string, Handler, std::less<>> handlers_;
};

// system.info, system.echo, system.sleep and system.generate.
void register_system_operations(Catalog& catalog);

// aws.call: one AWS API request with a connection's credentials.
void register_aws_operations(Catalog& catalog);

// kubernetes.call: one request to a cluster's API server.
void register_kubernetes_operations(Catalog& catalog);

}  // namespace tether::ops
