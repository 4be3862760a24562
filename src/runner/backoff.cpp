#include "tether/runner/backoff.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <random>

#include "tether/crypto/random.h"

namespace tether::runner {
namespace {

Backoff::Uniform seeded_uniform() {
    std::uint64_t seed = 0;
    crypto::random_bytes(&seed, sizeof seed);
    return [engine = std::mt19937_64(seed), distribution = std::uniform_real_distribution<double>(0.0, 1.0)]() mutable {
        return distribution(engine);
    };
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, Uniform uniform)
    : initial_(initial), cap_(cap), uniform_(uniform ? std::move(uniform) : seeded_uniform()) {
    assert(initial.count() > 0 && cap >= initial);
}

std::chrono::milliseconds Backoff::ceiling() const {
    // Doubling stops at the cap, so it cannot overflow however many attempts.
    std::chrono::milliseconds bound = initial_;
    for (int i = 0; i < attempt_ && bound < cap_; ++i) bound *= 2;
    return std::min(bound, cap_);
}

std::chrono::milliseconds Backoff::next() {
    auto bound = ceiling();
    double u = std::clamp(uniform_(), 0.0, 1.0);
    // [0, 1) scaled to the bound + 1 whole milliseconds reaches both ends.
    auto delay = std::min(static_cast<std::int64_t>(u * static_cast<double>(bound.count() + 1)), bound.count());
    if (attempt_ < std::numeric_limits<int>::max()) ++attempt_;
    return std::chrono::milliseconds(delay);
}

}  // namespace tether::runner
