#pragma once

// The server's side of the tunnels: each session's protocol, the pool of
// tunnels per runner, dispatch of queued operations, deadlines, and live
// revocation. Private to src/server; Beast stays in the listener.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tether/core/secret.h"
#include "tether/pki/certificate.h"
#include "tether/server/runner_tunnels.h"
#include "tether/store/database.h"
#include "tether/tunnel/channel.h"
#include "tunnel_admission.h"

namespace boost::asio {
class io_context;
}

namespace tether::server {

struct HubSettings {
    std::string server_instance;  // which server holds a tunnel, in the store
    std::string trust_domain;
    tunnel::ChannelLimits limits;
    std::size_t max_in_flight = 256;  // per tunnel; the runner may ask for fewer
    std::size_t max_result_bytes = 256 * 1024 * 1024;  // a streamed result, all chunks together
    std::chrono::milliseconds hello_timeout{10'000};
    std::chrono::milliseconds sweep_interval{10'000};  // the periodic re-check of every tunnel
    // Told when a runner's answer (or the hub itself) ends an operation;
    // for waiters and benchmarks. Runs on the io_context thread.
    std::function<void(std::int64_t operation_id, store::OperationStatus status)> on_finished;
    // Opens inline connection credentials for the requests that use them;
    // without it such operations fail.
    const Secret* master_key = nullptr;
};

class TunnelHub final : public RunnerTunnels {
public:
    TunnelHub(boost::asio::io_context& io, const store::Database& database, HubSettings settings);
    ~TunnelHub() override;

    // Marks what an earlier run of this server left behind (its tunnel
    // rows, operations it had running) and arms the timers.
    void start();
    // Closes every tunnel (going away); in-flight operations fail as
    // interrupted.
    void stop();

    // Phase 1 and 2 for the listener.
    Result<AdmittedCertificate> admit_certificate(const pki::Certificate& certificate);
    Result<Admission> admit_api_key(const AdmittedCertificate& certificate, std::string_view bearer);
    // A tunnel that passed both: runs its session until it ends.
    void attach(std::shared_ptr<tunnel::Channel> channel, Admission admission);

    const tunnel::ChannelLimits& limits() const;

    void access_changed() override;
    void operation_submitted(const store::Operation& operation, bool wait_for_runner) override;
    void operation_cancelled(const store::Operation& operation) override;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace tether::server
