#pragma once

#include <chrono>
#include <functional>

namespace tether::runner {

// Delays between reconnection attempts: capped exponential backoff with
// "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"),
// so that runners cut off by one server restart do not return in step.
// Not thread-safe: one per reconnecting loop.
class Backoff {
public:
    // Returns a number uniformly distributed in [0, 1).
    using Uniform = std::function<double()>;

    // Without `uniform`, a std::mt19937_64 seeded from the CSPRNG.
    explicit Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds{500},
                     std::chrono::milliseconds cap = std::chrono::seconds{60}, Uniform uniform = {});

    // A delay drawn uniformly from [0, ceiling()], then the next attempt.
    std::chrono::milliseconds next();

    // min(cap, initial * 2^attempt): the bound of the next delay.
    std::chrono::milliseconds ceiling() const;

    // After a connection that worked: start again from `initial`.
    void reset() { attempt_ = 0; }

    int attempt() const { return attempt_; }

private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds cap_;
    Uniform uniform_;
    int attempt_ = 0;
};

}  // namespace tether::runner
