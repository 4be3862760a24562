#include "tether/server/connection_gate.h"

#include <utility>

namespace tether::server {

ConnectionGate::ConnectionGate(const log::Logger& logger, GateLimits limits, std::chrono::milliseconds log_interval)
    : logger_(logger), limits_(limits), log_interval_(log_interval) {}

ConnectionGate::Ticket::Ticket(Ticket&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)), address_(std::move(other.address_)), counted_(other.counted_) {}

ConnectionGate::Ticket::~Ticket() {
    if (gate_ == nullptr) return;
    if (counted_) gate_->release_address(address_);
    --gate_->open_;
}

void ConnectionGate::Ticket::proven() {
    if (gate_ == nullptr || !counted_) return;
    counted_ = false;
    gate_->release_address(address_);
}

std::optional<ConnectionGate::Ticket> ConnectionGate::admit(const std::string& address) {
    if (open_ >= limits_.total) {
        log_refusal("too many connections", address, limits_.total);
        return std::nullopt;
    }
    std::size_t& from_address = unproven_[address];
    if (from_address >= limits_.per_address) {
        log_refusal("too many unauthenticated connections from one address", address, limits_.per_address);
        return std::nullopt;
    }
    ++from_address;
    ++open_;
    return Ticket(this, address);
}

void ConnectionGate::release_address(const std::string& address) {
    auto it = unproven_.find(address);
    if (it != unproven_.end() && --it->second == 0) unproven_.erase(it);
}

void ConnectionGate::log_refusal(const char* reason, const std::string& address, std::size_t limit) {
    ++refused_since_log_;
    auto now = std::chrono::steady_clock::now();
    if (last_logged_ && now - *last_logged_ < log_interval_) return;
    logger_.warn("connections refused",
                 {{"reason", reason},
                  {"address", address},
                  {"refused", refused_since_log_},
                  {"open", open_},
                  {"limit", limit},
                  {"next_report_after_ms", static_cast<long long>(log_interval_.count())}});
    last_logged_ = now;
    refused_since_log_ = 0;
}

}  // namespace tether::server
