#pragma once

#include "tether/store/operations.h"

namespace tether::server {

// What the API tells the live tunnels. Implemented by the tunnel hub; the
// API handlers run on the same io_context thread, so calls never race it.
class RunnerTunnels {
public:
    virtual ~RunnerTunnels() = default;

    // Keys, certificates, runners or accounts changed: re-check every live
    // tunnel once the current transaction has committed, and close the
    // ones no longer admitted.
    virtual void access_changed() = 0;

    // A new queued operation: send it to a tunnel of its runner now, or end
    // it at once — `busy` when every tunnel of the runner is at its bound,
    // `unavailable` when none is up and the caller would not wait.
    virtual void operation_submitted(const store::Operation& operation, bool wait_for_runner) = 0;

    // The API ended a running operation: tell its runner to stop.
    virtual void operation_cancelled(const store::Operation& operation) = 0;
};

}  // namespace tether::server
